"""Property-based fuzzing of both API schemas with schemathesis (issue 16): no answer is a server error, and every
answer is what the OpenAPI schema says it is.

Every operation of the station schema is called on alpha's host as its head, and every operation of the public schema
on the public host as a bureau administrator and as a bureau viewer, with a token (no CSRF, as API clients call). The
schemas are generated in-process by drf-spectacular, exactly as `/api/v1/schema/` serves them, and the requests go
straight to the WSGI application (no server). Each operation gets the examples of its schema and a bounded number of
generated cases (valid and invalid ones), from a fixed seed, so a run is reproducible and takes a few minutes.

Caveats of the generated data:
- Path parameters are drawn half of the time from the rows seeded below (an enterprise, cases in several states with
  a record, a survey and an amendment, referrals both ways, a complaint escalated to the bureau, an opinion with a
  plan, the operations registers, an open evaluation round, a review, an assessment, jobs), so that reads and writes
  reach real rows and their answers are checked against the schema; the other half are whatever hypothesis draws
  (mostly 404).
- Everything runs inside one transaction opened for this module and rolled back at its end, each operation inside
  its own savepoint (pytest-django's `db`): what the fuzzing writes, and the seed, are never seen by other tests.
  Work queued "on commit" (e-mails, jobs' tasks, message deliveries) never runs; the seed delivers its messages
  between schemas in-process.
- Random bodies rarely get past the services' rules, so the writes mostly answer 400; the seeded rows make some of
  them succeed.
"""

import datetime
import re

import pytest
import schemathesis
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections, transaction
from django.test import override_settings
from django.utils import timezone
from django_tenants.utils import schema_context
from drf_spectacular.generators import SchemaGenerator
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance, status_code_conformance

from core.archive import services as archive_services
from core.complaints import services as complaint_services
from core.desk import services as desk_services
from core.desk.models import ServiceRecord
from core.directory import services as directory_services
from core.directory.models import Institution, Qualification
from core.escalations.models import Escalation
from core.evaluation.checklist import CHECKLIST
from core.operations import services as operations_services
from core.operations.models import SystemCode, Training
from core.supervision import services as supervision_services
from core.tokens.services import api_token_create
from tenants.hosts import station_host
from tenants.models import Station, StationStatus
from tests.core.desk.builders import case_completed, case_in_service, new_enterprise, take_demand
from tests.core.evaluation.builders import PDF, open_round, upload
from tests.core.referrals.builders import beta_case, deliver_all, institution_referral, refer

CONFIG = schemathesis.Config.from_dict(
    {
        "seed": 16,
        "phases": {"stateful": {"enabled": False}},
        "generation": {"max-examples": 10, "database": "none"},
    }
)
CHECKS = [not_a_server_error, status_code_conformance, response_schema_conformance]


def _schema(urlconf: str):
    raw = SchemaGenerator(urlconf=urlconf).get_schema(request=None, public=True)
    return schemathesis.openapi.from_dict(raw, config=CONFIG)


STATION = _schema("stationnet.urls_station")
PUBLIC = _schema("stationnet.urls_public")
APP = WSGIHandler()

# Filled in by the `seeded` fixture: the values a path parameter may take to reach a seeded row, by the path's
# pattern and the parameter's name.
SEEDED: dict[tuple[str, str], list] = {}


def _known(path: str, name: str) -> list:
    for (pattern, parameter), values in SEEDED.items():
        if parameter == name and re.match(pattern, path):
            return values
    return []


def _seeded_path_parameters(context, path_parameters):
    if not path_parameters:
        return st.just(path_parameters)
    known = {name: _known(context.operation.path, name) for name in path_parameters}
    known = {name: st.sampled_from(values) for name, values in known.items() if values}
    if not known:
        return st.just(path_parameters)
    return st.one_of(st.just(path_parameters), st.fixed_dictionaries(known).map(lambda v: path_parameters | v))


for _api in (STATION, PUBLIC):
    _api.hook("flatmap_path_parameters")(_seeded_path_parameters)


def _seed(city) -> dict:
    """Rows for the fuzzing to reach (see the module's docstring); the tokens of the three callers."""
    evaluation_round = open_round(city)  # while alpha is a draft; then both published (to take referrals)
    Station.objects.filter(pk__in=[city.alpha.pk, city.beta.pk]).update(status=StationStatus.PUBLISHED)
    head, staff = city.alpha_head, city.alpha_staff
    enterprise = new_enterprise(phone="024-72345678", address="铁岭市银州区测试路8号", legal_representative="李法人")
    institution = Institution.objects.create(name="铁岭市计量测试所（模糊测试）", kind="metrology")
    Qualification.objects.create(institution=institution, kind="cma", number="2026-001", valid_until="2030-01-01")
    today = timezone.localdate()
    with schema_context(city.alpha.schema_name):
        evaluated = case_completed(city, enterprise)
        desk_services.survey_submit(
            case=evaluated,
            channel="paper",
            user=staff,
            **{f"q{n}": "satisfied" for n in (1, 2, 3, 4, 6, 7, 8, 9, 10)},
            q5=True,
            opinions="好",
            signatory="王",
        )
        desk_services.record_amend(
            record=ServiceRecord.objects.get(case=evaluated), user=head, reason="笔误", resolution="检定压力表 3 块"
        )
        serving = case_in_service(city, enterprise)
        demand = take_demand(city, enterprise)
        demanded = demand.cases.get()
        referred = refer(city, demanded)
        handed_over = institution_referral(city, take_demand(city, enterprise).cases.get(), institution)
        confidential = take_demand(city, enterprise).cases.get()
        archive_services.case_confidential_mark(case=confidential, user=head, reason="涉及商业秘密")
        complaint = complaint_services.complaint_create(
            user=staff, channel="phone", subject="电话打不通", complainant_name="张", case=serving
        )
        for to, extra in (("acknowledged", {}), ("investigating", {}), ("responded", {"text": "已答复"})):
            complaint = complaint_services.complaint_transition(complaint=complaint, user=staff, to=to, **extra)
        complaint_services.complaint_escalate(complaint=complaint, user=staff, reason="争议未解决", unresolvable=False)
        opinion = supervision_services.opinion_log(user=staff, channel="phone", kind="suggestion", text="多设座位")
        supervision_services.improvement_plan_create(
            opinion=opinion, user=staff, what="添置座椅", owner=staff, due_on=today + datetime.timedelta(days=7)
        )
        supervision_services.opinion_answer(opinion=opinion, user=staff, answer="已添置")
        equipment = operations_services.equipment_create(
            user=head, kind="office", name="叫号机", maintenance_interval_days=30
        )
        operations_services.maintenance_log_add(equipment=equipment, user=staff, performed_on=today, work="清洁")
        qualification = operations_services.staff_qualification_add(
            user=head, member=staff, name="计量检定员", number="JD-1"
        )
        operations_services.system_version_publish(user=head, code="a", effective_on=today, text="服务承诺制度")
        item = evaluation_round.items.filter(evidence_required=True).first()
        from core.evaluation import services as evaluation_services

        evaluation_services.evidence_add(item=item, user=head, file=upload("evidence.pdf", PDF))
        from core.assessment import services as assessment_services

        review = assessment_services.case_review_mark(case=serving, user=head, reason="重点企业")
        assessment_services.case_review_write(review=review, user=head, findings="规范", conclusion="sound")
        month = (today.replace(day=1) - datetime.timedelta(days=1)).replace(day=1)
        assessment = assessment_services.staff_assessment_open(
            user=head, member=staff, period_kind="month", period_start=month
        )
        archive_services.archive_access_log(user=head, enterprise=enterprise, action="view", detail="seed")
        archive_job = archive_services.archive_export_start(enterprise=enterprise, user=head)
        station_job = directory_services.directory_export_start(
            what="enterprises", user=head, file_format="csv", filters={}
        )
        trainings = list(Training.objects.values_list("pk", flat=True))
    deliver_all(city)
    incoming = refer_from_beta(city, beta_case(city, enterprise))
    bureau_job = directory_services.directory_export_start(
        what="enterprises", user=city.bureau_admin, file_format="xlsx", filters={}
    )
    escalation = Escalation.objects.get(uid=complaint.uid)
    cases = [evaluated.pk, serving.pk, confidential.pk, demanded.pk]
    callers = ("alpha_head", "bureau_admin", "bureau_viewer")
    # A spare token of each caller, for the token endpoints to read and revoke (never the one the fuzzing calls with).
    spare_tokens = [
        api_token_create(actor=getattr(city, who), user=getattr(city, who), name="spare")[0] for who in callers
    ]
    SEEDED.clear()
    SEEDED.update(
        {
            (r"/api/v1/desk/demands/", "id"): [demand.pk, evaluated.demand_id],
            (r"/api/v1/desk/cases/", "id"): cases,
            (r"/api/v1/referrals/", "id"): [referred.pk, handed_over.pk, incoming],
            (r"/api/v1/archive/enterprises/", "id"): [enterprise.pk],
            (r"/api/v1/archive/exports/", "id"): [archive_job.pk],
            (r"/api/v1/archive/cases/", "id"): cases,
            (r"/api/v1/supervision/opinions/", "id"): [opinion.pk],
            (r"/api/v1/complaints/", "id"): [complaint.pk],
            (r"/api/v1/assessment/reviews/", "case_id"): [serving.pk],
            (r"/api/v1/assessment/staff/", "id"): [assessment.pk],
            (r"/api/v1/operations/trainings/", "id"): trainings,
            (r"/api/v1/operations/qualifications/", "id"): [qualification.pk],
            (r"/api/v1/operations/equipment/", "id"): [equipment.pk],
            (r"/api/v1/operations/systems/", "code"): list(SystemCode.values),
            (r"/api/v1/evaluation/", "code"): [entry.code for entry in CHECKLIST],
            (r"/api/v1/enterprises/", "id"): [enterprise.pk],
            (r"/api/v1/institutions/", "id"): [institution.pk],
            (r"/api/v1/jobs/", "id"): [station_job.pk, bureau_job.pk],
            (r"/api/v1/directory/samples/", "what"): list(directory_services.IMPORT_KINDS),
            (r"/api/v1/directory/samples/", "file_format"): ["csv", "xlsx"],
            (r"/api/v1/statistics/stations/", "id"): [city.alpha.pk],
            (r"/api/v1/evaluation/stations/", "id"): [city.alpha.pk],
            (r"/api/v1/evaluation/stations/", "number"): [evaluation_round.number],
            (r"/api/v1/escalations/", "id"): [escalation.pk],
            (r"/api/v1/tokens/", "id"): [token.pk for token in spare_tokens],
        }
    )
    return {
        who: api_token_create(actor=getattr(city, who), user=getattr(city, who), name="fuzzing")[1] for who in callers
    }


def refer_from_beta(city, case) -> int:
    """A case of beta referred to alpha (alpha's inbox); the id of alpha's copy once delivered."""
    from core.referrals import services as referral_services
    from core.referrals.models import Direction, Referral

    with schema_context(city.beta.schema_name):
        outgoing = referral_services.referral_create(
            case=case,
            user=city.beta_staff,
            station=city.alpha,
            parts=["contact"],
            reason="本站无此能力",
            ask="请协助",
            consent_channel="phone",
            consent_at=timezone.now() - datetime.timedelta(minutes=5),
        )
    deliver_all(city)
    with schema_context(city.alpha.schema_name):
        return Referral.objects.get(uid=outgoing.uid, direction=Direction.INCOMING).pk


@pytest.fixture(scope="module")
def tokens(city, django_db_blocker):
    """The seed, in a transaction of this module rolled back at its end. Django's WSGI handler closes the database
    connection after each request (`close_old_connections`), which would end that transaction: like Django's test
    client, the fuzzing keeps it open."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    # The fuzzing sends many requests a minute as each caller, and to the token endpoint: no rate limit here (the
    # limits are tested in tests/api/test_tokens_throttling.py).
    no_limits = override_settings(API_THROTTLE_RATES={"user": None, "address": None, "token_issue": None})
    no_limits.enable()
    with django_db_blocker.unblock():
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            yield _seed(city)
        finally:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)
            SEEDED.clear()
            request_started.connect(close_old_connections)
            request_finished.connect(close_old_connections)
            no_limits.disable()


FUZZ = settings(deadline=None, suppress_health_check=list(HealthCheck), derandomize=True, database=None)


def _call(case, host: str, token: str) -> None:
    case.call_and_validate(app=APP, headers={"Host": host, "Authorization": f"Token {token}"}, checks=CHECKS)


@STATION.parametrize()
@FUZZ
def test_station_api_as_its_head(case, tokens, db, city):
    _call(case, station_host(city.alpha.code), tokens["alpha_head"])


@PUBLIC.parametrize()
@FUZZ
def test_public_api_as_a_bureau_admin(case, tokens, db, public_host):
    _call(case, public_host, tokens["bureau_admin"])


@PUBLIC.parametrize()
@FUZZ
def test_public_api_as_a_bureau_viewer(case, tokens, db, public_host):
    _call(case, public_host, tokens["bureau_viewer"])

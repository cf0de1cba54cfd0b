"""Writes only by who may write (issue 16): every endpoint of both URL confs that takes a write method is sent one by
each read-only role, and must refuse it (403, 404 or 405) with nothing in the database changed:

- the bureau viewer on the public host, everywhere (the console, the directory, the bureau's API);
- station staff on the station host, wherever the head alone may write (`station_roles` or `write_roles` of the
  endpoint's base class name the head only).

The endpoints are found by walking the URL confs, as the isolation walk does for outsiders
(tests/tenants/test_isolation.py), so a new write endpoint is walked the day it is added; its path parameters are
filled with real ids (`ROUTE_IDS`), and a write endpoint the walk has no ids for fails the walk. Only the doors open to
every signed-in user are left out (`OPEN_TO_EVERY_USER`), each with the reason. What each service refuses on its own
(whatever the view) is tested in tests/tenants/test_actor_roles.py.
"""

import datetime
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from django.contrib.auth.models import Group
from django.db import connection
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone
from django_tenants.utils import get_public_schema_name, schema_context
from rest_framework.views import APIView

from core.archive.models import ArchiveDisposal
from core.assessment import services as assessment_services
from core.desk.models import ServiceCase
from core.directory.models import Enterprise, Institution
from core.escalations import services as escalation_services
from core.escalations.models import Escalation
from core.evaluation import services as evaluation_services
from core.evaluation.models import EvaluationEvidence, EvaluationRound, PublicationObjection
from core.operations import services as operations_services
from core.operations.models import Equipment, StaffQualification, SystemCode, Training
from core.tokens.models import ApiToken
from core.tokens.services import api_token_create
from tenants.models import MemberRole, Membership, Station, StationPublication, User
from tenants.pages import roles_for
from tests.conftest import host_client
from tests.core.desk.builders import new_enterprise, take_demand
from tests.core.evaluation.builders import PDF, upload
from tests.core.operations.builders import training_add

pytestmark = pytest.mark.django_db

WRITE_METHODS = ("post", "put", "patch", "delete")

# Writes for every signed-in user (some for everyone), so no role's refusal to check. Anything else that takes a
# write method is walked.
OPEN_TO_EVERY_USER = {
    "stationnet.urls_public": {
        "demand/": "the enterprise's own demand form (anyone, signed in or not, submits it)",
        "stations/<slug:code>/": "a station's portal page: anyone objects to its publication during the notice",
        "track/": "finding a demand's tracking page by its number (anyone; it writes nothing)",
        "accounts/login/": "signing in",
        "accounts/logout/": "signing out",
        "accounts/invite/<uidb64>/<token>/": "the invitation link sets its holder's password",
        "api/v1/auth/token/": "signing in, for API clients",
        "accounts/tokens/": "making one's own API token",
        "api/v1/tokens/": "making one's own API token",
        "admin/login/": "signing in to the Django admin",
        "admin/logout/": "signing out of the Django admin",
        "i18n/setlang/": "choosing the language",
        "directory/": "a redirect to the enterprise list, writes nothing",
        "directory/enterprises/": "its POST is an export of what a reader sees (a job of the reader's own)",
        "directory/institutions/": "its POST is an export of what a reader sees (a job of the reader's own)",
        "api/v1/directory/exports/": "an export of what a reader sees (a job of the reader's own)",
        "admin/r/<path:content_type_id>/<path:object_id>/": "a redirect to an object's page, writes nothing",
        "accounts/profile/": "one's own name, phone and e-mail",
        "accounts/password/": "one's own password",
        "accounts/password/reset/": "asking for a forgotten password's link (anyone)",
        "accounts/password/reset/<uidb64>/<token>/": "the e-mailed link sets its holder's password",
        "accounts/sessions/": "ending one's own sessions",
        "api/v1/me/": "one's own name, phone and e-mail",
        "accounts/2fa/": "one's own second factor",
        "accounts/2fa/setup/": "one's own second factor",
        "accounts/2fa/verify/": "one's own second factor",
        "accounts/2fa/recovery-codes/": "one's own recovery codes",
        "accounts/2fa/disable/": "one's own second factor (refused where the role requires it)",
        # A read-only role still owns its inbox: marking its own notifications read, choosing their channels.
        "notifications/<int:pk>/read/": "marking one's own notification read (another's is missing)",
        "notifications/read-all/": "marking one's own notifications read",
        "notifications/preferences/": "one's own choice of notification channels",
        "api/v1/notifications/<int:pk>/read/": "marking one's own notification read (another's is missing)",
        "api/v1/notifications/read-all/": "marking one's own notifications read",
        "api/v1/notifications/preferences/": "one's own choice of notification channels",
    },
    "stationnet.urls_station": {},
}


def walk(urlconf: str):
    """Every route of a URL conf, as (route template, URL pattern); regex routes (the admin's catch-alls) left out."""

    def entries(patterns, prefix=""):
        for entry in patterns:
            route = prefix + str(entry.pattern)
            if isinstance(entry, URLResolver):
                yield from entries(entry.url_patterns, route)
            elif isinstance(entry, URLPattern):
                yield route, entry

    for route, entry in entries(get_resolver(urlconf).url_patterns):
        if any(mark in route for mark in ("^", "$", "(?P")):
            continue
        yield route, entry


def view_class(entry: URLPattern):
    return getattr(entry.callback, "view_class", None) or getattr(entry.callback, "cls", None)


def write_methods(entry: URLPattern) -> tuple[str, ...]:
    """The write methods a route's view takes: those its class defines, or POST for a function view."""
    view = view_class(entry)
    if view is None:
        return ("post",)
    return tuple(method for method in WRITE_METHODS if hasattr(view, method))


def head_only(entry: URLPattern, method: str) -> bool:
    """Whether the endpoint's base class lets only the head send `method` (a station page or API view)."""
    view = view_class(entry)
    roles = getattr(view, "station_roles", None)
    if roles is None:
        return False
    return MemberRole.STAFF not in roles_for(method.upper(), roles, getattr(view, "write_roles", None))


@dataclass
class World:
    """Real rows for the routes' path parameters."""

    station: Station
    round: EvaluationRound
    item_code: str
    evidence: EvaluationEvidence
    escalation: Escalation
    enterprise: Enterprise
    institution: Institution
    group: Group
    token: ApiToken
    case: ServiceCase
    training: Training
    qualification: StaffQualification
    equipment: Equipment
    disposal: ArchiveDisposal
    assessment_id: int


# The path parameters of each write route: a real row of the session city's alpha station (or the bureau's).
ROUTE_IDS: dict[str, Callable[[World], dict]] = {
    # public host
    "console/stations/<int:pk>/": lambda w: {"pk": w.station.pk},
    "console/stations/<int:pk>/evaluate/": lambda w: {"pk": w.station.pk},
    "console/stations/<int:pk>/publish/": lambda w: {"pk": w.station.pk},
    "console/stations/<int:pk>/evaluations/<int:number>/": lambda w: {"pk": w.station.pk, "number": w.round.number},
    "console/stations/<int:pk>/evaluations/schedule/": lambda w: {"pk": w.station.pk},
    "console/escalations/<int:pk>/": lambda w: {"pk": w.escalation.pk},
    "console/evaluation/templates/<str:kind>/": lambda w: {"kind": "initial"},
    "console/stations/<int:pk>/head/": lambda w: {"pk": w.station.pk},
    "console/2fa/reset/<int:user_id>/": lambda w: {"user_id": w.token.user_id},
    "directory/enterprises/<int:pk>/": lambda w: {"pk": w.enterprise.pk},
    "directory/institutions/<int:pk>/": lambda w: {"pk": w.institution.pk},
    "directory/institutions/<int:pk>/qualifications/new/": lambda w: {"pk": w.institution.pk},
    "api/v1/enterprises/<int:pk>/": lambda w: {"pk": w.enterprise.pk},
    "api/v1/institutions/<int:pk>/": lambda w: {"pk": w.institution.pk},
    "api/v1/evaluation/stations/<int:pk>/rounds/": lambda w: {"pk": w.station.pk},
    "api/v1/evaluation/stations/<int:pk>/rounds/<int:number>/items/<str:code>/": lambda w: {
        "pk": w.station.pk,
        "number": w.round.number,
        "code": w.item_code,
    },
    "api/v1/evaluation/stations/<int:pk>/rounds/<int:number>/conclude/": lambda w: {
        "pk": w.station.pk,
        "number": w.round.number,
    },
    "api/v1/escalations/<int:pk>/": lambda w: {"pk": w.escalation.pk},
    "console/objections/<int:pk>/": lambda w: {"pk": publication_objection(w)},
    "api/v1/publication/objections/<int:pk>/": lambda w: {"pk": publication_objection(w)},
    "admin/auth/group/<path:object_id>/": lambda w: {"object_id": w.group.pk},
    "admin/auth/group/<path:object_id>/change/": lambda w: {"object_id": w.group.pk},
    "admin/auth/group/<path:object_id>/delete/": lambda w: {"object_id": w.group.pk},
    "admin/auth/group/<path:object_id>/history/": lambda w: {"object_id": w.group.pk},
    # Someone else's API token (the bureau administrator's): only its owner and the security administrator revoke it.
    "accounts/tokens/<int:pk>/revoke/": lambda w: {"pk": w.token.pk},
    "api/v1/tokens/<int:pk>/": lambda w: {"pk": w.token.pk},
    # station host
    "station/evaluation/rounds/<int:number>/": lambda w: {"number": w.round.number},
    "station/evaluation/evidence/<int:pk>/remove/": lambda w: {"pk": w.evidence.pk},
    "station/evaluation/items/<str:code>/figures/remove/": lambda w: {"code": w.item_code},
    "operations/qualifications/<int:pk>/edit/": lambda w: {"pk": w.qualification.pk},
    "operations/trainings/<int:pk>/edit/": lambda w: {"pk": w.training.pk},
    "operations/equipment/<int:pk>/edit/": lambda w: {"pk": w.equipment.pk},
    "operations/systems/<str:code>/": lambda w: {"code": SystemCode.A},
    "archive/disposals/<int:pk>/approve/": lambda w: {"pk": w.disposal.pk},
    "archive/cases/<int:pk>/confidential/": lambda w: {"pk": w.case.pk},
    "assessment/reviews/cases/<int:case_id>/": lambda w: {"case_id": w.case.pk},
    "assessment/staff/<int:pk>/": lambda w: {"pk": w.assessment_id},
    "api/v1/evaluation/items/<str:code>/": lambda w: {"code": w.item_code},
    "api/v1/evaluation/items/<str:code>/evidence/": lambda w: {"code": w.item_code},
    "api/v1/evaluation/items/<str:code>/figures/": lambda w: {"code": w.item_code},
    "api/v1/operations/trainings/<int:pk>/": lambda w: {"pk": w.training.pk},
    "api/v1/operations/trainings/<int:pk>/cancel/": lambda w: {"pk": w.training.pk},
    "api/v1/operations/qualifications/<int:pk>/": lambda w: {"pk": w.qualification.pk},
    "api/v1/operations/qualifications/<int:pk>/withdraw/": lambda w: {"pk": w.qualification.pk},
    "api/v1/operations/equipment/<int:pk>/": lambda w: {"pk": w.equipment.pk},
    "api/v1/operations/equipment/<int:pk>/retire/": lambda w: {"pk": w.equipment.pk},
    "api/v1/operations/systems/<str:code>/versions/": lambda w: {"code": SystemCode.A},
    "api/v1/archive/disposals/<int:pk>/approve/": lambda w: {"pk": w.disposal.pk},
    "api/v1/archive/cases/<int:pk>/confidential/": lambda w: {"pk": w.case.pk},
    "api/v1/assessment/reviews/<int:case_id>/": lambda w: {"case_id": w.case.pk},
    "api/v1/assessment/staff/<int:pk>/": lambda w: {"pk": w.assessment_id},
    "api/v1/assessment/staff/<int:pk>/confirm/": lambda w: {"pk": w.assessment_id},
    # The staff member's own membership: only the head deactivates or brings back a member.
    "api/v1/members/<int:pk>/deactivate/": lambda w: {"pk": staff_membership(w)},
    "api/v1/members/<int:pk>/reactivate/": lambda w: {"pk": staff_membership(w)},
}


def publication_objection(world: World) -> int:
    """An objection to a publication of the station (made once, with the publication, when first asked for)."""
    objection = PublicationObjection.objects.filter(publication__station=world.station).first()
    if objection is None:
        publication = StationPublication.objects.create(
            station=world.station,
            published_at=timezone.now(),
            notice_until=timezone.now() + datetime.timedelta(days=7),
            published_by=User.objects.filter(bureau_role="admin").first(),
            snapshot={},
        )
        objection = PublicationObjection.objects.create(
            publication=publication, name="只读巡检", phone="13912345678", text="异议", received_at=timezone.now()
        )
    return objection.pk


def staff_membership(world: World) -> int:
    return Membership.objects.get(station=world.station, role=MemberRole.STAFF, user__username="alpha-staff").pk


def path_of(route: str, world: World) -> str:
    if "<" not in route:
        return "/" + route
    if route not in ROUTE_IDS:
        raise LookupError(f"the walk has no ids for the write route {route!r}: add it to ROUTE_IDS")
    path = route
    for name, value in ROUTE_IDS[route](world).items():
        start = path.index("<")
        end = path.index(">", start)
        assert path[start:end].endswith(name), (route, name)
        path = path[:start] + str(value) + path[end + 1 :]
    return "/" + path


@pytest.fixture
def world(city) -> World:
    """One of everything a write route names, in alpha (rolled back with the test)."""
    head = city.alpha_head
    evaluation_round = evaluation_services.evaluation_start(station=city.alpha, user=city.bureau_admin)
    item = evaluation_round.items.filter(evidence_required=True).order_by("position").first()
    with schema_context(city.alpha.schema_name):
        evidence = evaluation_services.evidence_add(item=item, user=head, file=upload("evidence.pdf", PDF))
        enterprise = new_enterprise()
        case = take_demand(city, enterprise).cases.get()
        training = training_add(city, [city.alpha_staff])
        qualification = operations_services.staff_qualification_add(
            user=head, member=city.alpha_staff, name="计量检定员证"
        )
        equipment = operations_services.equipment_create(
            user=head, kind="office", name="打印机", maintenance_interval_days=180
        )
        disposal = ArchiveDisposal.objects.create(
            enterprise=enterprise,
            enterprise_name=enterprise.name,
            reason="保管期满",
            last_recorded_at=timezone.now() - datetime.timedelta(days=6 * 366),
            requested_by=city.alpha_staff,
        )
        month = timezone.localdate().replace(day=1)
        assessment = assessment_services.staff_assessment_open(
            user=head, member=city.alpha_staff, period_kind="month", period_start=month
        )
    escalation = escalation_services.escalation_receive(
        payload={
            "uid": "00000000-0000-0000-0000-00000000a016",
            "complaint_id": 1,
            "subject": "服务态度",
            "received_at": "2026-01-05T09:00:00+08:00",
            "reason": "对答复不满意",
            "escalated_at": "2026-01-06T09:00:00+08:00",
        },
        source=city.alpha.schema_name,
    )
    return World(
        station=city.alpha,
        round=evaluation_round,
        item_code=item.code,
        evidence=evidence,
        escalation=escalation,
        enterprise=enterprise,
        institution=Institution.objects.create(name="铁岭市只读巡检计量所", kind="metrology"),
        group=Group.objects.create(name="只读巡检"),
        token=api_token_create(actor=city.bureau_admin, user=city.bureau_admin, name="read-only walk")[0],
        case=case,
        training=training,
        qualification=qualification,
        equipment=equipment,
        disposal=disposal,
        assessment_id=assessment.pk,
    )


# Rows a request may change without writing anything of the platform's: the client's own session.
UNCOUNTED_TABLES = {"django_session"}


def database_state(schemas: list[str]) -> dict[str, tuple[int, str]]:
    """Every table of `schemas`: its row count and a digest of its rows (an UPDATE changes it too)."""
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT table_schema, table_name FROM information_schema.tables "
            "WHERE table_schema = ANY(%s) AND table_type = 'BASE TABLE' ORDER BY 1, 2",
            [schemas],
        )
        tables = [(schema, table) for schema, table in cursor.fetchall() if table not in UNCOUNTED_TABLES]
        digest = "md5(coalesce(string_agg(md5(t::text), '' ORDER BY md5(t::text)), ''))"
        query = " UNION ALL ".join(
            f"SELECT %s, count(*), {digest} FROM {quote(schema)}.{quote(table)} t"  # noqa: S608  (catalog names, quoted)
            for schema, table in tables
        )
        cursor.execute(query, [f"{schema}.{table}" for schema, table in tables])
        return {name: (count, digest) for name, count, digest in cursor.fetchall()}


def changed(before: dict, after: dict) -> list[str]:
    return sorted(name for name in before.keys() | after.keys() if before.get(name) != after.get(name))


def refused(response) -> bool:
    if response.status_code in (403, 404, 405):
        return True
    # The Django admin answers anyone who is not staff with its own sign-in page.
    return response.status_code == 302 and response["Location"].startswith("/admin/login/")


@dataclass(frozen=True)
class Endpoint:
    route: str
    entry: URLPattern
    methods: tuple[str, ...]


def endpoints(urlconf: str, keep: Callable[[URLPattern, str], bool]) -> list[Endpoint]:
    """The write endpoints of `urlconf` but those open to every user, with the methods `keep` selects."""
    found = []
    for route, entry in walk(urlconf):
        if route in OPEN_TO_EVERY_USER[urlconf]:
            continue
        methods = tuple(method for method in write_methods(entry) if keep(entry, method))
        if methods:
            found.append(Endpoint(route, entry, methods))
    return found


PUBLIC_WRITES = endpoints("stationnet.urls_public", lambda entry, method: True)
HEAD_ONLY_WRITES = endpoints("stationnet.urls_station", head_only)


def send(client, endpoint: Endpoint, world: World, schemas: list[str]) -> list[str]:
    """Send every write method of `endpoint`; what went wrong, if anything."""
    problems = []
    path = path_of(endpoint.route, world)
    for method in endpoint.methods:
        before = database_state(schemas)
        response = getattr(client, method)(path)
        if not refused(response):
            problems.append(f"{method.upper()} {path}: answered {response.status_code}, not refused")
        if difference := changed(before, database_state(schemas)):
            problems.append(f"{method.upper()} {path}: changed {', '.join(difference)}")
    return problems


def test_the_walk_finds_the_write_endpoints():
    public = {endpoint.route for endpoint in PUBLIC_WRITES}
    assert {
        "api/v1/enterprises/",
        "api/v1/institutions/",
        "api/v1/enterprises/<int:pk>/",
        "api/v1/directory/imports/",
        "directory/enterprises/new/",
        "directory/import/",
        "console/stations/new/",
        "console/referrals/policy/",
        "api/v1/referrals/policy/",
        "api/v1/escalations/<int:pk>/",
    } <= public
    head_only_routes = {endpoint.route for endpoint in HEAD_ONLY_WRITES}
    assert {
        "station/items/",
        "operations/equipment/",
        "api/v1/operations/equipment/",
        "api/v1/archive/cases/<int:pk>/confidential/",
        "api/v1/assessment/staff/",
        "api/v1/evaluation/submit/",
    } <= head_only_routes
    # Staff record maintenance and export the archive themselves: not the head's alone.
    assert "api/v1/operations/equipment/<int:pk>/maintenance/" not in head_only_routes
    assert "api/v1/archive/enterprises/<int:pk>/exports/" not in head_only_routes
    # Every write route with path parameters has real ids to walk with.
    assert [e.route for e in PUBLIC_WRITES + HEAD_ONLY_WRITES if "<" in e.route and e.route not in ROUTE_IDS] == []


def test_an_endpoint_with_a_new_write_method_is_walked():
    """The walk reads the methods from the views, so a handler added tomorrow is sent too."""

    class Tomorrow(APIView):
        station_roles = (MemberRole.HEAD, MemberRole.STAFF)
        write_roles = (MemberRole.HEAD,)

        def delete(self, request):  # pragma: no cover (never dispatched)
            raise AssertionError

    entry = URLPattern("tomorrow/", Tomorrow.as_view())
    assert write_methods(entry) == ("delete",)
    assert head_only(entry, "delete")


def test_a_bureau_viewer_writes_nothing_on_the_public_host(city, world, public_host):
    client = host_client(public_host, city.bureau_viewer)
    schemas = [get_public_schema_name(), city.alpha.schema_name, city.beta.schema_name]
    problems = [problem for endpoint in PUBLIC_WRITES for problem in send(client, endpoint, world, schemas)]
    assert problems == []
    # The same requests as an administrator do get through somewhere (the walk is not refused by its own making).
    admin = host_client(public_host, city.bureau_admin)
    assert admin.post("/api/v1/enterprises/", {}).status_code == 400


def test_station_staff_write_nothing_where_the_head_decides(city, world, alpha_host):
    client = host_client(alpha_host, city.alpha_staff)
    schemas = [get_public_schema_name(), city.alpha.schema_name]
    problems = [problem for endpoint in HEAD_ONLY_WRITES for problem in send(client, endpoint, world, schemas)]
    assert problems == []
    # The head gets past the same door.
    head = host_client(alpha_host, city.alpha_head)
    assert head.post("/api/v1/operations/equipment/", {}).status_code == 400

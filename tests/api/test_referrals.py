"""The referrals API on station hosts: a case referred from alpha to beta and worked to its end through the API only,
the filters and lists, refusals keyed by field, the receiver seeing exactly what was shared, outsiders refused and
other stations' referrals nowhere to be found, list query counts that do not grow with the rows."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation
from django.utils.translation import gettext
from django_tenants.utils import schema_context
from drf_spectacular.drainage import GENERATOR_STATS
from drf_spectacular.generators import SchemaGenerator

from api.v1 import referrals, urls_station
from core.catalog.models import ServiceItem
from core.desk import services as desk
from core.desk.models import PlanKind, ServiceCase
from core.directory.models import Institution
from core.network.models import StationLoad
from core.referrals import services
from core.referrals.models import Referral
from tenants.models import Station, StationStatus
from tests.conftest import host_client
from tests.core.desk.builders import new_enterprise, take_demand
from tests.core.referrals.builders import beta_case, deliver_all, untrained_member

pytestmark = pytest.mark.django_db

PHONE = "024-72345678"
CONTACT = {
    "phone": PHONE,
    "address": "铁岭市银州区测试路8号",
    "legal_representative": "李法人",
    "contact_person": "王经理",
}
DETAIL_FIELDS = {
    "id",
    "uid",
    "number",
    "direction",
    "direction_display",
    "partner",
    "institution",
    "category",
    "enterprise_name",
    "state",
    "state_display",
    "requested_at",
    "accept_due_at",
    "overdue",
    "accepted_at",
    "closed_at",
    "case",
    "version",
    "reason",
    "ask",
    "shared_parts",
    "shared",
    "chain",
    "consent_channel",
    "consent_at",
    "outcome",
    "state_reason",
    "events",
    "previous",
}


@pytest.fixture
def enterprise(city):
    return new_enterprise(**CONTACT)


@pytest.fixture
def alpha(city, alpha_host, published):
    return host_client(alpha_host, city.alpha_staff)


@pytest.fixture
def beta(city, beta_host, published):
    return host_client(beta_host, city.beta_staff)


def alpha_case(city, enterprise) -> ServiceCase:
    """A new case of alpha (metrology, with the enterprise's contact details and an instrument row)."""
    with schema_context(city.alpha.schema_name):
        return take_demand(city, enterprise).cases.get()


def referral_form(city, case, **changes) -> dict:
    return {
        "station": city.beta.pk,
        "reason": "本站无压力表检定能力",
        "ask": "请为企业安排压力表检定",
        "parts": ["contact", "instruments"],
        "consent_channel": "phone",
        "consent_at": (timezone.now() - datetime.timedelta(minutes=5)).isoformat(),
        "version": case.version,
    } | changes


def refer(client, city, case, **changes):
    return client.post(
        f"/api/v1/desk/cases/{case.pk}/referrals/",
        referral_form(city, case, **changes),
        content_type="application/json",
    )


def move(client, pk: int, version: int, **data):
    return client.post(
        f"/api/v1/referrals/{pk}/transition/", {"version": version, **data}, content_type="application/json"
    )


def said(message: str) -> list[str]:
    """A service's refusal as the API answers it (in the site's language)."""
    with translation.override("zh-hans"):
        return [gettext(message)]


@pytest.mark.clause("5.2.2")
def test_the_whole_loop_through_the_api(city, alpha, beta, enterprise):
    case = alpha_case(city, enterprise)
    options = alpha.get(f"/api/v1/desk/cases/{case.pk}/share-options/")
    assert options.status_code == 200
    assert {"contact", "boxes", "instruments"} <= {option["part"] for option in options.json()}
    assert all(option["label"] for option in options.json())
    candidates = alpha.get("/api/v1/referrals/stations/").json()["results"]
    assert [station["code"] for station in candidates] == ["beta"]

    created = refer(alpha, city, case)
    assert created.status_code == 201, created.json()
    sent = created.json()
    assert set(sent) == DETAIL_FIELDS
    assert sent["direction"] == "out" and sent["state"] == "requested" and sent["case"] == case.pk
    assert sent["partner"] == {"id": city.beta.pk, "name": city.beta.name, "code": "beta"}
    assert sent["institution"] is None and sent["category"]["clause"] == "5.1.6"
    assert sent["shared_parts"] == ["contact", "instruments"] and sent["consent_channel"] == "phone"
    assert [e["to_state"] for e in sent["events"]] == ["requested"]
    assert [r["number"] for r in alpha.get(f"/api/v1/desk/cases/{case.pk}/referrals/").json()] == [sent["number"]]
    assert beta.get("/api/v1/referrals/inbox/").json()["count"] == 0  # not delivered yet

    deliver_all(city)
    inbox = beta.get("/api/v1/referrals/inbox/").json()["results"]
    assert [(r["uid"], r["number"], r["direction"]) for r in inbox] == [(sent["uid"], sent["number"], "in")]
    assert inbox[0]["partner"]["code"] == "alpha" and inbox[0]["case"] is None
    received = beta.get(f"/api/v1/referrals/{inbox[0]['id']}/").json()
    assert received["shared"]["contact"]["phone"] == PHONE
    assert received["accept_due_at"] == sent["accept_due_at"]

    accepted = move(beta, received["id"], received["version"], to="accepted", assignee=city.beta_head.pk)
    assert accepted.status_code == 200, accepted.json()
    assert accepted.json()["state"] == "accepted"
    theirs = beta.get(f"/api/v1/desk/cases/{accepted.json()['case']}/").json()
    assert theirs["assignee"]["id"] == city.beta_head.pk
    assert theirs["category"]["clause"] == "5.1.6"
    assert beta.get("/api/v1/referrals/inbox/").json()["count"] == 0

    deliver_all(city)
    mine = alpha.get(f"/api/v1/referrals/{sent['id']}/").json()
    assert mine["state"] == "accepted" and mine["accepted_at"] is not None
    assert [(e["to_state"], e["station_name"]) for e in mine["events"]] == [
        ("requested", city.alpha.name),
        ("accepted", city.beta.name),
    ]
    assert alpha.get(f"/api/v1/desk/cases/{case.pk}/").json()["state"] == "in_service"

    # Beta works the referral as a case of its own desk; each step comes back to alpha.
    url = f"/api/v1/desk/cases/{theirs['id']}/"
    planned = beta.post(
        url + "plan/",
        {
            "kind": "self",
            "evaluation": "本站可检定",
            "appointment_at": (timezone.now() + datetime.timedelta(days=1)).isoformat(),
            "staff": city.beta_staff.pk,
            "version": theirs["version"],
        },
        content_type="application/json",
    )
    assert planned.status_code == 201, planned.json()
    serving = beta.post(
        url + "transition/", {"to": "in_service", "version": planned.json()["version"]}, content_type="application/json"
    )
    assert serving.status_code == 200, serving.json()
    deliver_all(city)
    assert alpha.get(f"/api/v1/referrals/{sent['id']}/").json()["state"] == "in_service"

    following = beta.post(
        url + "transition/",
        {"to": "following_up", "version": serving.json()["version"]},
        content_type="application/json",
    )
    assert following.status_code == 200, following.json()
    now = timezone.now()
    recorded = beta.post(
        url + "record/",
        {
            "requested_at": (now - datetime.timedelta(hours=3)).isoformat(),
            "received_at": (now - datetime.timedelta(hours=2)).isoformat(),
            "ended_at": (now - datetime.timedelta(hours=1)).isoformat(),
            "resolution": "检定压力表 2 块，合格",
        },
        content_type="application/json",
    )
    assert recorded.status_code == 201, recorded.json()
    version = beta.get(url).json()["version"]
    done = beta.post(url + "transition/", {"to": "completed", "version": version}, content_type="application/json")
    assert done.status_code == 200, done.json()
    deliver_all(city)
    mine = alpha.get(f"/api/v1/referrals/{sent['id']}/").json()
    assert mine["state"] == "completed" and mine["outcome"] == "检定压力表 2 块，合格"
    assert mine["closed_at"] is not None
    assert alpha.get(f"/api/v1/desk/cases/{case.pk}/").json()["state"] == "following_up"
    assert beta.get(f"/api/v1/referrals/{received['id']}/").json()["state"] == "completed"


def test_list_filters_both_directions(city, alpha, enterprise):
    out = refer(alpha, city, alpha_case(city, enterprise)).json()
    other = new_enterprise(name="铁岭市开原区转介测试有限公司")
    with schema_context(city.beta.schema_name):
        services.referral_create(
            case=beta_case(city, other),
            user=city.beta_staff,
            station=city.alpha,
            reason="本站无此能力",
            ask="请检定",
            parts=[],
            consent_channel="signed",
            consent_at=timezone.now(),
        )
    deliver_all(city)
    with schema_context(city.alpha.schema_name):
        incoming = Referral.objects.get(direction="in")
        Referral.objects.filter(pk=incoming.pk).update(accept_due_at=timezone.now() - datetime.timedelta(hours=1))

    def numbers(query: str = "") -> list[str]:
        response = alpha.get(f"/api/v1/referrals/{query}")
        assert response.status_code == 200, response.json()
        return [r["number"] for r in response.json()["results"]]

    assert set(numbers()) == {out["number"], incoming.number}
    assert numbers("?direction=out") == [out["number"]]
    assert numbers("?direction=in") == [incoming.number]
    assert set(numbers("?state=requested")) == {out["number"], incoming.number}
    assert numbers("?state=accepted") == []
    assert numbers("?overdue=true") == [incoming.number]
    assert numbers("?q=开原区转介") == [incoming.number]
    assert numbers(f"?q={out['number']}") == [out["number"]]
    listed = {r["number"]: r for r in alpha.get("/api/v1/referrals/").json()["results"]}
    assert listed[incoming.number]["overdue"] is True and listed[out["number"]]["overdue"] is False
    assert listed[incoming.number]["partner"]["code"] == "beta"
    assert [r["number"] for r in alpha.get("/api/v1/referrals/inbox/").json()["results"]] == [incoming.number]
    refused = alpha.get("/api/v1/referrals/?direction=sideways&state=lost")
    assert refused.status_code == 400 and set(refused.json()) == {"direction", "state"}


def test_station_candidates_by_item_district_and_name(city, alpha, enterprise):
    item = ServiceItem.objects.order_by("position").first()
    city.beta.items.add(item)

    def codes(query: str = "") -> list[str]:
        response = alpha.get(f"/api/v1/referrals/stations/{query}")
        assert response.status_code == 200, response.json()
        return [station["code"] for station in response.json()["results"]]

    found = alpha.get(f"/api/v1/referrals/stations/?item={item.clause}").json()["results"]
    assert [(s["code"], s["serves"], s["items"]) for s in found] == [("beta", True, [item.clause])]
    assert found[0]["district"] == city.beta.district and found[0]["open_cases"] == 0
    assert found[0]["referrals_waiting"] == 0 and found[0]["load_measured_at"] is None
    assert codes(f"?district={city.beta.district}") == ["beta"]
    assert codes(f"?district={city.alpha.district}") == []
    assert codes("?q=开原") == ["beta"] and codes("?q=不存在") == []
    assert alpha.get("/api/v1/referrals/stations/?item=9.9.9").status_code == 400
    # The load each station last published.
    measured = timezone.now() - datetime.timedelta(minutes=3)
    StationLoad.objects.create(station=city.beta, open_cases=4, referrals_waiting=2, measured_at=measured)
    loaded = alpha.get("/api/v1/referrals/stations/").json()["results"][0]
    assert (loaded["open_cases"], loaded["referrals_waiting"], loaded["serves"]) == (4, 2, False)
    assert datetime.datetime.fromisoformat(loaded["load_measured_at"]) == measured
    # A station not published is no candidate.
    Station.objects.filter(pk=city.beta.pk).update(status=StationStatus.DRAFT)
    assert codes() == []


@pytest.mark.clause("5.2.2")
@pytest.mark.clause("7.3")
def test_referring_is_refused_by_field(city, alpha, enterprise):
    case = alpha_case(city, enterprise)

    def refused(**changes) -> dict:
        response = refer(alpha, city, case, **changes)
        assert response.status_code == 400, response.json()
        return response.json()

    missing = refused(consent_channel="", consent_at=None)
    assert missing == {
        "consent_channel": said("Record how the enterprise agreed to its data being shared."),
        "consent_at": said("Record when the enterprise agreed."),
    }
    future = (timezone.now() + datetime.timedelta(hours=1)).isoformat()
    assert refused(consent_at=future) == {"consent_at": said("The consent cannot be given in the future.")}
    assert refused(station=city.alpha.pk) == {"station": said("A station cannot refer a case to itself.")}
    assert refused(parts=["contact", "bank_account"])["parts"][0].endswith("bank_account")
    assert set(refused(reason="", ask="")) == {"reason", "ask"}
    assert "station" in refused(station=999999)
    stale = refused(version=case.version + 1)
    assert list(stale) == ["version"] and stale["version"][0]
    Station.objects.filter(pk=city.beta.pk).update(status=StationStatus.DRAFT)
    assert refused() == {"station": said("Only a published station takes referrals.")}
    assert alpha.get("/api/v1/referrals/").json()["count"] == 0
    assert alpha.get(f"/api/v1/desk/cases/{case.pk}/").json()["state"] == "received"


@pytest.mark.clause("5.2.2")
def test_each_side_may_only_make_its_own_moves(city, alpha, beta, enterprise):
    sent = refer(alpha, city, alpha_case(city, enterprise)).json()
    accept = move(alpha, sent["id"], sent["version"], to="accepted")
    assert accept.status_code == 400
    assert accept.json() == {
        "to": said("The receiving station answers this referral; you may withdraw it while it waits.")
    }
    stale = move(alpha, sent["id"], sent["version"] + 1, to="withdrawn", reason="企业改变主意")
    assert stale.status_code == 400 and list(stale.json()) == ["version"]
    assert move(alpha, sent["id"], sent["version"], to="lost").json() == {"to": said("Choose a state.")}

    deliver_all(city)
    received = beta.get("/api/v1/referrals/inbox/").json()["results"][0]
    withdraw = move(beta, received["id"], received["version"], to="withdrawn", reason="不想要")
    assert withdraw.status_code == 400
    assert withdraw.json() == {
        "to": said("Work the referral in its case: its progress comes back to the sender from there.")
    }
    no_reason = move(beta, received["id"], received["version"], to="declined")
    assert no_reason.status_code == 400 and no_reason.json() == {"reason": said("Say why.")}
    outsider_booked = move(beta, received["id"], received["version"], to="accepted", assignee=city.alpha_staff.pk)
    assert outsider_booked.status_code == 400 and list(outsider_booked.json()) == ["assignee"]

    declined = move(beta, received["id"], received["version"], to="declined", reason="本站设备检修中")
    assert declined.status_code == 200 and declined.json()["state_reason"] == "本站设备检修中"
    deliver_all(city)
    mine = alpha.get(f"/api/v1/referrals/{sent['id']}/").json()
    assert mine["state"] == "declined" and mine["state_reason"] == "本站设备检修中"
    late = move(alpha, sent["id"], mine["version"], to="withdrawn", reason="晚了")
    assert late.status_code == 400 and list(late.json()) == ["state"]


@pytest.mark.clause("4.4.1")
def test_accepting_books_only_a_member_cleared_for_duty(city, alpha, beta, beta_host, enterprise):
    sent = refer(alpha, city, alpha_case(city, enterprise)).json()
    deliver_all(city)
    received = beta.get("/api/v1/referrals/inbox/").json()["results"][0]
    untrained = untrained_member(city.beta)
    refusal = {"assignee": said("This member has no completed pre-duty training in the staff register yet.")}
    named = move(beta, received["id"], received["version"], to="accepted", assignee=untrained.pk)
    assert named.status_code == 400 and named.json() == refusal
    themselves = move(host_client(beta_host, untrained), received["id"], received["version"], to="accepted")
    assert themselves.status_code == 400 and themselves.json() == refusal
    assert beta.get(f"/api/v1/referrals/{received['id']}/").json()["state"] == "requested"
    deliver_all(city)
    assert alpha.get(f"/api/v1/referrals/{sent['id']}/").json()["state"] == "requested"
    accepted = move(beta, received["id"], received["version"], to="accepted", assignee=city.beta_staff.pk)
    assert accepted.status_code == 200 and accepted.json()["state"] == "accepted"


@pytest.mark.clause("7.3")
def test_the_receiver_sees_exactly_what_was_shared(city, alpha, beta, enterprise):
    case = alpha_case(city, enterprise)
    assert refer(alpha, city, case, parts=["instruments"]).status_code == 201
    deliver_all(city)
    listed = beta.get("/api/v1/referrals/")
    received = beta.get(f"/api/v1/referrals/{listed.json()['results'][0]['id']}/")
    body = received.json()
    assert body["shared_parts"] == ["instruments"]
    assert set(body["shared"]) == {"enterprise", "request", "instruments"}
    assert [row["name"] for row in body["shared"]["instruments"]] == ["压力表"]
    with schema_context(city.beta.schema_name):
        assert body["shared"] == Referral.objects.get(pk=body["id"]).shared
    for response in (listed, received):
        text = response.content.decode()
        assert '"contact"' not in text
        for value in CONTACT.values():
            assert value not in text

    # The case beta opens on accepting holds the shared parts only.
    accepted = move(beta, body["id"], body["version"], to="accepted").json()
    demand = beta.get(f"/api/v1/desk/cases/{accepted['case']}/").json()["demand"]
    opened = beta.get(f"/api/v1/desk/demands/{demand['id']}/")
    assert opened.status_code == 200
    assert opened.json()["phone"] == "" and opened.json()["contact_person"] == ""
    assert [row["name"] for row in opened.json()["tables"]["instruments"]] == ["压力表"]
    for value in CONTACT.values():
        assert value not in opened.content.decode()


def station_requests(referral_pk: int, case_pk: int) -> list[tuple[str, str]]:
    return [
        ("get", "/api/v1/referrals/"),
        ("get", "/api/v1/referrals/inbox/"),
        ("get", "/api/v1/referrals/stations/"),
        ("get", f"/api/v1/referrals/{referral_pk}/"),
        ("post", f"/api/v1/referrals/{referral_pk}/transition/"),
        ("get", f"/api/v1/desk/cases/{case_pk}/referrals/"),
        ("post", f"/api/v1/desk/cases/{case_pk}/referrals/"),
        ("get", f"/api/v1/desk/cases/{case_pk}/share-options/"),
    ]


@pytest.mark.clause("7.3")
@pytest.mark.parametrize(("who", "code"), [(None, 401), ("outsider", 403), ("beta_staff", 403), ("bureau_admin", 403)])
def test_outsiders_are_refused_on_every_referral_endpoint(city, alpha, alpha_host, enterprise, who, code):
    case = alpha_case(city, enterprise)
    sent = refer(alpha, city, case).json()
    client = host_client(alpha_host, getattr(city, who) if who else None)
    for method, path in station_requests(sent["id"], case.pk):
        data = {"to": "withdrawn", "reason": "x", "version": sent["version"]} | referral_form(city, case)
        response = getattr(client, method)(path, data, content_type="application/json")
        assert response.status_code == code, (method, path)
    assert alpha.get(f"/api/v1/referrals/{sent['id']}/").json()["state"] == "requested"
    assert alpha.get("/api/v1/referrals/").json()["count"] == 1


@pytest.mark.clause("7.3")
def test_another_stations_referral_is_not_found(city, alpha, beta, enterprise):
    case = alpha_case(city, enterprise)
    sent = refer(alpha, city, case).json()
    # Not delivered: beta's schema holds no referral, and no case, with these ids.
    with schema_context(city.beta.schema_name):
        assert not Referral.objects.filter(pk=sent["id"]).exists()
        assert not ServiceCase.objects.filter(pk=case.pk).exists()
    for method, path in station_requests(sent["id"], case.pk)[3:]:
        mine = getattr(beta, method)(path, {"to": "accepted", "version": 1}, content_type="application/json")
        nowhere = getattr(beta, method)(
            path.replace(f"/{sent['id']}/", "/999999/").replace(f"/{case.pk}/", "/999999/"),
            {"to": "accepted", "version": 1},
            content_type="application/json",
        )
        assert mine.status_code == nowhere.status_code == 404, (method, path)
        assert mine.json() == nowhere.json()
    assert beta.get("/api/v1/referrals/").json()["count"] == 0


def test_list_queries_do_not_grow_with_the_rows(city, alpha, beta, enterprise, django_assert_num_queries):
    lists = {
        alpha: ["/api/v1/referrals/", "/api/v1/referrals/?direction=out&q=ALPHA", "/api/v1/referrals/stations/"],
        beta: ["/api/v1/referrals/", "/api/v1/referrals/inbox/"],
    }
    refer(alpha, city, alpha_case(city, enterprise))
    deliver_all(city)
    baseline = {}
    for client, paths in lists.items():
        for path in paths:
            with CaptureQueriesContext(connection) as counted:
                assert client.get(path).status_code == 200
            baseline[client, path] = len(counted)
            assert len(counted) > 0
    for _ in range(3):
        refer(alpha, city, alpha_case(city, enterprise))
    deliver_all(city)
    for client, paths in lists.items():
        for path in paths:
            with django_assert_num_queries(baseline[client, path]):
                response = client.get(path)
            if "stations" not in path:
                assert response.json()["count"] == 4, path
    # search path x2, host, session, user, membership (middleware), page with its count
    with django_assert_num_queries(9):
        assert beta.get("/api/v1/referrals/inbox/").json()["count"] == 4


def test_a_case_referrals_query_count_is_fixed(city, alpha, enterprise, django_assert_num_queries):
    case = alpha_case(city, enterprise)
    path = f"/api/v1/desk/cases/{case.pk}/referrals/"
    sent = refer(alpha, city, case).json()
    with CaptureQueriesContext(connection) as baseline:
        assert len(alpha.get(path).json()) == 1
    counted = len(baseline)  # read now: the next request clears the log it reads
    assert counted > 0
    assert move(alpha, sent["id"], sent["version"], to="withdrawn", reason="企业改变主意").status_code == 200
    with schema_context(city.alpha.schema_name):
        version = ServiceCase.objects.get(pk=case.pk).version
    again = refer(alpha, city, case, version=version)
    assert again.status_code == 201, again.json()
    with django_assert_num_queries(counted):
        listed = alpha.get(path).json()
    assert [r["state"] for r in listed] == ["requested", "withdrawn"]
    assert [r["number"] for r in listed] == [again.json()["number"], sent["number"]]


@pytest.mark.clause("5.2.2")
def test_an_institution_referral_is_recorded_on_its_behalf(city, alpha, enterprise):
    institution = Institution.objects.create(name="铁岭市计量测试所（接口测试）", kind="metrology")
    case = alpha_case(city, enterprise)
    with schema_context(city.alpha.schema_name):
        desk.case_plan(
            case=case,
            user=city.alpha_staff,
            kind=PlanKind.INSTITUTION,
            evaluation="送计量所检定",
            institution=institution,
            agreed_items=list(case.items.all()),
        )
    listed = alpha.get(f"/api/v1/desk/cases/{case.pk}/referrals/").json()
    assert [(r["partner"], r["institution"]) for r in listed] == [
        (None, {"id": institution.pk, "name": institution.name})
    ]
    referral = listed[0]
    for to in ("accepted", "in_service"):
        moved = move(alpha, referral["id"], referral["version"], to=to)
        assert moved.status_code == 200, moved.json()
        referral = moved.json()
    no_outcome = move(alpha, referral["id"], referral["version"], to="completed")
    assert no_outcome.status_code == 400 and no_outcome.json() == {"outcome": said("Say what came of it.")}
    done = move(alpha, referral["id"], referral["version"], to="completed", outcome="计量所出具检定证书")
    assert done.status_code == 200
    assert (done.json()["state"], done.json()["outcome"]) == ("completed", "计量所出具检定证书")
    assert [e["to_state"] for e in done.json()["events"]] == ["requested", "accepted", "in_service", "completed"]


def test_the_referral_endpoints_schema_has_no_warnings(city):
    ours = [
        p
        for p in urls_station.urlpatterns
        if getattr(p, "callback", None) and p.callback.__module__ == referrals.__name__
    ]
    assert len(ours) == 7
    with GENERATOR_STATS.silence():
        schema = SchemaGenerator(patterns=ours).get_schema(request=None, public=True)
    assert not GENERATOR_STATS, (dict(GENERATOR_STATS._warn_cache), dict(GENERATOR_STATS._error_cache))
    assert {"/referrals/", "/referrals/{id}/transition/", "/desk/cases/{id}/share-options/"} <= set(schema["paths"])

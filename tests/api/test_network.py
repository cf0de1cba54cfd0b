"""The bureau's referral API on the public host: the station × station matrix and the overdue list read from what the
stations sent, the policy only bureau administrators set and that new referrals follow; station staff and outsiders
refused."""

import datetime

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_tenants.utils import schema_context
from drf_spectacular.drainage import GENERATOR_STATS
from drf_spectacular.generators import SchemaGenerator

from core.common import workdays
from core.directory.models import Institution
from core.referrals import services
from core.referrals.models import Direction, Referral
from tests.conftest import host_client
from tests.core.desk.builders import new_enterprise, take_demand
from tests.core.referrals.builders import beta_case, deliver_all, institution_referral, refer

pytestmark = pytest.mark.django_db

PATHS = ["/api/v1/referrals/matrix/", "/api/v1/referrals/overdue/", "/api/v1/referrals/policy/"]


@pytest.fixture
def enterprise(city):
    return new_enterprise(phone="024-72345678")


@pytest.fixture
def viewer(city, public_host):
    return host_client(public_host, city.bureau_viewer)


@pytest.fixture
def admin(city, public_host):
    return host_client(public_host, city.bureau_admin)


def alpha_refers(city, enterprise) -> Referral:
    with schema_context(city.alpha.schema_name):
        return refer(city, take_demand(city, enterprise).cases.get())


def beta_answers(city, referral: Referral, to: str) -> None:
    with schema_context(city.beta.schema_name):
        incoming = Referral.objects.get(uid=referral.uid, direction=Direction.INCOMING)
        services.referral_transition(referral=incoming, user=city.beta_staff, to=to, reason="本站设备检修中")


def beta_refers(city, enterprise) -> Referral:
    case = beta_case(city, enterprise)
    with schema_context(city.beta.schema_name):
        return services.referral_create(
            case=case,
            user=city.beta_staff,
            station=city.alpha,
            reason="本站无此能力",
            ask="请检定",
            parts=[],
            consent_channel="signed",
            consent_at=timezone.now(),
        )


def alpha_plans_an_institution(city, enterprise, institution) -> Referral:
    with schema_context(city.alpha.schema_name):
        return institution_referral(city, take_demand(city, enterprise).cases.get(), institution)


@pytest.fixture
def flows(city, published, enterprise):
    """Alpha → beta: one accepted, one declined; beta → alpha: one waiting; alpha → an institution: one."""
    accepted, declined = alpha_refers(city, enterprise), alpha_refers(city, enterprise)
    deliver_all(city)
    beta_answers(city, accepted, "accepted")
    beta_answers(city, declined, "declined")
    waiting = beta_refers(city, new_enterprise(name="铁岭市开原区网络测试有限公司"))
    institution = Institution.objects.create(name="铁岭市计量测试所（网络测试）", kind="metrology")
    alpha_plans_an_institution(city, enterprise, institution)
    deliver_all(city)
    return {"accepted": accepted, "declined": declined, "waiting": waiting}


def counts(cell: dict) -> dict:
    return {name: cell[name] for name in ("total", "answered", "accepted", "declined", "open", "completed", "overdue")}


@pytest.mark.clause("5.2.2")
def test_the_matrix_counts_flows_between_stations(city, viewer, flows):
    response = viewer.get("/api/v1/referrals/matrix/")
    assert response.status_code == 200, response.json()
    matrix = response.json()
    assert matrix["stations"] == [
        {"id": city.alpha.pk, "code": "alpha", "name": city.alpha.name},
        {"id": city.beta.pk, "code": "beta", "name": city.beta.name},
    ]
    cells = {(cell["from"], cell["to"]): cell for cell in matrix["cells"]}
    assert set(cells) == {(city.alpha.pk, city.beta.pk), (city.beta.pk, city.alpha.pk)}
    alpha_to_beta = cells[city.alpha.pk, city.beta.pk]
    assert counts(alpha_to_beta) == {
        "total": 2,
        "answered": 2,
        "accepted": 1,
        "declined": 1,
        "open": 1,
        "completed": 0,
        "overdue": 0,
    }
    assert alpha_to_beta["acceptance_rate"] == 0.5
    assert alpha_to_beta["median_accept_hours"] is not None and 0 <= alpha_to_beta["median_accept_hours"] < 1
    beta_to_alpha = cells[city.beta.pk, city.alpha.pk]
    assert (beta_to_alpha["total"], beta_to_alpha["open"], beta_to_alpha["answered"]) == (1, 1, 0)
    assert beta_to_alpha["acceptance_rate"] is None and beta_to_alpha["median_accept_hours"] is None
    assert {row["station"]: row["total"] for row in matrix["sent"]} == {city.alpha.pk: 2, city.beta.pk: 1}
    assert {row["station"]: row["total"] for row in matrix["received"]} == {city.alpha.pk: 1, city.beta.pk: 2}
    assert {row["station"]: row["total"] for row in matrix["to_institutions"]} == {city.alpha.pk: 1}
    assert counts(matrix["total"])["total"] == 3 and matrix["total"]["accepted"] == 1
    # The bureau's read model holds no enterprise's data.
    assert "024-72345678" not in response.content.decode()
    assert "铁岭市银州区前台测试机械有限公司" not in response.content.decode()


def test_the_matrix_takes_a_period(city, viewer, flows):
    today = timezone.localdate()
    assert viewer.get(f"/api/v1/referrals/matrix/?from={today}&to={today}").json()["total"]["total"] == 3
    later = viewer.get(f"/api/v1/referrals/matrix/?from={today + datetime.timedelta(days=1)}").json()
    assert (later["stations"], later["cells"], later["total"]["total"]) == ([], [], 0)
    earlier = viewer.get(f"/api/v1/referrals/matrix/?to={today - datetime.timedelta(days=1)}").json()
    assert earlier["total"]["total"] == 0
    refused = viewer.get("/api/v1/referrals/matrix/?from=yesterday")
    assert refused.status_code == 400 and list(refused.json()) == ["from"]


def test_the_matrix_query_count_does_not_grow_with_the_flows(
    city, viewer, flows, enterprise, django_assert_num_queries
):
    with CaptureQueriesContext(connection) as baseline:
        assert viewer.get("/api/v1/referrals/matrix/").status_code == 200
    counted = len(baseline)  # read now: the next request clears the log it reads
    assert counted > 0
    for _ in range(3):
        alpha_refers(city, enterprise)
    beta_refers(city, enterprise)
    deliver_all(city)
    with django_assert_num_queries(counted):
        assert viewer.get("/api/v1/referrals/matrix/").json()["total"]["total"] == 7


@pytest.mark.clause("5.2.2")
def test_overdue_referrals_are_listed_for_the_bureau(city, viewer, flows, enterprise, django_assert_num_queries):
    assert viewer.get("/api/v1/referrals/overdue/").json()["count"] == 0
    late = alpha_refers(city, enterprise)
    with schema_context(city.alpha.schema_name):
        Referral.objects.filter(pk=late.pk).update(accept_due_at=timezone.now() - datetime.timedelta(hours=1))
        assert services.referral_overdue_flag() == 1
    deliver_all(city)
    listed = viewer.get("/api/v1/referrals/overdue/").json()
    assert [flow["number"] for flow in listed["results"]] == [late.number]
    flow = listed["results"][0]
    assert flow["from_station"]["code"] == "alpha" and flow["to_station"]["code"] == "beta"
    assert flow["institution"] is None and flow["category"]["clause"] == "5.1.6"
    assert flow["state"] == "requested" and flow["overdue_at"] is not None
    matrix = viewer.get("/api/v1/referrals/matrix/").json()
    assert {(c["from"], c["to"]): c["overdue"] for c in matrix["cells"]}[city.alpha.pk, city.beta.pk] == 1

    with CaptureQueriesContext(connection) as baseline:
        viewer.get("/api/v1/referrals/overdue/")
    counted = len(baseline)  # read now: the next request clears the log it reads
    assert counted > 0
    second = alpha_refers(city, enterprise)
    with schema_context(city.alpha.schema_name):
        Referral.objects.filter(pk=second.pk).update(accept_due_at=timezone.now() - datetime.timedelta(hours=2))
        assert services.referral_overdue_flag() == 1
    deliver_all(city)
    with django_assert_num_queries(counted):
        assert viewer.get("/api/v1/referrals/overdue/").json()["count"] == 2


def test_the_policy_is_read_by_the_bureau_and_set_by_its_administrators(city, viewer, admin):
    default = viewer.get("/api/v1/referrals/policy/").json()
    assert default == {
        "accept_working_days": settings.REFERRAL_ACCEPT_WORKING_DAYS,
        "updated_at": None,
        "updated_by": None,
    }
    refused = viewer.put("/api/v1/referrals/policy/", {"accept_working_days": 5}, content_type="application/json")
    assert refused.status_code == 403
    for wrong in (0, 31):
        bad = admin.put("/api/v1/referrals/policy/", {"accept_working_days": wrong}, content_type="application/json")
        assert bad.status_code == 400 and list(bad.json()) == ["accept_working_days"], wrong
    assert admin.put("/api/v1/referrals/policy/", {}, content_type="application/json").status_code == 400
    assert viewer.get("/api/v1/referrals/policy/").json()["updated_at"] is None

    changed = admin.put("/api/v1/referrals/policy/", {"accept_working_days": 5}, content_type="application/json")
    assert changed.status_code == 200, changed.json()
    assert changed.json()["accept_working_days"] == 5
    assert changed.json()["updated_by"] == city.bureau_admin.display_name
    read = viewer.get("/api/v1/referrals/policy/").json()
    assert read == changed.json() and read["updated_at"] is not None


@pytest.mark.clause("5.2.2")
def test_a_new_policy_sets_the_deadline_of_the_next_referral(city, admin, alpha_host, published, enterprise):
    days = settings.REFERRAL_ACCEPT_WORKING_DAYS + 3
    staff = host_client(alpha_host, city.alpha_staff)

    def referred() -> dict:
        with schema_context(city.alpha.schema_name):
            case = take_demand(city, enterprise).cases.get()
        response = staff.post(
            f"/api/v1/desk/cases/{case.pk}/referrals/",
            {
                "station": city.beta.pk,
                "reason": "本站无压力表检定能力",
                "ask": "请为企业安排压力表检定",
                "parts": [],
                "consent_channel": "phone",
                "consent_at": timezone.now().isoformat(),
                "version": case.version,
            },
            content_type="application/json",
        )
        assert response.status_code == 201, response.json()
        return response.json()

    def deadline(referral: dict, working_days: int) -> datetime.datetime:
        return workdays.add_working_days(datetime.datetime.fromisoformat(referral["requested_at"]), working_days)

    before = referred()
    assert datetime.datetime.fromisoformat(before["accept_due_at"]) == deadline(
        before, settings.REFERRAL_ACCEPT_WORKING_DAYS
    )
    assert (
        admin.put(
            "/api/v1/referrals/policy/", {"accept_working_days": days}, content_type="application/json"
        ).status_code
        == 200
    )
    after = referred()
    due = datetime.datetime.fromisoformat(after["accept_due_at"])
    assert due == deadline(after, days)
    assert due > deadline(after, settings.REFERRAL_ACCEPT_WORKING_DAYS)
    # A referral already made keeps its deadline.
    unchanged = host_client(alpha_host, city.alpha_staff).get(f"/api/v1/referrals/{before['id']}/").json()
    assert unchanged["accept_due_at"] == before["accept_due_at"]


@pytest.mark.clause("7.3")
@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize("who", ["outsider", "alpha_staff", "alpha_head", "beta_staff"])
def test_only_bureau_roles_read_the_network(city, public_host, path, who):
    assert host_client(public_host, getattr(city, who)).get(path).status_code == 403
    assert host_client(public_host).get(path).status_code in {401, 403}
    assert host_client(public_host, city.bureau_viewer).get(path).status_code == 200
    assert host_client(public_host, city.bureau_admin).get(path).status_code == 200


@pytest.mark.parametrize("who", ["bureau_viewer", "alpha_head", "outsider", None])
def test_only_bureau_administrators_set_the_policy(city, public_host, who):
    client = host_client(public_host, getattr(city, who) if who else None)
    response = client.put("/api/v1/referrals/policy/", {"accept_working_days": 9}, content_type="application/json")
    assert response.status_code in ({401, 403} if who is None else {403})
    assert host_client(public_host, city.bureau_viewer).get(PATHS[2]).json()["accept_working_days"] != 9


@pytest.mark.parametrize("path", PATHS)
def test_the_bureau_endpoints_are_not_on_station_hosts(city, alpha_host, path):
    # A station host serves the station's own endpoints only: the bureau's are not there, for anyone.
    assert host_client(alpha_host, city.alpha_head).get(path).status_code == 404
    assert host_client(alpha_host, city.bureau_admin).get(path).status_code == 403


def test_the_public_schema_lists_the_network_endpoints_without_warnings(city):
    with GENERATOR_STATS.silence():
        schema = SchemaGenerator(urlconf="stationnet.urls_public").get_schema(request=None, public=True)
    assert not GENERATOR_STATS, (dict(GENERATOR_STATS._warn_cache), dict(GENERATOR_STATS._error_cache))
    assert set(PATHS) <= set(schema["paths"])
    assert set(schema["paths"]["/api/v1/referrals/policy/"]) == {"get", "put"}

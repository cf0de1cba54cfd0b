"""API of station operations (/api/v1/operations/…): members read, the head writes (members record maintenance),
nobody else gets in, lists in a fixed number of queries, uploads checked by content."""

import datetime

import pytest
from django.utils import timezone
from django_tenants.utils import schema_context

from core.operations import services
from core.operations.models import EquipmentKind
from tests.conftest import host_client
from tests.core.evaluation.builders import PDF, PNG, upload

pytestmark = pytest.mark.django_db

API = "/api/v1/operations/"
READS = ["staff/", "trainings/", "equipment/", "systems/", "evidence/"]


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.mark.parametrize("who", ["beta_head", "beta_staff", "bureau_admin", "outsider"])
def test_nobody_else_reads_or_writes(city, alpha_host, who):
    client = host_client(alpha_host, getattr(city, who))
    for path in READS:
        assert client.get(API + path).status_code == 403, path
    assert client.post(API + "systems/a/versions/", {"effective_on": "2026-01-01", "text": "x"}).status_code == 403
    assert host_client(alpha_host).get(API + "staff/").status_code in (401, 403)


@pytest.mark.clause("4.4.1")
def test_members_read_the_register_with_who_is_cleared(city, alpha_host):
    rows = host_client(alpha_host, city.alpha_staff).get(API + "staff/").json()
    by_id = {row["user"]["id"]: row for row in rows}
    assert rows[0]["is_head"] and rows[0]["user"]["id"] == city.alpha_head.pk
    assert by_id[city.alpha_staff.pk]["cleared_for_duty"] is True
    invitee = next(row for row in rows if row["user"]["id"] not in (city.alpha_head.pk, city.alpha_staff.pk))
    assert invitee["cleared_for_duty"] is False


@pytest.mark.clause("4.5")
def test_only_the_head_publishes_and_files_are_checked(city, alpha_host):
    staff = host_client(alpha_host, city.alpha_staff)
    head = host_client(alpha_host, city.alpha_head)
    path = API + "systems/c/versions/"
    assert staff.post(path, {"effective_on": "2026-01-01", "text": "x"}).status_code == 403
    refused = head.post(path, {"effective_on": "2026-01-01", "file": upload("x.pdf", PNG)})
    assert refused.status_code == 400 and "file" in refused.json()
    created = head.post(path, {"effective_on": "2026-01-01", "file": upload("档案.pdf", PDF), "text": "档案管理"})
    assert created.status_code == 201 and created.json()["number"] == 1
    systems = {row["code"]: row for row in staff.get(API + "systems/").json()}
    assert systems["c"]["current"]["number"] == 1 and systems["a"]["current"] is None
    assert staff.get(API + "evidence/").json()["systems_current"] == 1


@pytest.mark.clause("4.3.5")
def test_equipment_in_a_fixed_number_of_queries_and_members_record_maintenance(
    city, alpha_host, django_assert_num_queries
):
    head = host_client(alpha_host, city.alpha_head)
    staff = host_client(alpha_host, city.alpha_staff)
    body = {"kind": EquipmentKind.FIRE, "name": "灭火器", "maintenance_interval_days": 30}
    assert staff.post(API + "equipment/", body, content_type="application/json").status_code == 403
    created = head.post(API + "equipment/", body, content_type="application/json")
    assert created.status_code == 201
    pk = created.json()["id"]
    today = timezone.localdate().isoformat()
    log = staff.post(
        f"{API}equipment/{pk}/maintenance/", {"performed_on": today, "work": "检查"}, content_type="application/json"
    )
    assert log.status_code == 201
    assert log.json()["next_due"] == (timezone.localdate() + datetime.timedelta(days=30)).isoformat()
    staff.get(API + "equipment/")
    with django_assert_num_queries(9) as captured:
        assert len(staff.get(API + "equipment/").json()["results"]) == 1
    with schema_context(city.alpha.schema_name):
        for i in range(4):
            services.equipment_create(
                user=city.alpha_head, kind=EquipmentKind.OFFICE, name=f"电脑{i}", maintenance_interval_days=9
            )
    with django_assert_num_queries(len(captured.captured_queries)):
        assert len(staff.get(API + "equipment/").json()["results"]) == 5
    assert host_client(alpha_host, city.beta_head).post(f"{API}equipment/{pk}/maintenance/", {}).status_code == 403


def test_a_training_takes_only_members(city, alpha_host):
    head = host_client(alpha_host, city.alpha_head)
    data = {"title": "岗前", "held_on": "2026-01-05", "hours": "4", "kind": "pre_duty"}
    refused = head.post(API + "trainings/", {**data, "attendees": [city.beta_staff.pk]})
    assert refused.status_code == 400 and "attendees" in refused.json()
    created = head.post(
        API + "trainings/", {**data, "attendees": [city.alpha_staff.pk], "certificate": upload("c.pdf", PDF)}
    )
    assert created.status_code == 201 and created.json()["has_certificate"] is True

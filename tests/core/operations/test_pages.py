"""Operations pages of a station host (/operations/): members read, the head writes (members record maintenance);
nobody else gets in; another station's rows do not exist here; the desk offers only members cleared for duty; the
evaluation page shows what the operations give the self-assessment."""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone
from django_tenants.utils import schema_context

from core.operations import services
from core.operations.models import Equipment, EquipmentKind, SystemDocumentVersion, TrainingKind
from tests.conftest import host_client
from tests.core.desk.builders import new_enterprise, take_demand
from tests.core.evaluation.builders import PDF, PNG, upload

pytestmark = pytest.mark.django_db

PAGES = [
    "/operations/",
    "/operations/equipment/",
    "/operations/systems/",
    "/operations/systems/a/",
    "/operations/display/",
]


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def in_alpha(city, call, **kwargs):
    with schema_context(city.alpha.schema_name):
        return call(**kwargs)


@pytest.mark.clause("4.4.2")
@pytest.mark.parametrize("who", ["alpha_head", "alpha_staff"])
def test_members_read_every_page(city, alpha_host, who):
    client = host_client(alpha_host, getattr(city, who))
    for page in PAGES:
        assert client.get(page).status_code == 200, page
    html = client.get("/operations/").content.decode()
    assert 'id="station-head"' in html and city.alpha_head.display_name in html
    assert ('id="training-form"' in html) == (who == "alpha_head")


@pytest.mark.parametrize("who", ["beta_head", "beta_staff", "bureau_admin", "outsider"])
def test_nobody_else_reaches_the_pages(city, alpha_host, public_host, who):
    client = host_client(alpha_host, getattr(city, who))
    for page in PAGES:
        assert client.get(page).status_code == 403, page
        assert client.post(page, {"action": "record"}).status_code == 403, page
    assert host_client(alpha_host).get(PAGES[0]).status_code == 302  # anonymous: to sign-in
    assert host_client(public_host, city.bureau_admin).get(PAGES[0]).status_code == 404


def test_the_staff_read_but_only_record_maintenance(city, alpha_host):
    item = in_alpha(
        city, services.equipment_create, user=city.alpha_head, kind=EquipmentKind.SCREENS, name="触摸屏",
        maintenance_interval_days=90,
    )  # fmt: skip
    staff = host_client(alpha_host, city.alpha_staff)
    assert staff.post("/operations/equipment/", {"kind": "fire", "name": "x"}).status_code == 403
    assert staff.post("/operations/systems/a/", {"effective_on": "2026-01-01", "text": "x"}).status_code == 403
    assert staff.post("/operations/display/", {"process": "x"}).status_code == 403
    today = timezone.localdate().isoformat()
    response = staff.post(f"/operations/equipment/{item.pk}/", {"performed_on": today, "work": "清洁、校准"})
    assert response.status_code == 302
    with schema_context(city.alpha.schema_name):
        assert Equipment.objects.get(pk=item.pk).logs.get().performed_by == city.alpha_staff


def plan_staff(response) -> str:
    """The choices of the service plan's staff (the plan is the case page's first form with a staff field)."""
    html = response.content.decode()
    start = html.index('name="staff"')
    return html[start : html.index("</select>", start)]


@pytest.mark.clause("4.4.1")
def test_the_head_records_a_pre_duty_training_and_the_desk_offers_only_cleared_members(city, alpha_host):
    with schema_context(city.alpha.schema_name):
        case = take_demand(city, new_enterprise()).cases.get()
    from tenants.models import Membership

    invitee = Membership.objects.get(pk=city.invitee_membership_id).user
    head = host_client(alpha_host, city.alpha_head)
    html = plan_staff(head.get(f"/desk/cases/{case.pk}/"))
    assert f'value="{city.alpha_staff.pk}"' in html and f'value="{invitee.pk}"' not in html

    data = {
        "action": "training",
        "training-title": "上岗前培训",
        "training-held_on": timezone.localdate().isoformat(),
        "training-hours": "8",
        "training-kind": TrainingKind.PRE_DUTY,
        "training-attendees": [invitee.pk],
        "training-certificate": upload("证书.pdf", b"GIF89a not accepted"),
    }
    refused = head.post("/operations/", data)
    assert refused.status_code == 400 and "上岗前培训" in refused.content.decode()  # typed values kept
    data["training-certificate"] = upload("证书.pdf", PDF)
    assert head.post("/operations/", data).status_code == 302
    assert f'value="{invitee.pk}"' in plan_staff(head.get(f"/desk/cases/{case.pk}/"))


@pytest.mark.clause("4.5")
def test_the_head_publishes_a_version_and_its_file_is_served_to_members_only(city, alpha_host, beta_host):
    head = host_client(alpha_host, city.alpha_head)
    refused = head.post("/operations/systems/b/", {"effective_on": "2026-01-01", "file": upload("x.pdf", PNG)})
    assert refused.status_code == 400
    response = head.post("/operations/systems/b/", {"effective_on": "2026-01-01", "file": upload("服务过程.pdf", PDF)})
    assert response.status_code == 302
    with schema_context(city.alpha.schema_name):
        version = SystemDocumentVersion.objects.get(document__code="b")
    html = head.get("/operations/systems/b/").content.decode()
    assert 'data-current="yes"' in html and "服务过程.pdf" in html
    download = host_client(alpha_host, city.alpha_staff).get(f"/operations/systems/versions/{version.pk}/file/")
    assert download.status_code == 200 and b"".join(download.streaming_content).startswith(b"%PDF-")
    assert (
        host_client(beta_host, city.beta_head).get(f"/operations/systems/versions/{version.pk}/file/").status_code
        == 404
    )
    assert head.get("/operations/systems/z/").status_code == 404


def test_another_stations_rows_do_not_exist_here(city, alpha_host, beta_host):
    item = in_alpha(
        city, services.equipment_create, user=city.alpha_head, kind=EquipmentKind.FIRE, name="灭火器",
        maintenance_interval_days=30,
    )  # fmt: skip
    beta = host_client(beta_host, city.beta_head)
    assert beta.get(f"/operations/equipment/{item.pk}/").status_code == 404
    assert (
        beta.post(f"/operations/equipment/{item.pk}/", {"performed_on": "2026-01-01", "work": "x"}).status_code == 404
    )
    assert "灭火器" not in beta.get("/operations/equipment/").content.decode()


@pytest.mark.clause("4.3.5")
def test_the_equipment_list_flags_overdue_in_a_fixed_number_of_queries(city, alpha_host, django_assert_num_queries):
    def add(n):
        with schema_context(city.alpha.schema_name):
            for i in range(n):
                services.equipment_create(
                    user=city.alpha_head, kind=EquipmentKind.OFFICE, name=f"电脑{i}", maintenance_interval_days=30,
                    next_maintenance_due=timezone.localdate() - datetime.timedelta(days=2 * i - 1),
                )  # fmt: skip

    client = host_client(alpha_host, city.alpha_head)
    add(2)
    client.get("/operations/equipment/")
    with django_assert_num_queries(9) as captured:
        html = client.get("/operations/equipment/").content.decode()
    few = len(captured.captured_queries)
    assert 'data-overdue="yes"' in html and 'data-overdue="no"' in html
    add(5)
    with django_assert_num_queries(few):
        client.get("/operations/equipment/")


def test_the_register_and_trainings_in_a_fixed_number_of_queries(city, alpha_host, django_assert_max_num_queries):
    client = host_client(alpha_host, city.alpha_head)
    with schema_context(city.alpha.schema_name):
        for i in range(3):
            services.training_create(
                user=city.alpha_head, title=f"培训{i}", held_on=timezone.localdate(), hours=Decimal(2),
                kind=TrainingKind.ONGOING, attendees=[city.alpha_head, city.alpha_staff],
            )  # fmt: skip
            services.staff_qualification_add(user=city.alpha_head, member=city.alpha_staff, name=f"资格{i}")
    with django_assert_max_num_queries(17):
        assert client.get("/operations/").status_code == 200


@pytest.mark.clause("4.2.2")
def test_the_display_shows_the_phones_and_the_process(city, alpha_host):
    head = host_client(alpha_host, city.alpha_head)
    assert head.post("/operations/display/", {"process": "受理→评估→服务→回访", "notes": ""}).status_code == 302
    html = head.get("/operations/display/").content.decode()
    assert city.alpha.service_phone in html and city.alpha.complaint_phone in html and "受理→评估→服务→回访" in html


@pytest.mark.clause("4.4.1")
def test_the_evaluation_page_shows_the_operations_evidence(city, alpha_host):
    html = host_client(alpha_host, city.alpha_head).get("/station/evaluation/").content.decode()
    assert 'id="operations-evidence"' in html and 'data-clause="4.5"' in html

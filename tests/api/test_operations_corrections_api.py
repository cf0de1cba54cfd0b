"""API of the operations registers' corrections: the head PATCHes a qualification, a training or an item and withdraws,
cancels or retires it; the staff cannot (403); another station's record is missing (404); nobody else gets in."""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone
from django_tenants.utils import schema_context

from core.desk import services as desk
from core.operations import services
from core.operations.models import EquipmentKind, TrainingKind
from tenants.models import Membership
from tests.conftest import host_client
from tests.core.desk.builders import new_enterprise, take_demand

pytestmark = pytest.mark.django_db

API = "/api/v1/operations/"


@pytest.fixture
def rows(city):
    with schema_context(city.alpha.schema_name):
        qualification = services.staff_qualification_add(
            user=city.alpha_head, member=city.alpha_staff, name="计量检订员", number="JL-001"
        )
        training = services.training_create(
            user=city.alpha_head, title="上岗前培训", held_on=timezone.localdate(), hours=Decimal(4),
            kind=TrainingKind.PRE_DUTY, attendees=[city.alpha_staff],
        )  # fmt: skip
        item = services.equipment_create(
            user=city.alpha_head, kind=EquipmentKind.FIRE, name="灭火器", maintenance_interval_days=30
        )
    return {
        "qualification": f"{API}qualifications/{qualification.pk}/",
        "training": f"{API}trainings/{training.pk}/",
        "equipment": f"{API}equipment/{item.pk}/",
    }


RETIRE = {"qualification": "withdraw/", "training": "cancel/", "equipment": "retire/"}


def test_the_head_corrects_and_retires_through_the_api(city, alpha_host, rows):
    head = host_client(alpha_host, city.alpha_head)
    json = "application/json"
    answer = head.patch(rows["qualification"], {"name": "计量检定员"}, content_type=json)
    assert answer.status_code == 200 and answer.json()["name"] == "计量检定员" and answer.json()["number"] == "JL-001"
    refused = head.post(rows["qualification"] + "withdraw/", {"reason": ""}, content_type=json)
    assert refused.status_code == 400 and refused.json() == {"reason": ["请填写原因。"]}
    assert head.post(rows["qualification"] + "withdraw/", {"reason": "过期"}, content_type=json).status_code == 200
    register = {r["user"]["id"]: r for r in head.get(API + "staff/").json()}[city.alpha_staff.pk]
    assert register["qualifications"] == []
    assert register["withdrawn_qualifications"][0]["withdrawal_reason"] == "过期"

    answer = head.patch(rows["training"], {"trainer": "李老师", "hours": "2.5"}, content_type=json)
    assert answer.status_code == 200 and answer.json()["trainer"] == "李老师" and answer.json()["hours"] == "2.5"
    invitee = Membership.objects.get(pk=city.invitee_membership_id).user
    answer = head.patch(
        rows["training"], {"attendees": [city.alpha_staff.pk, invitee.pk], "completed": [invitee.pk]}, content_type=json
    )
    assert {(a["id"], a["completed"]) for a in answer.json()["attendees"]} == {
        (city.alpha_staff.pk, False),
        (invitee.pk, True),
    }
    with schema_context(city.alpha.schema_name):
        case = take_demand(city, new_enterprise()).cases.get()
        desk.case_assign(case=case, user=city.alpha_head, assignee=invitee)
    refused = head.post(rows["training"] + "cancel/", {"reason": "误录"}, content_type=json)
    assert refused.status_code == 400 and "名下仍有 1 件未办结的服务事项" in refused.json()["detail"][0]

    answer = head.patch(
        rows["equipment"], {"model_number": "MFZ/ABC4", "maintenance_interval_days": 0}, content_type=json
    )
    assert answer.status_code == 400 and "maintenance_interval_days" in answer.json()
    answer = head.patch(rows["equipment"], {"model_number": "MFZ/ABC4"}, content_type=json)
    assert answer.status_code == 200 and answer.json()["model_number"] == "MFZ/ABC4"
    tomorrow = (timezone.localdate() + datetime.timedelta(days=1)).isoformat()
    refused = head.post(rows["equipment"] + "retire/", {"reason": "损坏", "on": tomorrow}, content_type=json)
    assert refused.status_code == 400 and refused.json() == {"retired_on": ["日期不能晚于今天。"]}
    answer = head.post(rows["equipment"] + "retire/", {"reason": "损坏"}, content_type=json)
    assert answer.status_code == 200 and answer.json()["retired_on"] == timezone.localdate().isoformat()
    assert head.get(API + "equipment/").json()["results"] == []
    assert [e["name"] for e in head.get(API + "equipment/?retired=yes").json()["results"]] == ["灭火器"]


@pytest.mark.parametrize("kind", ["qualification", "training", "equipment"])
def test_only_the_head_and_only_here(city, alpha_host, beta_host, rows, kind):
    path, retire = rows[kind], rows[kind] + RETIRE[kind]
    staff = host_client(alpha_host, city.alpha_staff)
    assert staff.patch(path, {"name": "x"}, content_type="application/json").status_code == 403
    assert staff.post(retire, {"reason": "x"}, content_type="application/json").status_code == 403
    beta = host_client(beta_host, city.beta_head)
    missing = path.rsplit("/", 2)[0] + "/999999/"
    for p in (path, missing):
        assert beta.patch(p, {"name": "x"}, content_type="application/json").status_code == 404, p
    assert beta.post(retire, {"reason": "x"}, content_type="application/json").status_code == 404
    for who in ("beta_head", "bureau_admin", "outsider"):
        client = host_client(alpha_host, getattr(city, who))
        assert client.patch(path, {}, content_type="application/json").status_code == 403
        assert client.post(retire, {"reason": "x"}, content_type="application/json").status_code == 403
    assert host_client(alpha_host).patch(path, {}, content_type="application/json").status_code in (401, 403)

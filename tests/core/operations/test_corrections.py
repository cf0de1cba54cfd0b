"""Corrections and retirements of the operations registers (clauses 4.3-4.5, and clause 7's "nothing silently
deleted"): the head corrects or withdraws a qualification, corrects or cancels a training (and its attendance),
corrects or retires an item of equipment. Nothing is deleted: each stays in the register, shown as withdrawn,
cancelled or retired, and stops counting; each change is in the station's activity log. A change that would take a
member's clearance for duty while they hold open cases is refused, naming how many."""

import datetime
import re
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone
from django_tenants.utils import schema_context

from core.activity.models import ActivityEntry, ActivityVerb
from core.desk import services as desk
from core.desk.models import CaseState, ServiceCase
from core.operations import selectors, services
from core.operations.models import Equipment, EquipmentKind, StaffQualification, Training, TrainingKind
from tests.conftest import host_client
from tests.core.desk.builders import new_enterprise, take_demand
from tests.core.evaluation.builders import JPEG, upload
from tests.core.operations.builders import training_add

pytestmark = pytest.mark.django_db

TODAY = datetime.date(2026, 3, 2)
NOON = datetime.datetime(2026, 3, 2, 4, tzinfo=datetime.UTC)  # 12:00 in Tieling
OPEN_CASES = "名下仍有 1 件未办结的服务事项"


def _qualification(city, member=None, **extra):
    values = {"name": "计量检定员", "number": "JL-001", "valid_until": datetime.date(2027, 1, 1)} | extra
    return services.staff_qualification_add(user=city.alpha_head, member=member or city.alpha_staff, **values)


def _item(city, **extra):
    values = {"kind": EquipmentKind.FIRE, "name": "灭火器", "maintenance_interval_days": 30} | extra
    return services.equipment_create(user=city.alpha_head, **values)


def _logged(verb) -> list[str]:
    return list(ActivityEntry.objects.filter(verb=verb).values_list("detail", flat=True))


def _open_case_for(city, member):
    case = take_demand(city, new_enterprise()).cases.get()
    return desk.case_assign(case=case, user=city.alpha_head, assignee=member)


# --- Services -------------------------------------------------------------------------------------------------------


@pytest.mark.clause("4.4.1")
def test_the_head_corrects_and_withdraws_a_qualification_which_is_kept(city, alpha):
    qualification = _qualification(city, name="计量检订员")
    corrected = services.staff_qualification_update(
        user=city.alpha_head, qualification=qualification, name="计量检定员", number="JL-002", valid_until=TODAY
    )
    assert (corrected.name, corrected.number, corrected.valid_until) == ("计量检定员", "JL-002", TODAY)
    [detail] = _logged(ActivityVerb.QUALIFICATION_CHANGED)
    assert "计量检定员" in detail and "资质" in detail and "证书编号" in detail

    with pytest.raises(ValidationError) as raised:
        services.staff_qualification_withdraw(user=city.alpha_head, qualification=qualification, reason=" ")
    assert raised.value.message_dict == {"reason": ["请填写原因。"]}
    with pytest.raises(ValidationError) as raised:
        services.staff_qualification_withdraw(
            user=city.alpha_head,
            qualification=qualification,
            reason="证书过期",
            withdrawn_on=timezone.localdate() + datetime.timedelta(days=1),
        )
    assert raised.value.message_dict == {"withdrawn_on": ["日期不能晚于今天。"]}
    with pytest.raises(PermissionDenied):
        services.staff_qualification_withdraw(user=city.alpha_staff, qualification=qualification, reason="过期")

    services.staff_qualification_withdraw(
        user=city.alpha_head, qualification=qualification, reason="证书过期未复审", withdrawn_on=TODAY
    )
    kept = StaffQualification.objects.get(pk=qualification.pk)  # kept, not deleted
    assert kept.withdrawn_on == TODAY and kept.withdrawal_reason == "证书过期未复审"
    row = next(r for r in selectors.staff_register(station=city.alpha) if r.user == city.alpha_staff)
    assert row.qualifications == [] and row.withdrawn == [kept]  # no longer valid, still shown
    assert "证书过期未复审" in _logged(ActivityVerb.QUALIFICATION_WITHDRAWN)[0]

    with pytest.raises(ValidationError) as raised:
        services.staff_qualification_update(user=city.alpha_head, qualification=kept, name="x")
    assert raised.value.messages == ["已撤销的资格按撤销时的内容保留，不能再修改。"]
    with pytest.raises(ValidationError) as raised:
        services.staff_qualification_withdraw(user=city.alpha_head, qualification=kept, reason="again")
    assert raised.value.messages == ["该资格已经撤销。"]


def test_a_certificate_added_in_a_correction_is_checked_stored_and_logged(city, alpha):
    training = training_add(city, [city.alpha_staff], kind=TrainingKind.ONGOING)
    facts = {
        "user": city.alpha_head,
        "training": training,
        "title": training.title,
        "held_on": training.held_on,
        "hours": training.hours,
        "kind": training.kind,
        "trainer": training.trainer,
        "attendees": [city.alpha_staff],
        "completed": [city.alpha_staff],
    }
    with pytest.raises(ValidationError) as raised:
        services.training_update(**facts, certificate=upload("证书.pdf", b"MZ\x90\x00 not a pdf"))
    assert "certificate" in raised.value.message_dict
    training.refresh_from_db()
    assert not training.certificate
    services.training_update(**facts, certificate=upload("结业证书.jpg", JPEG))
    training.refresh_from_db()
    assert training.certificate_kind == "jpeg" and training.certificate.name.endswith(".jpg")
    [detail] = _logged(ActivityVerb.TRAINING_CHANGED)
    assert "结业证书.jpg" in detail


@pytest.mark.clause("4.4.1")
def test_the_head_corrects_a_trainings_facts_and_attendance(city, alpha, invitee):
    training = training_add(city, [city.alpha_staff], kind=TrainingKind.ONGOING)
    services.training_update(
        user=city.alpha_head,
        training=training,
        title="计量法规培训",
        held_on=training.held_on,
        hours=Decimal("2.5"),
        kind=TrainingKind.PRE_DUTY,
        trainer="市局 李老师",
        attendees=[city.alpha_staff, invitee],
        completed=[invitee],
    )
    training.refresh_from_db()
    assert (training.title, training.hours, training.trainer) == ("计量法规培训", Decimal("2.5"), "市局 李老师")
    assert {(a.user, a.completed) for a in training.attendance.all()} == {(city.alpha_staff, False), (invitee, True)}
    assert selectors.member_is_cleared_for_duty(user=invitee)  # the corrected pre-duty training clears the invitee
    [detail] = _logged(ActivityVerb.TRAINING_CHANGED)
    assert "计量法规培训" in detail and "新增" in detail and "未完成" in detail

    services.training_update(
        user=city.alpha_head, training=training, title="计量法规培训", held_on=training.held_on, hours=Decimal("2.5"),
        kind=TrainingKind.PRE_DUTY, trainer="", attendees=[invitee],
    )  # fmt: skip
    assert [a.user for a in training.attendance.all()] == [invitee]
    assert "移除" in _logged(ActivityVerb.TRAINING_CHANGED)[0]

    with pytest.raises(ValidationError) as raised:
        services.training_update(
            user=city.alpha_head, training=training, title="x", held_on=training.held_on, hours=Decimal(1),
            kind=TrainingKind.PRE_DUTY, attendees=[], completed=[],
        )  # fmt: skip
    assert list(raised.value.message_dict) == ["attendees"]
    with pytest.raises(ValidationError) as raised:  # a new attendee must be a member of the station
        services.training_update(
            user=city.alpha_head, training=training, title="x", held_on=training.held_on, hours=Decimal(1),
            kind=TrainingKind.PRE_DUTY, attendees=[invitee, city.beta_staff],
        )  # fmt: skip
    assert "attendees" in raised.value.message_dict
    with pytest.raises(ValidationError) as raised:
        services.training_update(
            user=city.alpha_head, training=training, title="x", held_on=training.held_on, hours=Decimal(1),
            kind=TrainingKind.PRE_DUTY, attendees=[invitee], completed=[city.alpha_staff],
        )  # fmt: skip
    assert raised.value.message_dict == {"completed": ["只有参加了培训的人员才能标记为完成培训。"]}
    with pytest.raises(PermissionDenied):
        services.training_update(
            user=city.alpha_staff, training=training, title="x", held_on=training.held_on, hours=Decimal(1),
            kind=TrainingKind.PRE_DUTY, attendees=[invitee],
        )  # fmt: skip


@pytest.mark.clause("4.4.1")
def test_a_cancelled_pre_duty_training_clears_nobody_and_is_kept(city, alpha, invitee):
    training = training_add(city, [invitee])
    assert selectors.member_is_cleared_for_duty(user=invitee)
    with pytest.raises(ValidationError) as raised:
        services.training_cancel(user=city.alpha_head, training=training, reason="")
    assert raised.value.message_dict == {"reason": ["请填写原因。"]}
    with pytest.raises(PermissionDenied):
        services.training_cancel(user=city.alpha_staff, training=training, reason="误录")

    services.training_cancel(user=city.alpha_head, training=training, reason="培训未按计划举行")
    kept = Training.objects.get(pk=training.pk)
    assert kept.cancelled and kept.cancellation_reason == "培训未按计划举行" and kept.attendance.count() == 1
    assert not selectors.member_is_cleared_for_duty(user=invitee)
    assert invitee not in selectors.members_cleared_for_duty(station=city.alpha)
    case = take_demand(city, new_enterprise()).cases.get()
    with pytest.raises(ValidationError) as raised:  # the desk no longer assigns the invitee cases
        desk.case_assign(case=case, user=city.alpha_head, assignee=invitee)
    assert list(raised.value.message_dict) == ["assignee"]
    assert "培训未按计划举行" in _logged(ActivityVerb.TRAINING_CANCELLED)[0]

    with pytest.raises(ValidationError) as raised:
        services.training_cancel(user=city.alpha_head, training=kept, reason="again")
    assert raised.value.messages == ["已取消的培训按取消时的内容保留，不能再修改。"]
    with pytest.raises(ValidationError):
        services.training_attendance_set(training=kept, user=city.alpha_head, member=invitee, completed=True)


@pytest.mark.clause("4.4.1")
def test_a_member_holding_open_cases_keeps_the_clearance_until_the_cases_are_reassigned(city, alpha, invitee):
    training = training_add(city, [invitee])
    case = _open_case_for(city, invitee)

    with pytest.raises(ValidationError) as raised:
        services.training_cancel(user=city.alpha_head, training=training, reason="误录")
    [message] = raised.value.messages
    assert "新同事" in message and OPEN_CASES in message and "改派" in message
    with pytest.raises(ValidationError) as raised:  # un-marking the attendance: refused the same way
        services.training_attendance_set(training=training, user=city.alpha_head, member=invitee, completed=False)
    assert OPEN_CASES in raised.value.messages[0]
    with pytest.raises(ValidationError) as raised:  # nor a correction taking the training to the future
        services.training_update(
            user=city.alpha_head, training=training, title="上岗前培训", hours=Decimal(4), kind=TrainingKind.PRE_DUTY,
            held_on=timezone.localdate() + datetime.timedelta(days=3), attendees=[invitee],
        )  # fmt: skip
    assert OPEN_CASES in raised.value.messages[0]
    training.refresh_from_db()
    assert not training.cancelled and selectors.member_is_cleared_for_duty(user=invitee)  # nothing changed
    assert not ActivityEntry.objects.filter(verb=ActivityVerb.TRAINING_CANCELLED).exists()

    # Another completed pre-duty training keeps the member cleared: the cancellation takes nothing.
    other = training_add(city, [invitee])
    services.training_cancel(user=city.alpha_head, training=other, reason="重复录入")
    assert selectors.member_is_cleared_for_duty(user=invitee)

    # Once the case is reassigned, the training can be cancelled; a closed case does not hold the clearance either.
    desk.case_assign(case=case, user=city.alpha_head, assignee=city.alpha_staff)
    services.training_cancel(user=city.alpha_head, training=training, reason="误录")
    assert not selectors.member_is_cleared_for_duty(user=invitee)

    training = training_add(city, [invitee])
    closed = _open_case_for(city, invitee)
    desk.case_transition(case=closed, to=CaseState.CANCELLED, user=city.alpha_head, reason="企业撤回需求")
    services.training_cancel(user=city.alpha_head, training=training, reason="误录")


@pytest.mark.clause("4.3.5")
def test_the_head_corrects_an_item_and_a_new_interval_moves_the_next_due_date(city, alpha):
    with time_machine.travel(NOON, tick=False):
        item = _item(city, acquired_on=datetime.date(2026, 1, 1))
        assert item.next_maintenance_due == datetime.date(2026, 1, 31)
        services.maintenance_log_add(equipment=item, user=city.alpha_staff, performed_on=TODAY, work="检查压力")
        item.refresh_from_db()
        assert item.next_maintenance_due == datetime.date(2026, 4, 1)

        fields = {
            "kind": EquipmentKind.FIRE, "name": "干粉灭火器", "location": "大厅东侧", "model_number": "MFZ/ABC4",
            "acquired_on": datetime.date(2026, 1, 1), "maintenance_interval_days": 90,
            "next_maintenance_due": item.next_maintenance_due,
        }  # fmt: skip
        item = services.equipment_update(user=city.alpha_head, equipment=item, **fields)
        assert (item.name, item.location, item.model_number) == ("干粉灭火器", "大厅东侧", "MFZ/ABC4")
        assert item.next_maintenance_due == datetime.date(2026, 5, 31)  # one new interval after the last log
        [detail] = _logged(ActivityVerb.EQUIPMENT_CHANGED)
        assert "干粉灭火器" in detail and "型号" in detail

        chosen = datetime.date(2026, 4, 15)
        item = services.equipment_update(
            user=city.alpha_head, equipment=item, **(fields | {"next_maintenance_due": chosen})
        )
        assert item.next_maintenance_due == chosen  # a date the head gives is taken as it is

        with pytest.raises(ValidationError) as raised:
            services.equipment_update(user=city.alpha_head, equipment=item, **(fields | {"name": " "}))
        assert "name" in raised.value.message_dict
        with pytest.raises(PermissionDenied):
            services.equipment_update(user=city.alpha_staff, equipment=item, **fields)
        assert Equipment.objects.get(pk=item.pk).name == "干粉灭火器"


@pytest.mark.clause("4.3.5")
def test_a_retired_item_is_kept_with_its_logs_listed_apart_and_never_reminded_of(
    city, alpha, settings, mailoutbox, django_capture_on_commit_callbacks
):
    settings.OPERATIONS_MAINTENANCE_REMINDER_DAYS = 7
    with time_machine.travel(NOON, tick=False):
        retired = _item(city, name="旧显示屏", acquired_on=datetime.date(2025, 1, 1))
        services.maintenance_log_add(
            equipment=retired, user=city.alpha_staff, performed_on=datetime.date(2026, 1, 30), work="清洁"
        )
        kept = _item(city, name="灭火器", next_maintenance_due=datetime.date(2026, 3, 1))

        with pytest.raises(ValidationError) as raised:
            services.equipment_retire(user=city.alpha_head, equipment=retired, reason="")
        assert raised.value.message_dict == {"reason": ["请填写原因。"]}
        with pytest.raises(ValidationError) as raised:
            services.equipment_retire(
                user=city.alpha_head, equipment=retired, reason="损坏", retired_on=datetime.date(2024, 12, 1)
            )
        assert raised.value.message_dict == {"retired_on": ["报废日期不能早于购置日期。"]}
        with pytest.raises(PermissionDenied):
            services.equipment_retire(user=city.alpha_staff, equipment=retired, reason="损坏")

        services.equipment_retire(user=city.alpha_head, equipment=retired, reason="屏幕损坏，无法修复")
        retired.refresh_from_db()
        assert retired.retired_on == TODAY and retired.logs.count() == 1  # kept with its log
        assert list(selectors.equipment_list()) == [kept]
        assert list(selectors.equipment_list(retired=True)) == [retired]
        assert list(selectors.equipment_due(within_days=7)) == [kept]
        assert "屏幕损坏，无法修复" in _logged(ActivityVerb.EQUIPMENT_RETIRED)[0]
        evidence = selectors.operations_self_assessment_evidence(station=city.alpha)
        assert (evidence.equipment, evidence.equipment_overdue) == (1, 1)

        # Both were due (the retired one since 03-01): only the item in service is reminded of.
        with django_capture_on_commit_callbacks() as callbacks:
            assert services.maintenance_remind() == 1
        [callback] = callbacks
        task, schema, kwargs = callback.args
        assert kwargs["equipment_ids"] == [kept.pk]
        task.apply(kwargs=kwargs, headers={"_schema_name": schema}).get()
        [message] = mailoutbox
        assert "灭火器" in message.body and "旧显示屏" not in message.body
        retired.refresh_from_db()
        assert retired.reminded_for is None

        with pytest.raises(ValidationError) as raised:
            services.maintenance_log_add(equipment=retired, user=city.alpha_staff, performed_on=TODAY, work="x")
        assert raised.value.messages == ["该设备已报废：按报废时的内容保留，不再维护。"]
        with pytest.raises(ValidationError):
            services.equipment_update(
                user=city.alpha_head, equipment=retired, kind=EquipmentKind.SCREENS, name="x",
                maintenance_interval_days=30,
            )  # fmt: skip
        with pytest.raises(ValidationError) as raised:
            services.equipment_retire(user=city.alpha_head, equipment=retired, reason="again")
        assert raised.value.messages == ["该设备已经报废。"]


# --- Pages ----------------------------------------------------------------------------------------------------------


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def in_alpha(city, call, **kwargs):
    with schema_context(city.alpha.schema_name):
        return call(**kwargs)


@pytest.fixture
def rows(city):
    """One qualification, one training and one item of alpha, as the head recorded them."""
    with schema_context(city.alpha.schema_name):
        qualification = _qualification(city)
        training = training_add(city, [city.alpha_staff], kind=TrainingKind.ONGOING)
        item = _item(city, location="大厅")
    return {
        "qualification": f"/operations/qualifications/{qualification.pk}/edit/",
        "training": f"/operations/trainings/{training.pk}/edit/",
        "equipment": f"/operations/equipment/{item.pk}/edit/",
        "objects": (qualification, training, item),
    }


EDIT_PAGES = ("qualification", "training", "equipment")
MISSING = {
    "qualification": "/operations/qualifications/999999/edit/",
    "training": "/operations/trainings/999999/edit/",
    "equipment": "/operations/equipment/999999/edit/",
}


def test_the_edit_pages_are_pre_filled_for_the_head(city, alpha_host, rows):
    head = host_client(alpha_host, city.alpha_head)
    html = head.get(rows["qualification"]).content.decode()
    assert 'value="计量检定员"' in html and 'value="JL-001"' in html and 'value="2027-01-01"' in html
    html = head.get(rows["training"]).content.decode()
    assert 'value="上岗前培训"' in html and 'value="4.0"' in html and 'id="cancel-form"' in html
    assert re.search(f'name="edit-completed" value="{city.alpha_staff.pk}" id="id_edit-completed_\\d+" checked', html)
    # The field's help says what ticking means, tied to the field for screen readers.
    assert '<p class="muted" id="id_edit-completed_helptext">未勾选的参加人员视为未完成培训' in html
    html = head.get(rows["equipment"]).content.decode()
    assert 'value="灭火器"' in html and 'value="大厅"' in html and 'value="30"' in html and 'id="retire-form"' in html
    register = head.get("/operations/").content.decode()
    assert rows["qualification"] in register and rows["training"] in register
    assert rows["equipment"] in head.get("/operations/equipment/").content.decode()
    staff_view = host_client(alpha_host, city.alpha_staff).get("/operations/").content.decode()
    assert rows["qualification"] not in staff_view and rows["training"] not in staff_view


def test_the_head_corrects_and_withdraws_a_qualification_on_the_page(city, alpha_host, rows):
    head = host_client(alpha_host, city.alpha_head)
    path = rows["qualification"]
    refused = head.post(
        path, {"action": "edit", "edit-name": "", "edit-number": "JL-009", "edit-valid_until": "2027-13-01"}
    )
    html = refused.content.decode()
    assert refused.status_code == 400
    assert 'value="JL-009"' in html and 'value="2027-13-01"' in html  # what was typed is kept
    assert "该字段是必填项。" in html and "输入一个有效的日期。" in html

    done = head.post(
        path, {"action": "edit", "edit-name": "计量检定员", "edit-number": "JL-009", "edit-valid_until": ""}
    )
    assert done.status_code == 302 and done["Location"] == "/operations/"
    qualification = rows["objects"][0]
    with schema_context(city.alpha.schema_name):
        qualification.refresh_from_db()
        assert (qualification.number, qualification.valid_until) == ("JL-009", None)

    tomorrow = (timezone.localdate() + datetime.timedelta(days=1)).isoformat()
    refused = head.post(path, {"action": "withdraw", "withdraw-withdrawn_on": tomorrow, "withdraw-reason": "吊销"})
    html = refused.content.decode()
    assert refused.status_code == 400 and "日期不能晚于今天。" in html and "吊销" in html
    today = timezone.localdate().isoformat()
    done = head.post(path, {"action": "withdraw", "withdraw-withdrawn_on": today, "withdraw-reason": "证书被吊销"})
    assert done.status_code == 302
    register = head.get("/operations/").content.decode()
    assert 'data-withdrawn="yes"' in register and f"已于 {today} 撤销：证书被吊销" in register
    assert "资格已撤销。" in register
    page = head.get(path).content.decode()
    assert 'id="withdrawn"' in page and 'id="edit-form"' not in page
    refused = head.post(path, {"action": "edit", "edit-name": "x"})
    assert refused.status_code == 400 and "已撤销的资格按撤销时的内容保留，不能再修改。" in refused.content.decode()


@pytest.mark.clause("4.4.1")
def test_the_head_corrects_and_cancels_a_training_on_the_page(city, alpha_host, rows, media):
    from tenants.models import Membership

    invitee = Membership.objects.get(pk=city.invitee_membership_id).user
    head = host_client(alpha_host, city.alpha_head)
    path = rows["training"]
    data = {
        "action": "edit",
        "edit-title": "上岗前培训（补录）",
        "edit-held_on": timezone.localdate().isoformat(),
        "edit-hours": "0",
        "edit-kind": TrainingKind.PRE_DUTY,
        "edit-trainer": "王老师",
        "edit-attendees": [city.alpha_staff.pk, invitee.pk],
        "edit-completed": [city.alpha_staff.pk, invitee.pk],
    }
    refused = head.post(path, data)
    html = refused.content.decode()
    assert refused.status_code == 400 and "上岗前培训（补录）" in html and 'value="王老师"' in html
    assert "确保该值大于或等于0.5。" in html
    data["edit-hours"] = "3"
    assert head.post(path, data).status_code == 302
    with schema_context(city.alpha.schema_name):
        assert selectors.member_is_cleared_for_duty(user=invitee)
        _open_case_for(city, invitee)

    refused = head.post(path, {"action": "cancel", "cancel-reason": "误录"})
    html = refused.content.decode()
    assert refused.status_code == 400 and OPEN_CASES in html and "误录" in html
    with schema_context(city.alpha.schema_name):
        assert selectors.member_is_cleared_for_duty(user=invitee)

    data["edit-completed"] = [city.alpha_staff.pk]  # un-marking the invitee: refused too
    refused = head.post(path, data)
    assert refused.status_code == 400 and OPEN_CASES in refused.content.decode()

    assert head.post(path, {"action": "cancel", "cancel-reason": ""}).status_code == 400
    with schema_context(city.alpha.schema_name):
        for case in ServiceCase.objects.filter(assignee=invitee):
            desk.case_transition(case=case, to=CaseState.CANCELLED, user=city.alpha_head, reason="企业撤回")
    done = head.post(path, {"action": "cancel", "cancel-reason": "培训未举行"})
    assert done.status_code == 302
    register = head.get("/operations/").content.decode()
    assert 'data-cancelled="yes"' in register and "培训未举行" in register
    row = register[register.index(f'data-user="{invitee.pk}"') :]
    assert row.startswith(f'data-user="{invitee.pk}" data-cleared="no"')


@pytest.mark.clause("4.3.5")
def test_the_head_corrects_and_retires_an_item_on_the_page(city, alpha_host, rows):
    head = host_client(alpha_host, city.alpha_head)
    path = rows["equipment"]
    item = rows["objects"][2]
    data = {
        "action": "edit",
        "edit-kind": EquipmentKind.FIRE,
        "edit-name": "干粉灭火器",
        "edit-model_number": "MFZ/ABC4",
        "edit-location": "大厅东侧",
        "edit-acquired_on": "",
        "edit-maintenance_interval_days": "0",
        "edit-next_maintenance_due": item.next_maintenance_due.isoformat(),
    }
    refused = head.post(path, data)
    html = refused.content.decode()
    assert refused.status_code == 400 and 'value="MFZ/ABC4"' in html and 'value="大厅东侧"' in html
    assert "确保该值大于或等于1。" in html
    data["edit-maintenance_interval_days"] = "60"
    done = head.post(path, data)
    assert done.status_code == 302 and done["Location"] == f"/operations/equipment/{item.pk}/"
    with schema_context(city.alpha.schema_name):
        item.refresh_from_db()
        assert (item.name, item.model_number, item.maintenance_interval_days) == ("干粉灭火器", "MFZ/ABC4", 60)

    tomorrow = (timezone.localdate() + datetime.timedelta(days=1)).isoformat()
    refused = head.post(path, {"action": "retire", "retire-retired_on": tomorrow, "retire-reason": "压力不足"})
    html = refused.content.decode()
    assert refused.status_code == 400 and "日期不能晚于今天。" in html and "压力不足" in html
    today = timezone.localdate().isoformat()
    assert (
        head.post(path, {"action": "retire", "retire-retired_on": today, "retire-reason": "压力不足"}).status_code
        == 302
    )
    listing = head.get("/operations/equipment/").content.decode()
    apart = listing[listing.index('id="retired-equipment"') :]
    assert "干粉灭火器" in apart and "压力不足" in apart and 'data-retired="yes"' in apart
    assert "干粉灭火器" not in listing[: listing.index('id="retired-equipment"')]
    detail = head.get(f"/operations/equipment/{item.pk}/").content.decode()
    assert f"已于 {today} 报废：压力不足" in detail and 'id="maintenance-form"' not in detail
    refused = host_client(alpha_host, city.alpha_staff).post(
        f"/operations/equipment/{item.pk}/", {"performed_on": today, "work": "检查"}
    )
    assert refused.status_code == 400 and "该设备已报废" in refused.content.decode()


@pytest.mark.parametrize("page", EDIT_PAGES)
def test_the_staff_cannot_edit(city, alpha_host, rows, page):
    staff = host_client(alpha_host, city.alpha_staff)
    assert staff.get(rows[page]).status_code == 403
    assert staff.post(rows[page], {"action": "edit"}).status_code == 403
    assert staff.post(rows[page], {"action": "withdraw", "withdraw-reason": "x"}).status_code == 403


@pytest.mark.parametrize("page", EDIT_PAGES)
def test_an_outsider_gets_the_answer_of_a_missing_record(city, alpha_host, beta_host, public_host, rows, page):
    # Another station's head, on their own host: alpha's record does not exist there, like a missing one.
    beta = host_client(beta_host, city.beta_head)
    for path in (rows[page], MISSING[page]):
        assert beta.get(path).status_code == 404, path
        assert beta.post(path, {"action": "edit"}).status_code == 404, path
    # On alpha's host, non-members are refused before any record is looked up: the same answer for both.
    for who in ("beta_head", "bureau_admin", "outsider"):
        client = host_client(alpha_host, getattr(city, who))
        assert {client.get(p).status_code for p in (rows[page], MISSING[page])} == {403}
        assert client.post(rows[page], {"action": "edit"}).status_code == 403
    assert host_client(alpha_host).get(rows[page]).status_code == 302  # anonymous: to sign-in
    assert host_client(public_host, city.bureau_admin).get(rows[page]).status_code == 404
    # The head: a missing record is a 404, an unknown action too.
    head = host_client(alpha_host, city.alpha_head)
    assert head.get(MISSING[page]).status_code == 404
    assert head.post(rows[page], {"action": "delete"}).status_code == 404

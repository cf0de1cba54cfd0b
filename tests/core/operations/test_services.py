"""Operations services in a station schema: the pre-duty training that clears a member for assignment (clause 4.4),
equipment maintenance and its reminders (4.3), the written systems' versions (4.5), upload checks, who may write."""

import datetime
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from core.desk import services as desk
from core.operations import selectors, services
from core.operations.models import EquipmentKind, SystemCode, TrainingKind
from core.operations.tasks import maintenance_mail_task
from tests.core.desk.builders import new_enterprise, take_demand
from tests.core.evaluation.builders import JPEG, PDF, PNG, office, upload
from tests.core.operations.builders import training_add

TODAY = datetime.date(2026, 3, 2)


@pytest.mark.clause("4.4.1")
def test_a_member_without_a_completed_pre_duty_training_cannot_be_assigned_cases(city, alpha, invitee):
    case = take_demand(city, new_enterprise()).cases.get()
    assert not selectors.member_is_cleared_for_duty(user=invitee)
    with pytest.raises(ValidationError) as raised:
        desk.case_assign(case=case, user=city.alpha_head, assignee=invitee)
    assert list(raised.value.message_dict) == ["assignee"]

    training_add(city, [invitee], kind=TrainingKind.ONGOING)  # an ongoing training does not clear
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    training_add(city, [invitee], held_on=tomorrow)  # nor one that has not been held yet
    with pytest.raises(ValidationError):
        desk.case_assign(case=case, user=city.alpha_head, assignee=invitee)
    assert invitee not in selectors.members_cleared_for_duty(station=city.alpha)

    training = training_add(city, [invitee])
    services.training_attendance_set(training=training, user=city.alpha_head, member=invitee, completed=False)
    with pytest.raises(ValidationError):  # left early: not completed
        desk.case_assign(case=case, user=city.alpha_head, assignee=invitee)
    services.training_attendance_set(training=training, user=city.alpha_head, member=invitee, completed=True)
    assert desk.case_assign(case=case, user=city.alpha_head, assignee=invitee).assignee == invitee
    assert invitee in selectors.members_cleared_for_duty(station=city.alpha)


@pytest.mark.clause("4.4.1")
def test_the_city_members_are_cleared_and_a_training_takes_only_members(city, alpha):
    assert set(selectors.members_cleared_for_duty(station=city.alpha)) == {city.alpha_head, city.alpha_staff}
    with pytest.raises(ValidationError) as raised:
        training_add(city, [city.alpha_staff, city.beta_staff])
    assert "attendees" in raised.value.message_dict
    with pytest.raises(ValidationError) as raised:
        training_add(city, [])
    assert "attendees" in raised.value.message_dict


@pytest.mark.clause("4.4.2")
def test_the_register_shows_the_head_first_with_qualifications(city, alpha, invitee):
    services.staff_record_save(user=city.alpha_head, member=city.alpha_staff, duty_start=TODAY, background="计量")
    services.staff_qualification_add(
        user=city.alpha_head, member=city.alpha_staff, name="计量检定员", number="JL-001", valid_until=TODAY
    )
    rows = selectors.staff_register(station=city.alpha)
    assert rows[0].user == city.alpha_head and rows[0].is_head
    staff = next(row for row in rows if row.user == city.alpha_staff)
    assert staff.cleared and staff.record.duty_start == TODAY
    assert [(q.name, q.number) for q in staff.record.qualifications.all()] == [("计量检定员", "JL-001")]
    assert not next(row for row in rows if row.user == invitee).cleared
    with pytest.raises(ValidationError) as raised:
        services.staff_record_save(user=city.alpha_head, member=city.beta_staff)
    assert "member" in raised.value.message_dict


@pytest.mark.clause("4.4.2")
def test_only_the_head_keeps_the_register_the_equipment_and_the_systems(city, alpha):
    staff = city.alpha_staff
    with pytest.raises(PermissionDenied):
        services.staff_record_save(user=staff, member=staff)
    with pytest.raises(PermissionDenied):
        services.training_create(
            user=staff, title="x", held_on=TODAY, hours=Decimal(1), kind=TrainingKind.PRE_DUTY, attendees=[staff]
        )
    with pytest.raises(PermissionDenied):
        services.equipment_create(user=staff, kind=EquipmentKind.FIRE, name="灭火器", maintenance_interval_days=30)
    with pytest.raises(PermissionDenied):
        services.system_version_publish(user=staff, code="a", effective_on=TODAY, text="岗位职责")
    with pytest.raises(PermissionDenied):
        services.display_notice_save(user=staff, process="受理→评估→服务")
    with pytest.raises(PermissionDenied):  # the head of another station is nobody here
        services.system_version_publish(user=city.beta_head, code="a", effective_on=TODAY, text="岗位职责")


@pytest.mark.clause("4.3.5")
def test_a_maintenance_log_computes_the_next_due_date(city, alpha):
    with time_machine.travel(datetime.datetime(2026, 3, 2, 10, tzinfo=datetime.UTC), tick=False):
        item = services.equipment_create(
            user=city.alpha_head,
            kind=EquipmentKind.FIRE,
            name="灭火器",
            maintenance_interval_days=30,
            acquired_on=datetime.date(2026, 1, 1),
        )
        assert item.next_maintenance_due == datetime.date(2026, 1, 31)
        assert selectors.equipment_list().get(pk=item.pk).overdue
        log = services.maintenance_log_add(
            equipment=item, user=city.alpha_staff, performed_on=TODAY, work="检查压力，更换一具"
        )
        assert log.next_due == datetime.date(2026, 4, 1)
        item.refresh_from_db()
        assert item.next_maintenance_due == datetime.date(2026, 4, 1)
        assert not selectors.equipment_list().get(pk=item.pk).overdue
        with pytest.raises(ValidationError) as raised:
            services.maintenance_log_add(
                equipment=item, user=city.alpha_staff, performed_on=TODAY + datetime.timedelta(days=1), work="x"
            )
        assert "performed_on" in raised.value.message_dict
        with pytest.raises(PermissionDenied):
            services.maintenance_log_add(equipment=item, user=city.beta_staff, performed_on=TODAY, work="x")


def _remind(capture) -> tuple[int, list]:
    """Run the reminder, then the e-mail tasks it queued on commit, here, as the worker would (in alpha's schema)."""
    with capture() as callbacks:
        count = services.maintenance_remind()
    results = []
    for callback in callbacks:
        task, schema, kwargs = callback.args
        assert task is maintenance_mail_task
        results.append(task.apply(kwargs=kwargs, headers={"_schema_name": schema}).get())
    return count, results


@pytest.mark.clause("4.3.5")
def test_maintenance_reminders_go_to_the_head_once_per_due_date(
    city, alpha, settings, mailoutbox, django_capture_on_commit_callbacks
):
    settings.OPERATIONS_MAINTENANCE_REMINDER_DAYS = 7
    head = city.alpha_head
    with time_machine.travel(datetime.datetime(2026, 3, 2, 1, tzinfo=datetime.UTC), tick=False):
        soon = services.equipment_create(
            user=head, kind=EquipmentKind.FIRE, name="灭火器", maintenance_interval_days=30,
            next_maintenance_due=datetime.date(2026, 3, 6),
        )  # fmt: skip
        services.equipment_create(
            user=head, kind=EquipmentKind.OFFICE, name="打印机", maintenance_interval_days=180,
            next_maintenance_due=datetime.date(2026, 5, 1),
        )  # fmt: skip
        assert _remind(django_capture_on_commit_callbacks) == (1, [True])
        [message] = mailoutbox
        assert message.to == [head.email] and "灭火器" in message.body and "打印机" not in message.body
        assert city.alpha.name in message.subject and "/operations/equipment/" in message.body
        assert _remind(django_capture_on_commit_callbacks) == (0, [])  # the same due date: told once
        assert len(mailoutbox) == 1

    with time_machine.travel(datetime.datetime(2026, 3, 10, 1, tzinfo=datetime.UTC), tick=False):
        assert _remind(django_capture_on_commit_callbacks) == (0, [])  # overdue now, but told of this date already
        services.maintenance_log_add(equipment=soon, user=city.alpha_staff, performed_on=datetime.date(2026, 3, 9),
                                     work="年检")  # fmt: skip
    with time_machine.travel(datetime.datetime(2026, 4, 4, 1, tzinfo=datetime.UTC), tick=False):
        assert _remind(django_capture_on_commit_callbacks) == (1, [True])  # the new due date (04-08), once
        assert len(mailoutbox) == 2 and "2026-04-08" in mailoutbox[-1].body
        assert _remind(django_capture_on_commit_callbacks) == (0, [])


@pytest.mark.clause("4.5")
def test_a_written_system_keeps_its_versions_and_shows_the_current_one(city, alpha):
    head = city.alpha_head
    with time_machine.travel(datetime.datetime(2026, 3, 2, 1, tzinfo=datetime.UTC), tick=False):
        first = services.system_version_publish(
            user=head, code=SystemCode.E, effective_on=datetime.date(2026, 1, 1), text="投诉受理后一个工作日内回复"
        )
        second = services.system_version_publish(
            user=head, code=SystemCode.E, effective_on=datetime.date(2026, 3, 1), file=upload("制度.docx", office("word/document.xml"))
        )  # fmt: skip
        upcoming = services.system_version_publish(
            user=head, code=SystemCode.E, effective_on=datetime.date(2026, 6, 1), file=upload("v3.pdf", PDF)
        )
        assert [first.number, second.number, upcoming.number] == [1, 2, 3]
        assert second.file_kind == "docx" and upcoming.file_kind == "pdf"
        row = selectors.system_get(code="e")
        assert row.name == "服务投诉及反馈处理"
        assert row.current == second  # the newest in effect today; version 3 waits for its date
        assert [v.number for v in row.versions] == [3, 2, 1]
        assert [r.code for r in selectors.system_list()] == list("abcdefgh")
        evidence = selectors.operations_self_assessment_evidence(station=city.alpha)
        assert evidence.systems == 8 and evidence.systems_current == 1
        assert evidence.members_cleared == 2 and evidence.head_designated


@pytest.mark.clause("4.5")
def test_uploads_are_checked_by_content_and_nothing_is_kept_when_refused(city, alpha):
    head = city.alpha_head
    with pytest.raises(ValidationError) as raised:
        services.system_version_publish(user=head, code="a", effective_on=TODAY, file=upload("制度.pdf", PNG))
    assert "file" in raised.value.message_dict
    with pytest.raises(ValidationError) as raised:  # an Excel workbook is not a written system's file
        services.system_version_publish(user=head, code="a", effective_on=TODAY, file=upload("a.docx", office("xl/workbook.xml")))  # fmt: skip
    assert "file" in raised.value.message_dict
    with pytest.raises(ValidationError) as raised:
        services.system_version_publish(user=head, code="a", effective_on=TODAY)
    assert "text" in raised.value.message_dict
    assert selectors.system_get(code="a").versions == []
    with pytest.raises(ValidationError) as raised:
        training_add(city, [city.alpha_staff], certificate=upload("证书.pdf", b"MZ\x90\x00 not a pdf"))
    assert "certificate" in raised.value.message_dict
    training = training_add(city, [city.alpha_staff], certificate=upload("证书.jpg", JPEG))
    assert training.certificate_kind == "jpeg" and training.certificate.name.endswith(".jpg")

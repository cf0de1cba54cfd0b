"""Evaluation rounds (综合评估, clause 3) against the construction requirements of clause 4, through the services: a
round opens when the evaluation starts, the head answers and submits, a bureau administrator reviews and concludes;
every conclusion does what it says, and every refusal is a clear field-level error or a PermissionDenied."""

import datetime
import pathlib

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from core.evaluation import services
from core.evaluation.checklist import CHECKLIST, SECTIONS
from core.evaluation.models import Conclusion, EvaluationEvidence, EvaluationRound, RoundKind, RoundStatus
from core.evaluation.services import station_publish
from core.evaluation.tasks import round_open_due_task
from core.notifications.kinds import EVALUATION_OPENED
from core.notifications.models import Notification
from tenants.models import StationStatus, StationStatusChange
from tenants.services import station_change_status
from tests.compliance import REPO_ROOT
from tests.core.evaluation.builders import (
    CODES,
    PDF,
    conclude,
    open_round,
    queued_mails,
    review,
    self_assess,
    submitted_round,
    upload,
)
from tests.tasks import queued_tasks, run_queued

pytestmark = pytest.mark.django_db

STANDARD = REPO_ROOT.parent / "shared" / "spec" / "standard.zh.txt"


def today() -> datetime.date:
    return timezone.localdate()


@pytest.fixture(autouse=True)
def media(settings, tmp_path) -> pathlib.Path:
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def mails_sent(callbacks, mailoutbox) -> list:
    """Send the round e-mails the captured callbacks queued, as the worker would; the messages sent."""
    for kwargs in queued_mails(callbacks):
        assert services.round_mail(**kwargs)
    return list(mailoutbox)


# --- The checklist ------------------------------------------------------------------------------------------------


@pytest.mark.clause("4.1.1")
@pytest.mark.clause("4.1.2")
@pytest.mark.clause("4.1.3")
@pytest.mark.clause("4.2.1")
@pytest.mark.clause("4.3.1")
@pytest.mark.clause("4.4.1")
@pytest.mark.clause("4.4.2")
@pytest.mark.clause("4.5")
def test_the_checklist_is_every_construction_requirement_of_clause_4_in_the_standards_words():
    assert CODES == [
        *("4.1.1", "4.1.2", "4.1.3"),
        *(f"4.2.{n}" for n in range(1, 7)),
        *(f"4.3.{n}" for n in range(1, 6)),
        *("4.4.1", "4.4.2"),
        *(f"4.5{letter}" for letter in "abcdefgh"),
    ]
    assert {entry.section for entry in CHECKLIST} == set(SECTIONS)
    assert [entry.code for entry in CHECKLIST if not entry.required] == ["4.3.2", "4.3.3"]  # the standard's 宜
    if not STANDARD.exists():
        pytest.skip("shared/spec/standard.zh.txt is not beside the checkout")
    text = STANDARD.read_text(encoding="utf-8").replace("\n", "")
    for entry in CHECKLIST:
        assert entry.title in text, entry.code
    for title in SECTIONS.values():
        assert title in text


# --- Opening ------------------------------------------------------------------------------------------------------


@pytest.mark.clause("3")
def test_starting_the_evaluation_opens_the_first_round_and_tells_the_head(
    city, django_capture_on_commit_callbacks, mailoutbox
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        evaluation_round = open_round(city)
    city.alpha.refresh_from_db()
    assert city.alpha.status == StationStatus.EVALUATING
    assert (evaluation_round.number, evaluation_round.kind, evaluation_round.status) == (1, "initial", "open")
    assert evaluation_round.opened_by == city.bureau_admin and evaluation_round.opened_at is not None
    items = list(evaluation_round.items.order_by("position"))
    assert [item.code for item in items] == CODES
    assert items[0].section_title == "选址要求" and items[0].title == CHECKLIST[0].title
    assert all(item.self_met is None and item.review_met is None for item in items)

    # The head is notified (core.notifications): in the app, and by e-mail (the kind's default), sent once.
    assert queued_mails(callbacks) == []
    [notification] = Notification.objects.filter(kind=EVALUATION_OPENED)
    assert notification.recipient == city.alpha_head
    assert notification.url == "http://alpha.localhost/station/evaluation/rounds/1/"
    assert run_queued(callbacks, app="core.deliveries") == [True]
    [message] = mailoutbox
    assert message.to == [city.alpha_head.email] and city.alpha.name in message.subject
    assert "http://alpha.localhost/station/evaluation/" in message.body


def test_a_round_keeps_the_checklist_it_opened_with(city, monkeypatch):
    first = open_round(city)
    changed = (services.CHECKLIST[0].__class__("4.1.1", "4.1", "新的选址要求"), *services.CHECKLIST[1:])
    monkeypatch.setattr(services, "CHECKLIST", changed)
    assert first.items.get(code="4.1.1").title == CHECKLIST[0].title  # an open round is never rewritten
    self_assess(first, city.alpha_head)
    services.round_submit(evaluation_round=first, user=city.alpha_head)
    conclude(city, first, Conclusion.REJECTED, summary="选址不符合要求")
    second = open_round(city)
    assert second.number == 2 and second.kind == RoundKind.INITIAL
    assert second.items.get(code="4.1.1").title == "新的选址要求"
    assert first.items.get(code="4.1.1").title == CHECKLIST[0].title


def test_one_round_at_a_time(city):
    open_round(city)
    with pytest.raises(ValidationError) as refused:
        open_round(city)
    assert "status" in refused.value.message_dict
    assert EvaluationRound.objects.filter(station=city.alpha).count() == 1


@pytest.mark.parametrize("who", ["bureau_viewer", "alpha_head", "alpha_staff", "outsider"])
def test_only_bureau_admins_start_an_evaluation(city, who):
    with pytest.raises(PermissionDenied):
        services.evaluation_start(station=city.alpha, user=getattr(city, who))
    city.alpha.refresh_from_db()
    assert city.alpha.status == StationStatus.DRAFT and not EvaluationRound.objects.exists()


# --- The self-assessment --------------------------------------------------------------------------------------


@pytest.mark.clause("4.4.2")
def test_the_head_answers_items_with_evidence_stored_under_the_station(city, media):
    evaluation_round = open_round(city)
    item = evaluation_round.items.get(code="4.2.2")
    evidence = services.evidence_add(item=item, user=city.alpha_head, file=upload("公示栏.pdf", PDF))
    services.item_self_assess(item=item, user=city.alpha_head, met=True, note="  公示栏照片见附件 ")
    item.refresh_from_db()
    assert (item.self_met, item.self_note) == (True, "公示栏照片见附件") and item.self_assessed_at is not None
    assert (evidence.original_name, evidence.kind, evidence.size) == ("公示栏.pdf", "pdf", len(PDF))
    assert evidence.file.name.startswith("evaluation/alpha/round-1/") and evidence.file.name.endswith(".pdf")
    assert (media / evidence.file.name).read_bytes() == PDF


@pytest.mark.parametrize("who", ["alpha_staff", "beta_head", "bureau_admin", "outsider"])
def test_only_the_stations_head_fills_and_submits(city, who):
    evaluation_round = open_round(city)
    item = evaluation_round.items.get(code="4.1.1")
    user = getattr(city, who)
    with pytest.raises(PermissionDenied):
        services.item_self_assess(item=item, user=user, met=True)
    with pytest.raises(PermissionDenied):
        services.evidence_add(item=item, user=user, file=upload("a.pdf", PDF))
    with pytest.raises(PermissionDenied):
        services.round_submit(evaluation_round=evaluation_round, user=user)
    item.refresh_from_db()
    assert item.self_met is None and not EvaluationEvidence.objects.exists()


def test_submitting_an_incomplete_self_assessment_names_every_unanswered_item(city):
    evaluation_round = open_round(city)
    self_assess(evaluation_round, city.alpha_head, skip=("4.2.4", "4.5h"))
    with pytest.raises(ValidationError) as refused:
        services.round_submit(evaluation_round=evaluation_round, user=city.alpha_head)
    assert sorted(refused.value.message_dict) == ["4.2.4.met", "4.5h.met"]
    evaluation_round.refresh_from_db()
    assert evaluation_round.status == RoundStatus.OPEN


def test_submitting_tells_the_bureaus_admins_and_closes_the_self_assessment(
    city, django_capture_on_commit_callbacks, mailoutbox
):
    evaluation_round = open_round(city)
    self_assess(evaluation_round, city.alpha_head, met=False)  # an honest "not met" is an answer too
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        services.round_submit(evaluation_round=evaluation_round, user=city.alpha_head)
    evaluation_round.refresh_from_db()
    assert evaluation_round.status == RoundStatus.SUBMITTED and evaluation_round.submitted_by == city.alpha_head
    [kwargs] = queued_mails(callbacks)
    assert kwargs["event"] == "submitted" and kwargs["recipients"] == [city.bureau_admin.email]
    [message] = mails_sent(callbacks, mailoutbox)
    assert f"http://localhost/console/stations/{city.alpha.pk}/evaluations/1/" in message.body
    with pytest.raises(ValidationError) as refused:
        services.item_self_assess(item=evaluation_round.items.first(), user=city.alpha_head, met=True)
    assert "status" in refused.value.message_dict


def test_a_refused_file_keeps_nothing_of_the_page(city, media):
    evaluation_round = open_round(city)
    answers = [
        services.SelfAssessment(code="4.1.1", met=True, files=[upload("ok.pdf", PDF)]),
        services.SelfAssessment(code="4.1.2", met=False, files=[upload("fake.pdf", b"just text, renamed")]),
    ]
    with pytest.raises(ValidationError) as refused:
        services.round_self_assessment_save(evaluation_round=evaluation_round, user=city.alpha_head, answers=answers)
    assert list(refused.value.message_dict) == ["4.1.2.file"]
    assert not evaluation_round.items.filter(self_met__isnull=False).exists()
    assert not EvaluationEvidence.objects.exists() and not media.exists()


def test_the_head_removes_a_file_while_the_round_is_open(city, media, django_capture_on_commit_callbacks):
    evaluation_round = open_round(city)
    item = evaluation_round.items.get(code="4.1.1")
    evidence = services.evidence_add(item=item, user=city.alpha_head, file=upload("a.pdf", PDF))
    with pytest.raises(PermissionDenied):
        services.evidence_remove(evidence=evidence, user=city.alpha_staff)
    with django_capture_on_commit_callbacks(execute=True):
        services.evidence_remove(evidence=evidence, user=city.alpha_head)
    assert not EvaluationEvidence.objects.exists() and not (media / evidence.file.name).exists()


# --- The review and the conclusions -------------------------------------------------------------------------------


@pytest.mark.clause("3")
def test_an_approved_round_makes_the_station_publishable_and_schedules_the_next_year(
    city, settings, django_capture_on_commit_callbacks, mailoutbox
):
    settings.EVALUATION_INTERVAL_DAYS = 365
    evaluation_round = submitted_round(city)
    with pytest.raises(ValidationError):
        station_publish(station=city.alpha, user=city.bureau_admin)  # not concluded yet
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        concluded = conclude(city, evaluation_round, not_met=("4.3.3",), summary="整体符合要求")  # a 宜 item
    assert (concluded.status, concluded.conclusion, concluded.score) == (
        "concluded",
        "approved",
        97,
    )  # 45 of 46 (a 宜 item weighs 1)
    assert concluded.concluded_by == city.bureau_admin and concluded.rectify_by is None
    following = EvaluationRound.objects.get(station=city.alpha, number=2)
    assert (following.kind, following.status) == (RoundKind.REEVALUATION, RoundStatus.SCHEDULED)
    assert following.due_on == today() + datetime.timedelta(days=365)
    assert not following.items.exists()  # its items are copied when it opens
    [message] = mails_sent(callbacks, mailoutbox)
    assert message.to == [city.alpha_head.email] and "4.3.3" in message.body

    publication = station_publish(station=city.alpha, user=city.bureau_admin)
    assert publication.station.status == StationStatus.PUBLISHED


def test_approval_needs_every_required_item_met(city):
    evaluation_round = submitted_round(city)
    with pytest.raises(ValidationError) as refused:
        conclude(city, evaluation_round, not_met=("4.2.6", "4.5c"))
    assert list(refused.value.message_dict) == ["conclusion"]
    assert "4.2.6" in refused.value.message_dict["conclusion"][0]
    assert "4.5c" in refused.value.message_dict["conclusion"][0]
    evaluation_round.refresh_from_db()
    assert evaluation_round.status == RoundStatus.SUBMITTED


@pytest.mark.clause("3")
@pytest.mark.clause("4.2.6")
def test_rectify_opens_a_follow_up_due_that_date_with_the_items_carried_over(
    city, media, django_capture_on_commit_callbacks, mailoutbox
):
    evaluation_round = open_round(city)
    evidence = services.evidence_add(
        item=evaluation_round.items.get(code="4.1.1"), user=city.alpha_head, file=upload("选址.pdf", PDF)
    )
    self_assess(evaluation_round, city.alpha_head)
    services.round_submit(evaluation_round=evaluation_round, user=city.alpha_head)
    due = today() + datetime.timedelta(days=30)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        concluded = conclude(city, evaluation_round, Conclusion.RECTIFY, not_met=("4.2.6",), rectify_by=due)
    assert (concluded.conclusion, concluded.rectify_by, concluded.score) == ("rectify", due, 95)  # 44 of 46
    follow_up = EvaluationRound.objects.get(station=city.alpha, number=2)
    assert (follow_up.kind, follow_up.status, follow_up.due_on) == (RoundKind.FOLLOW_UP, RoundStatus.OPEN, due)
    assert follow_up.previous == concluded
    carried = {item.code: item for item in follow_up.items.all()}
    assert list(carried) == CODES
    assert (carried["4.2.6"].self_met, carried["4.2.6"].review_met) == (None, None)  # to be answered again
    assert (carried["4.2.6"].previous_met, carried["4.2.6"].previous_remark) == (False, "未见相关材料")
    assert (carried["4.1.1"].self_met, carried["4.1.1"].review_met) == (True, True)  # met stays met
    [carried_evidence] = carried["4.1.1"].evidence.all()  # the same stored file, not a copy
    assert (carried_evidence.original_name, carried_evidence.file.name) == ("选址.pdf", evidence.file.name)
    city.alpha.refresh_from_db()
    assert city.alpha.status == StationStatus.EVALUATING
    with pytest.raises(ValidationError) as refused:
        station_publish(station=city.alpha, user=city.bureau_admin)
    assert list(refused.value.message_dict) == ["evaluation"]

    # The head is told what was not met and by when; the follow-up has no e-mail of its own.
    [message] = mails_sent(callbacks, mailoutbox)
    assert message.to == [city.alpha_head.email]
    assert "4.2.6" in message.body and "未见相关材料" in message.body and due.strftime("%Y-%m-%d") in message.body

    # The follow-up: only the item not met is answered again, then it is approved.
    services.item_self_assess(item=carried["4.2.6"], user=city.alpha_head, met=True, note="已清理消防通道")
    services.round_submit(evaluation_round=follow_up, user=city.alpha_head)
    services.item_review(item=carried["4.2.6"], user=city.bureau_admin, met=True)
    approved = services.round_conclude(
        evaluation_round=follow_up, user=city.bureau_admin, conclusion=Conclusion.APPROVED
    )
    assert approved.score == 100
    assert station_publish(station=city.alpha, user=city.bureau_admin).station.status == StationStatus.PUBLISHED


@pytest.mark.clause("3")
def test_a_rejected_round_sends_the_station_back_to_draft_with_its_reason(city):
    evaluation_round = submitted_round(city)
    conclude(city, evaluation_round, Conclusion.REJECTED, not_met=("4.1.2",), summary="选址不满足消防安全要求")
    city.alpha.refresh_from_db()
    assert city.alpha.status == StationStatus.DRAFT
    change = StationStatusChange.objects.filter(station=city.alpha).first()
    assert (change.from_status, change.to_status, change.changed_by) == ("evaluating", "draft", city.bureau_admin)
    assert "选址不满足消防安全要求" in change.reason
    assert not EvaluationRound.objects.filter(station=city.alpha).exclude(status=RoundStatus.CONCLUDED).exists()
    with pytest.raises(ValidationError):
        station_publish(station=city.alpha, user=city.bureau_admin)


@pytest.mark.clause("3")
def test_a_rejected_reevaluation_suspends_a_published_station(city):
    conclude(city, submitted_round(city))
    station_publish(station=city.alpha, user=city.bureau_admin)
    reevaluation = services.round_schedule(station=city.alpha, user=city.bureau_admin, due_on=today())
    assert (reevaluation.number, reevaluation.status, reevaluation.kind) == (2, "open", "reevaluation")
    self_assess(reevaluation, city.alpha_head)
    services.round_submit(evaluation_round=reevaluation, user=city.alpha_head)
    conclude(city, reevaluation, Conclusion.REJECTED, not_met=("4.4.1",), summary="工作人员未经培训上岗")
    city.alpha.refresh_from_db()
    assert city.alpha.status == StationStatus.SUSPENDED
    assert "工作人员未经培训上岗" in StationStatusChange.objects.filter(station=city.alpha).first().reason


def test_concluding_is_refused_before_the_submission_and_before_every_item_is_reviewed(city):
    evaluation_round = open_round(city)
    with pytest.raises(ValidationError) as refused:
        services.round_conclude(evaluation_round=evaluation_round, user=city.bureau_admin, conclusion="approved")
    assert list(refused.value.message_dict) == ["status"]
    with pytest.raises(ValidationError) as refused:
        services.item_review(item=evaluation_round.items.first(), user=city.bureau_admin, met=True)
    assert list(refused.value.message_dict) == ["status"]

    self_assess(evaluation_round, city.alpha_head)
    services.round_submit(evaluation_round=evaluation_round, user=city.alpha_head)
    services.item_review(item=evaluation_round.items.get(code="4.1.1"), user=city.bureau_admin, met=True)
    with pytest.raises(ValidationError) as refused:
        services.round_conclude(evaluation_round=evaluation_round, user=city.bureau_admin, conclusion="approved")
    assert sorted(refused.value.message_dict) == sorted(f"{code}.met" for code in CODES[1:])


@pytest.mark.parametrize(
    ("conclusion", "extra", "field"),
    [
        ("", {}, "conclusion"),
        ("maybe", {}, "conclusion"),
        ("rectify", {}, "rectify_by"),
        ("rectify", {"rectify_by": datetime.date(2020, 1, 1)}, "rectify_by"),
        ("rejected", {"summary": "  "}, "summary"),
    ],
)
def test_a_conclusion_missing_what_it_needs_is_refused_on_its_field(city, conclusion, extra, field):
    evaluation_round = submitted_round(city)
    review(evaluation_round, city.bureau_admin, not_met=("4.1.3",))
    with pytest.raises(ValidationError) as refused:
        services.round_conclude(
            evaluation_round=evaluation_round, user=city.bureau_admin, conclusion=conclusion, **extra
        )
    assert list(refused.value.message_dict) == [field]


def test_rectify_needs_something_not_met(city):
    evaluation_round = submitted_round(city)
    review(evaluation_round, city.bureau_admin)
    with pytest.raises(ValidationError) as refused:
        services.round_conclude(
            evaluation_round=evaluation_round,
            user=city.bureau_admin,
            conclusion="rectify",
            rectify_by=today() + datetime.timedelta(days=5),
        )
    assert list(refused.value.message_dict) == ["conclusion"]


def test_an_item_not_met_needs_a_remark(city):
    evaluation_round = submitted_round(city)
    with pytest.raises(ValidationError) as refused:
        services.item_review(item=evaluation_round.items.first(), user=city.bureau_admin, met=False, remark=" ")
    assert list(refused.value.message_dict) == ["remark"]


@pytest.mark.parametrize("who", ["bureau_viewer", "alpha_head", "alpha_staff", "outsider"])
def test_only_bureau_admins_review_conclude_and_schedule(city, who):
    evaluation_round = submitted_round(city)
    user = getattr(city, who)
    with pytest.raises(PermissionDenied):
        services.item_review(item=evaluation_round.items.first(), user=user, met=True)
    with pytest.raises(PermissionDenied):
        services.round_review_save(evaluation_round=evaluation_round, user=user, reviews=[])
    with pytest.raises(PermissionDenied):
        services.round_conclude(evaluation_round=evaluation_round, user=user, conclusion="rejected", summary="x")
    with pytest.raises(PermissionDenied):
        services.round_schedule(station=city.alpha, user=user, due_on=today())
    evaluation_round.refresh_from_db()
    assert evaluation_round.status == RoundStatus.SUBMITTED
    assert not evaluation_round.items.filter(review_met__isnull=False).exists()


# --- Re-evaluations -----------------------------------------------------------------------------------------------


def published_after_approval(city) -> EvaluationRound:
    """alpha approved and published; its next re-evaluation scheduled."""
    conclude(city, submitted_round(city))
    station_publish(station=city.alpha, user=city.bureau_admin)
    return EvaluationRound.objects.get(station=city.alpha, status=RoundStatus.SCHEDULED)


@pytest.mark.clause("3")
def test_the_daily_task_opens_the_reevaluations_due_for_published_stations(
    city, settings, django_capture_on_commit_callbacks
):
    assert settings.CELERY_BEAT_SCHEDULE["evaluation-reevaluations-due"]["task"] == round_open_due_task.name
    scheduled = published_after_approval(city)
    assert services.round_open_due(today=scheduled.due_on - datetime.timedelta(days=1)) == 0
    EvaluationRound.objects.filter(pk=scheduled.pk).update(due_on=today())
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        assert round_open_due_task.apply().get() == 1
    scheduled.refresh_from_db()
    assert (scheduled.status, scheduled.opened_by, scheduled.kind) == ("open", None, "reevaluation")
    assert [item.code for item in scheduled.items.all()] == CODES
    assert Notification.objects.filter(kind=EVALUATION_OPENED, key__endswith=f":{scheduled.pk}").count() == 1
    assert [schema for _task, schema, _kwargs in (c.args for c in queued_tasks(callbacks, app="core.deliveries"))] == [
        "public"
    ]  # the head's e-mail, from the bureau's schema
    assert services.round_open_due() == 0  # opened once


def test_a_suspended_stations_reevaluation_waits_until_it_is_reactivated(city):
    scheduled = published_after_approval(city)
    EvaluationRound.objects.filter(pk=scheduled.pk).update(due_on=today())
    station_change_status(station=city.alpha, status=StationStatus.SUSPENDED, reason="整改", user=city.bureau_admin)
    assert services.round_open_due() == 0
    station_change_status(station=city.alpha, status=StationStatus.PUBLISHED, user=city.bureau_admin)
    assert services.round_open_due() == 1


def test_an_admin_schedules_a_reevaluation_for_a_chosen_date(city):
    scheduled = published_after_approval(city)
    later = today() + datetime.timedelta(days=40)
    moved = services.round_schedule(station=city.alpha, user=city.bureau_admin, due_on=later)
    assert (moved.pk, moved.due_on, moved.status) == (scheduled.pk, later, RoundStatus.SCHEDULED)
    with pytest.raises(ValidationError) as refused:
        services.round_schedule(station=city.alpha, user=city.bureau_admin, due_on=today() - datetime.timedelta(1))
    assert list(refused.value.message_dict) == ["due_on"]
    opened = services.round_schedule(station=city.alpha, user=city.bureau_admin, due_on=today())
    assert (opened.pk, opened.status) == (scheduled.pk, RoundStatus.OPEN)
    with pytest.raises(ValidationError) as refused:  # under way: nothing to schedule until it is concluded
        services.round_schedule(station=city.alpha, user=city.bureau_admin, due_on=later)
    assert list(refused.value.message_dict) == ["due_on"]


def test_only_a_published_station_is_scheduled_for_reevaluation(city):
    with pytest.raises(ValidationError) as refused:
        services.round_schedule(station=city.alpha, user=city.bureau_admin, due_on=today())
    assert list(refused.value.message_dict) == ["due_on"]
    assert not EvaluationRound.objects.exists()


def test_republishing_a_published_station_needs_no_new_round(city):
    published_after_approval(city)
    services.round_schedule(station=city.alpha, user=city.bureau_admin, due_on=today())  # a re-evaluation open
    assert station_publish(station=city.alpha, user=city.bureau_admin).station.status == StationStatus.PUBLISHED

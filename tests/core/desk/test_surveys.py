"""Satisfaction surveys (clause 5.2.4, Appendix B) and deadline reminders.

The enterprise is invited when its case is completed; the link is signed, expires, names its station and is used
once; staff key in the signed paper form; an unanswered survey is reminded once. Open cases are reminded to their
assignee before the deadline and escalated to the station head once it has passed, each exactly once.

E-mails are queued after commit (the tests capture the on-commit callbacks) and their tasks then run in this process,
as a worker would run them: the same task, arguments and schema, against the real database, into Django's locmem
mail box.
"""

import datetime
import re
import time

import pytest
from django.conf import settings
from django.core import signing
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction
from django.test import Client
from django.utils import timezone
from django_tenants.utils import schema_context

from core.common import workdays
from core.deliveries.models import Delivery
from core.desk import services
from core.desk.models import CaseEvent, CaseState, EventKind, ServiceCase, Survey, SurveyInvitation
from core.desk.tasks import case_deadline_remind_all_task, survey_invitation_send_task
from core.notifications.models import Notification
from tests.conftest import host_client
from tests.core.desk.builders import case_completed, case_in_service, new_enterprise
from tests.tasks import queued_tasks, run_queued

LINK = re.compile(r"https?://alpha\.localhost(?::\d+)?(/survey/[^/\s]+/)")
ANSWERS = {
    "q1": "very_satisfied",
    "q2": "satisfied",
    "q3": "very_satisfied",
    "q4": "satisfied",
    "q5": True,
    "q6": "fair",
    "q7": "satisfied",
    "q8": "very_satisfied",
    "q9": "dissatisfied",
    "q10": "satisfied",
    "opinions": "希望缩短送检周期",
    "signatory": "王经理",
}
FORM = ANSWERS | {"q5": "yes"}  # the page's yes / no radio buttons


def queued(callbacks) -> list[tuple[str, str, dict]]:
    return [
        (callback.args[0].name, callback.args[1], callback.args[2])
        for callback in queued_tasks(callbacks, app="core.desk")
    ]


@pytest.fixture
def completed(city, alpha, enterprise, django_capture_on_commit_callbacks):
    """A completed case and the callbacks its completion queued."""
    with django_capture_on_commit_callbacks() as callbacks:
        case = case_completed(city, enterprise)
    return case, callbacks


@pytest.fixture
def link(completed, mailoutbox) -> str:
    """The path of the survey link the enterprise was e-mailed."""
    case, callbacks = completed
    assert run_queued(callbacks, app="core.desk") == [True]
    return LINK.search(mailoutbox[-1].body).group(1)


def page(client, path: str, data: dict | None = None):
    response = client.get(path) if data is None else client.post(path, data)
    return response, response.content.decode()


# --- Invitation -------------------------------------------------------------------------------------------------


@pytest.mark.clause("5.2.4")
def test_completion_invites_the_enterprise_by_e_mail_after_commit(city, completed, mailoutbox):
    case, callbacks = completed
    invitation = SurveyInvitation.objects.get(case=case)
    assert invitation.email == "wang@example.test"  # the demand's address, as filled in
    assert invitation.sent_at is None and mailoutbox == []  # nothing goes out before the commit
    [(task, schema, kwargs)] = queued(callbacks)
    assert (task, schema, kwargs) == (
        survey_invitation_send_task.name,
        city.alpha.schema_name,
        {"invitation_id": invitation.pk},
    )

    assert run_queued(callbacks, app="core.desk") == [True]
    assert run_queued(callbacks, app="core.desk") == [False]  # a re-delivered task sends nothing more
    [message] = mailoutbox
    assert message.to == ["wang@example.test"]
    assert city.alpha.name in message.subject
    assert case.number in message.body and city.alpha.service_phone in message.body
    assert LINK.search(message.body)
    invitation.refresh_from_db()
    assert invitation.sent_at is not None
    sent = CaseEvent.objects.get(case=case, kind=EventKind.SURVEY)
    assert "wang@example.test" in sent.text and sent.actor is None


def test_the_queued_task_is_published_to_the_broker_after_commit(
    city, alpha, enterprise, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        case = case_completed(city, enterprise)
    assert len(queued(callbacks)) == 1  # and executing it published the message without error
    assert SurveyInvitation.objects.get(case=case).sent_at is None  # the worker sends it, not the web process


@pytest.mark.clause("5.2.4")
def test_without_an_e_mail_address_the_invitation_waits_for_the_paper_form(
    city, alpha, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as callbacks:
        case = case_completed(city, new_enterprise(email=""))
    invitation = SurveyInvitation.objects.get(case=case)
    assert invitation.email == "" and queued(callbacks) == []
    assert CaseEvent.objects.filter(case=case, kind=EventKind.SURVEY).exists()
    survey = services.survey_submit(case=case, channel="paper", user=city.alpha_staff, **ANSWERS)
    assert survey.keyed_in_by == city.alpha_staff


# --- The link ---------------------------------------------------------------------------------------------------


@pytest.mark.clause("5.2.4")
@pytest.mark.clause("Appendix B")
def test_the_link_shows_the_ten_questions_in_the_forms_words_and_takes_the_answers(city, alpha_host, link):
    client = host_client(alpha_host)  # no account: the enterprise on its phone
    response, body = page(client, link)
    assert response.status_code == 200
    assert 'name="viewport"' in body
    for field in ("q1", "q2", "q3", "q4", "q5", "q6", "q7", "q8", "q9", "q10", "opinions", "signatory"):
        assert Survey._meta.get_field(field).verbose_name in body
    assert "1.您对本次服务站的服务的满意程度" in body and "10.您对本次服务总体评价" in body
    assert body.count('type="radio"') == 9 * 4 + 2
    for label in ("非常满意", "满意", "一般", "不满意", "是", "否"):
        assert f"> {label}</label>" in body

    response = client.post(link, FORM)
    assert response.status_code == 302
    thanks, body = page(client, response["Location"])
    assert thanks.status_code == 200
    survey = Survey.objects.get()
    assert (survey.channel, survey.keyed_in_by, survey.q5, survey.q9) == ("link", None, True, "dissatisfied")
    assert survey.opinions == "希望缩短送检周期" and survey.signatory == "王经理"
    case = survey.case
    assert case.state == CaseState.EVALUATED
    assert [e.to_state for e in case.events.filter(kind=EventKind.STATE)][-2:] == ["completed", "evaluated"]


@pytest.mark.clause("5.2.4")
@pytest.mark.parametrize("origin", [{"HTTP_ORIGIN": "null"}, {}], ids=["origin-null", "no-origin-nor-referer"])
def test_the_answers_are_taken_whatever_origin_the_browser_sends(city, alpha_host, link, origin):
    """The link is the credential, not a cookie: a browser that sends "Origin: null" (what the page's old
    "no-referrer" policy made Chromium send) or neither Origin nor Referer must not lose the ten answers to a CSRF
    refusal, even with Django's CSRF checks enforced as in a real browser."""
    client = Client(HTTP_HOST=alpha_host, enforce_csrf_checks=True)
    response = client.post(link, FORM, secure=False, **origin)
    assert response.status_code == 302, response.content.decode()[:300]
    assert Survey.objects.get().q9 == "dissatisfied"


@pytest.mark.clause("5.2.4")
def test_the_page_keeps_the_answers_in_the_browser_and_never_leaks_the_link(city, alpha_host, link):
    client = host_client(alpha_host)
    response, body = page(client, link)
    assert '<meta name="referrer" content="same-origin">' in body
    assert 'name="referrer" content="no-referrer"' not in body
    # The answers are kept in sessionStorage by a script of the site's own (no inline script: docs/security.md).
    assert "stationnet/survey." in body and 'id="survey-form"' in body
    script = settings.REPO_ROOT / "frontend_templates" / "static" / "stationnet" / "survey.js"
    assert "sessionStorage" in script.read_text(encoding="utf-8")


@pytest.mark.clause("5.2.4")
def test_a_bad_answer_is_marked_by_field_in_chinese_and_what_was_chosen_is_kept(city, alpha_host, link):
    client = host_client(alpha_host)
    response, body = page(client, link, {k: v for k, v in FORM.items() if k not in {"q3", "q5"}} | {"q7": "great"})
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert set(errors) == {"q3", "q5", "q7"}
    assert "必填" in errors["q3"][0] and "必填" in errors["q5"][0]
    assert "选择一个有效的选项" in errors["q7"][0]
    assert re.search(r'<input[^>]*name="q1"[^>]*value="very_satisfied"[^>]*checked', body)
    assert "希望缩短送检周期" in body
    assert not Survey.objects.exists()


@pytest.mark.clause("5.2.4")
def test_a_used_link_says_it_was_answered_and_changes_nothing(city, alpha_host, link):
    client = host_client(alpha_host)
    assert client.post(link, FORM).status_code == 302
    again, body = page(client, link)
    assert again.status_code == 200
    assert again.templates[0].name == "desk/survey_answered.html"
    assert 'type="radio"' not in body
    resubmitted = client.post(link, FORM | {"q10": "dissatisfied"})
    assert resubmitted.status_code == 409
    assert Survey.objects.get().q10 == "satisfied"


def _aged_token(case: ServiceCase, days: int) -> str:
    """The case's genuine token as it was signed `days` days ago."""

    class SignedEarlier(signing.TimestampSigner):
        def timestamp(self):
            return signing.b62_encode(int(time.time()) - days * 86400)

    value = signing.TimestampSigner(salt=services.SURVEY_LINK_SALT).unsign(services.survey_link_token(case=case))
    return SignedEarlier(salt=services.SURVEY_LINK_SALT).sign(value)


@pytest.mark.clause("5.2.4")
def test_an_expired_link_says_so_with_the_stations_service_phone(city, alpha_host, completed, settings):
    case, _ = completed
    settings.DESK_SURVEY_LINK_DAYS = 30
    assert services.survey_link_verify(token=_aged_token(case, 29)) == case
    with pytest.raises(services.SurveyLinkExpired):
        services.survey_link_verify(token=_aged_token(case, 31))
    response, body = page(host_client(alpha_host), f"/survey/{_aged_token(case, 31)}/")
    assert response.status_code == 410
    assert city.alpha.service_phone in body
    assert 'type="radio"' not in body and case.demand.enterprise_name not in body


@pytest.mark.clause("5.2.4")
def test_no_link_is_valid_after_the_days_the_setting_gives(city, alpha, completed, settings):
    case, _ = completed
    token = services.survey_link_token(case=case)
    settings.DESK_SURVEY_LINK_DAYS = 0
    time.sleep(1.1)  # timestamps count whole seconds
    with pytest.raises(services.SurveyLinkExpired):
        services.survey_link_verify(token=token)


@pytest.mark.parametrize(
    "tamper",
    [
        pytest.param(lambda token: token[:-1] + ("A" if token[-1] != "A" else "B"), id="signature"),
        pytest.param(lambda token: re.sub(r"\.(\d+):", lambda m: f".{int(m.group(1)) + 1}:", token), id="case"),
        pytest.param(lambda token: "st_beta" + token[len("st_alpha") :], id="station"),
        pytest.param(lambda token: "made-up", id="made-up"),
    ],
)
@pytest.mark.clause("5.2.4")
def test_a_tampered_link_is_not_found_and_shows_nothing(city, alpha_host, completed, tamper):
    case, _ = completed
    token = tamper(services.survey_link_token(case=case))
    with pytest.raises(ServiceCase.DoesNotExist):
        services.survey_link_verify(token=token)
    response, body = page(host_client(alpha_host), f"/survey/{token}/")
    assert response.status_code == 404
    assert case.demand.enterprise_name not in body and case.number not in body
    assert host_client(alpha_host).post(f"/survey/{token}/", FORM).status_code == 404
    assert not Survey.objects.exists()


@pytest.mark.clause("5.2.4")
def test_another_stations_link_does_not_exist_here(city, alpha_host, beta_host, completed):
    case, _ = completed
    token = services.survey_link_token(case=case)
    missing = services.survey_link_token(case=ServiceCase(pk=10**9))
    with schema_context(city.beta.schema_name), pytest.raises(ServiceCase.DoesNotExist):
        services.survey_link_verify(token=token)
    response, body = page(host_client(beta_host), f"/survey/{token}/")
    assert response.status_code == 404 and case.demand.enterprise_name not in body
    assert host_client(alpha_host).get(f"/survey/{missing}/").status_code == 404  # alike: a case that is not there


def test_the_survey_page_is_not_on_the_public_host(city, public_host, completed):
    case, _ = completed
    assert host_client(public_host).get(f"/survey/{services.survey_link_token(case=case)}/").status_code == 404


# --- The services -----------------------------------------------------------------------------------------------


@pytest.mark.clause("5.2.4")
def test_one_survey_per_case_and_a_submitted_one_cannot_be_changed(city, completed):
    case, _ = completed
    services.survey_submit(case=case, channel="link", **ANSWERS)
    with pytest.raises(ValidationError) as raised:
        services.survey_submit(case=case, channel="paper", user=city.alpha_staff, **ANSWERS)
    assert "survey" in raised.value.message_dict
    with pytest.raises(IntegrityError), transaction.atomic():
        Survey.objects.create(case=case, channel="paper", **ANSWERS)  # the database guards it too
    assert Survey.objects.count() == 1


@pytest.mark.clause("5.2.4")
def test_paper_key_in_records_who_keyed_it_and_needs_the_stations_staff(city, completed):
    case, _ = completed
    for outsider in (None, city.beta_staff, city.outsider):
        with pytest.raises(PermissionDenied):
            services.survey_submit(case=case, channel="paper", user=outsider, **ANSWERS)
    survey = services.survey_submit(case=case, channel="paper", user=city.alpha_head, **ANSWERS)
    assert (survey.channel, survey.keyed_in_by) == ("paper", city.alpha_head)
    event = CaseEvent.objects.filter(case=case, kind=EventKind.SURVEY).last()
    assert event.actor == city.alpha_head
    case.refresh_from_db()
    assert case.state == CaseState.EVALUATED


@pytest.mark.parametrize("solved", [True, False])
@pytest.mark.clause("Appendix B")
def test_question_5_is_yes_or_no(city, completed, solved):
    case, _ = completed
    assert services.survey_submit(case=case, channel="link", **ANSWERS | {"q5": solved}).q5 is solved


@pytest.mark.clause("Appendix B")
def test_every_question_must_be_answered_and_rated_on_the_forms_scale(city, completed):
    case, _ = completed
    with pytest.raises(ValidationError) as raised:
        services.survey_submit(
            case=case, channel="link", **{k: v for k, v in ANSWERS.items() if k != "q5"} | {"q1": "ok"}
        )
    assert set(raised.value.message_dict) == {"q1", "q5"}
    assert services.survey_submit(case=case, channel="link", **ANSWERS | {"opinions": "", "signatory": ""})


@pytest.mark.clause("5.2.4")
@pytest.mark.clause("Appendix B")
def test_the_database_refuses_to_change_or_delete_a_submitted_survey(city, completed):
    """Whatever code or person tries: the survey stays as the enterprise answered it."""
    case, _ = completed
    survey = services.survey_submit(case=case, channel="link", **ANSWERS)
    with pytest.raises(IntegrityError, match="append-only"), transaction.atomic():
        Survey.objects.filter(pk=survey.pk).update(q10="dissatisfied")
    with pytest.raises(IntegrityError, match="append-only"), transaction.atomic():
        Survey.objects.filter(pk=survey.pk).delete()
    with pytest.raises(IntegrityError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE desk_survey SET opinions = '' WHERE id = %s", [survey.pk])
    assert Survey.objects.get(pk=survey.pk).q10 == "satisfied"
    # Only an approved disposal of an archive past its retention (clause 7.4) removes it, with the timeline.
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL stationnet.archive_disposal = 'on'")
        cursor.execute("DELETE FROM desk_survey WHERE id = %s", [survey.pk])
        assert not Survey.objects.filter(pk=survey.pk).exists()
        transaction.set_rollback(True)


@pytest.mark.clause("5.2.4")
def test_a_reminder_does_not_extend_the_links_validity(city, alpha, alpha_host, link, settings):
    """The reminder's link is signed again, but it ends when the first one does: DESK_SURVEY_LINK_DAYS after the
    link first went out."""
    settings.DESK_SURVEY_LINK_DAYS = 30
    invitation = SurveyInvitation.objects.get()
    case = invitation.case
    SurveyInvitation.objects.filter(pk=invitation.pk).update(sent_at=timezone.now() - datetime.timedelta(days=29))
    fresh = services.survey_link_token(case=case)  # what a reminder or the tracking page sends now
    assert services.survey_link_verify(token=fresh) == case
    SurveyInvitation.objects.filter(pk=invitation.pk).update(sent_at=timezone.now() - datetime.timedelta(days=31))
    with pytest.raises(services.SurveyLinkExpired):
        services.survey_link_verify(token=fresh)
    response, body = page(host_client(alpha_host), f"/survey/{fresh}/")
    assert response.status_code == 410 and 'type="radio"' not in body
    assert services.survey_link_valid_until(invitation=SurveyInvitation.objects.get()) < timezone.now()


@pytest.mark.clause("5.2.4")
def test_no_reminder_goes_for_a_link_that_has_ended(
    city, alpha, link, mailoutbox, settings, django_capture_on_commit_callbacks
):
    settings.DESK_SURVEY_REMINDER_WORKING_DAYS = 3
    settings.DESK_SURVEY_LINK_DAYS = 2
    invitation = SurveyInvitation.objects.get()
    _sent_working_days_ago(invitation, 3)
    with django_capture_on_commit_callbacks() as callbacks:
        assert services.survey_remind_due() == 0
    assert callbacks == [] and len(mailoutbox) == 1
    invitation.refresh_from_db()
    assert invitation.reminded_at is None


def test_only_a_completed_case_is_rated(city, alpha, enterprise):
    case = case_in_service(city, enterprise)
    with pytest.raises(ValidationError) as raised:
        services.survey_submit(case=case, channel="paper", user=city.alpha_staff, **ANSWERS)
    assert "state" in raised.value.message_dict
    assert not Survey.objects.exists()


# --- Survey reminder --------------------------------------------------------------------------------------------


def _sent_working_days_ago(invitation: SurveyInvitation, days: int) -> None:
    """Pretend the link went out long enough ago that `days` working days have passed since."""
    now = timezone.now()
    sent = now - datetime.timedelta(days=days)
    while workdays.add_working_days(sent, days) >= now:
        sent -= datetime.timedelta(days=1)
    SurveyInvitation.objects.filter(pk=invitation.pk).update(sent_at=sent)


@pytest.mark.clause("5.2.4")
def test_an_unanswered_survey_is_reminded_once(
    city, alpha, enterprise, link, mailoutbox, settings, django_capture_on_commit_callbacks
):
    settings.DESK_SURVEY_REMINDER_WORKING_DAYS = 3
    invitation = SurveyInvitation.objects.get()
    with django_capture_on_commit_callbacks() as callbacks:
        assert services.survey_remind_due() == 0  # just sent
    _sent_working_days_ago(invitation, 3)
    with django_capture_on_commit_callbacks() as callbacks:
        assert services.survey_remind_due() == 1
        assert services.survey_remind_due() == 0  # run twice: reminded once
    invitation.refresh_from_db()
    assert invitation.reminded_at is not None
    assert run_queued(callbacks, app="core.desk") == [True]
    reminder = mailoutbox[-1]
    assert reminder.to == ["wang@example.test"] and len(mailoutbox) == 2
    assert LINK.search(reminder.body)
    assert CaseEvent.objects.filter(case=invitation.case, kind=EventKind.SURVEY).count() == 2  # sent, reminded


def test_an_answered_survey_is_not_reminded(city, alpha, link, django_capture_on_commit_callbacks):
    invitation = SurveyInvitation.objects.get()
    services.survey_submit(case=invitation.case, channel="link", **ANSWERS)
    _sent_working_days_ago(invitation, 3)
    with django_capture_on_commit_callbacks() as callbacks:
        assert services.survey_remind_due() == 0
    assert queued(callbacks) == []


# --- Deadline reminders ------------------------------------------------------------------------------------------


def deadline_told(case: ServiceCase) -> list[tuple[str, str]]:
    """The deadline notifications of `case` (core.notifications): (kind, recipient's user name)."""
    told = Notification.objects.filter(kind__startswith="deadline_", key__contains=f":{case.pk}:")
    return sorted(told.values_list("kind", "recipient__username"))


def _due(case: ServiceCase, when: datetime.datetime) -> ServiceCase:
    ServiceCase.objects.filter(pk=case.pk).update(due_at=when)
    case.refresh_from_db()
    return case


def test_a_case_near_its_deadline_reminds_the_assignee_then_past_it_the_head(
    city, alpha, enterprise, mailoutbox, django_capture_on_commit_callbacks
):
    case = _due(case_in_service(city, enterprise), timezone.now() + datetime.timedelta(hours=1))
    far = _due(case_in_service(city, enterprise), workdays.add_working_days(timezone.now(), 5))
    with django_capture_on_commit_callbacks() as callbacks:
        assert services.case_deadline_remind() == {"warned": 1, "escalated": 0}
        assert services.case_deadline_remind() == {"warned": 0, "escalated": 0}  # exactly once
    # Notified (core.notifications): in the app, and by e-mail (the kind's default), one delivery sent once.
    assert deadline_told(case) == [("deadline_near", "alpha-staff")]
    assert run_queued(callbacks, app="core.deliveries") == [True]
    [warning] = mailoutbox
    assert warning.to == ["alpha-staff@example.test"]
    assert case.number in warning.subject and f"/desk/cases/{case.pk}/" in warning.body
    case.refresh_from_db()
    far.refresh_from_db()
    assert case.reminded_at is not None and case.escalated_at is None
    assert far.reminded_at is None
    version = case.version

    case = _due(case, timezone.now() - datetime.timedelta(minutes=1))
    with django_capture_on_commit_callbacks() as callbacks:
        assert services.case_deadline_remind() == {"warned": 0, "escalated": 1}
        assert services.case_deadline_remind() == {"warned": 0, "escalated": 0}
    assert run_queued(callbacks, app="core.deliveries") == [True, True]  # one e-mail each
    overdue = mailoutbox[1:]
    assert sorted(mail.to[0] for mail in overdue) == ["alpha-head@example.test", "alpha-staff@example.test"]
    assert all(case.number in mail.subject for mail in overdue)
    case.refresh_from_db()
    assert case.escalated_at is not None and case.version == version  # a reminder does not make the case stale
    reminders = list(CaseEvent.objects.filter(case=case, kind=EventKind.REMINDER))
    assert len(reminders) == 2 and all(event.actor is None for event in reminders)
    assert city.alpha_staff.display_name in reminders[0].text
    assert city.alpha_head.display_name in reminders[1].text


def test_an_unassigned_case_reminds_the_station_head(city, alpha, enterprise, django_capture_on_commit_callbacks):
    from tests.core.desk.builders import take_demand

    case = _due(take_demand(city, enterprise).cases.get(), timezone.now() + datetime.timedelta(hours=1))
    assert case.assignee is None
    with django_capture_on_commit_callbacks():
        assert services.case_deadline_remind() == {"warned": 1, "escalated": 0}
    assert deadline_told(case) == [("deadline_near", "alpha-head@example.test")]


def test_a_case_first_seen_past_its_deadline_is_escalated_once_without_a_warning(
    city, alpha, enterprise, django_capture_on_commit_callbacks
):
    case = _due(case_in_service(city, enterprise), timezone.now() - datetime.timedelta(days=1))
    with django_capture_on_commit_callbacks():
        assert services.case_deadline_remind() == {"warned": 0, "escalated": 1}
        assert services.case_deadline_remind() == {"warned": 0, "escalated": 0}
    assert {kind for kind, _user in deadline_told(case)} == {"deadline_passed"}
    case.refresh_from_db()
    assert case.reminded_at is not None and case.escalated_at is not None


def test_held_and_closed_cases_are_not_reminded(city, alpha, enterprise, django_capture_on_commit_callbacks):
    held = services.case_transition(
        case=case_in_service(city, enterprise), to=CaseState.ON_HOLD, user=city.alpha_staff, reason="企业停产"
    )
    _due(held, timezone.now() - datetime.timedelta(days=1))
    done = _due(case_completed(city, enterprise), timezone.now() - datetime.timedelta(days=1))
    assert done.state == CaseState.COMPLETED
    with django_capture_on_commit_callbacks():
        assert services.case_deadline_remind() == {"warned": 0, "escalated": 0}


def test_the_beat_task_visits_every_station_in_its_own_schema(
    city, alpha, enterprise, django_capture_on_commit_callbacks
):
    case = _due(case_in_service(city, enterprise), timezone.now() - datetime.timedelta(days=1))
    with django_capture_on_commit_callbacks() as callbacks:
        results = case_deadline_remind_all_task.apply().get()
    assert results["alpha"] == {"warned": 0, "escalated": 1}
    assert results["beta"] == {"warned": 0, "escalated": 0}
    queued_deliveries = [callback.args for callback in queued_tasks(callbacks, app="core.deliveries")]
    assert {schema for _task, schema, _kwargs in queued_deliveries} == {city.alpha.schema_name}
    with schema_context(city.alpha.schema_name):
        assert set(Delivery.objects.filter(kind="deadline_passed").values_list("case_id", flat=True)) == {case.pk}

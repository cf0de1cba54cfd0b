"""The survey link on the case page (issue 15): the page says whether the link went out (to which address, when), was
not sent because the enterprise left no address, or failed; staff add the contact's e-mail (or correct it) and the
link is sent then, through the same task as the automatic send, once.

As in test_surveys.py, the e-mails are queued after commit (the on-commit callbacks are captured) and their task then
runs in this process as a worker would run it, in the station's schema, against the real database, into Django's
locmem mail box, or, for the failures, against a real SMTP connection: a port where nothing listens, and a small
SMTP server of this module that refuses the recipient.
"""

import datetime
import re
import socket
import socketserver
import threading
from contextlib import contextmanager

import pytest
from django.conf import settings as django_settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone
from django_tenants.utils import schema_context

from core.archive.services import case_confidential_mark
from core.desk import services
from core.desk.models import CaseEvent, CaseState, EventKind, PlanKind, ServiceCase, SurveyInvitation
from core.desk.tasks import survey_invitation_send_task
from tenants.models import Membership
from tests.conftest import host_client
from tests.core.desk.builders import boxes, case_completed, new_enterprise, take_demand
from tests.tasks import queued_tasks, run_queued

LINK = re.compile(r"https?://alpha\.localhost(?::\d+)?(/survey/[^/\s]+/)")
SENT = "已向企业发送评价链接"  # what the page said whether or not a link had gone out (issue 15)


def text(response) -> str:
    return response.content.decode()


def queued(callbacks) -> list[tuple[str, str, dict]]:
    return [
        (callback.args[0].name, callback.args[1], callback.args[2])
        for callback in queued_tasks(callbacks, app="core.desk")
    ]


@pytest.fixture
def staff(city, alpha_host):
    return host_client(alpha_host, city.alpha_staff)


@pytest.fixture
def unaddressed(city, django_capture_on_commit_callbacks) -> ServiceCase:
    """A completed case whose enterprise left no e-mail address: nothing was queued."""
    with schema_context(city.alpha.schema_name), django_capture_on_commit_callbacks() as callbacks:
        case = case_completed(city, new_enterprise(email=""))
    assert queued(callbacks) == []
    return case


def _invitation(city, case) -> SurveyInvitation:
    with schema_context(city.alpha.schema_name):
        return SurveyInvitation.objects.select_related("email_added_by").get(case=case)


def _survey_events(city, case) -> list[CaseEvent]:
    with schema_context(city.alpha.schema_name):
        return list(CaseEvent.objects.filter(case=case, kind=EventKind.SURVEY).select_related("actor"))


def _send_from_page(client, case, email, capture):
    """Post the page's "send the survey link" form; the response and the tasks it queued."""
    with capture() as callbacks:
        response = client.post(f"/desk/cases/{case.pk}/", {"action": "survey_link", "email": email})
    return response, callbacks


# --- What the page says -------------------------------------------------------------------------------------------


@pytest.mark.clause("5.2.4")
def test_without_an_address_the_page_says_no_link_was_sent_and_offers_to_add_one(city, staff, unaddressed):
    page = text(staff.get(f"/desk/cases/{unaddressed.pk}/"))
    assert SENT not in page  # the bug: it said so although nothing had gone out
    assert "企业未留电子邮箱，评价链接未发送" in page
    assert 'name="action" value="survey_link"' in page and 'name="email"' in page
    assert "企业联系人邮箱" in page and "发送评价链接" in page
    assert 'name="action" value="survey"' in page  # the paper form stays the other way


@pytest.mark.clause("5.2.4")
def test_the_page_says_the_link_is_on_its_way_then_where_and_when_it_was_sent(
    city, staff, enterprise, mailoutbox, django_capture_on_commit_callbacks
):
    with schema_context(city.alpha.schema_name), django_capture_on_commit_callbacks() as callbacks:
        case = case_completed(city, enterprise)
    url = f"/desk/cases/{case.pk}/"
    page = text(staff.get(url))
    assert "评价链接正在发送至 wang@example.test" in page and SENT not in page
    assert 'value="survey_link"' not in page  # nothing to add: the demand's address is being used

    assert run_queued(callbacks, app="core.desk") == [True]
    invitation = _invitation(city, case)
    sent = timezone.localtime(invitation.sent_at)
    until = sent + datetime.timedelta(days=django_settings.DESK_SURVEY_LINK_DAYS)
    page = text(staff.get(url))
    assert f"评价链接已于 {sent:%Y-%m-%d %H:%M} 发送至 wang@example.test" in page
    assert f"有效期至 {until:%Y-%m-%d %H:%M}" in page
    assert 'value="survey_link"' not in page
    [message] = mailoutbox
    assert message.to == ["wang@example.test"]


# --- Adding the address and sending -------------------------------------------------------------------------------


@pytest.mark.clause("5.2.4")
def test_staff_add_the_contacts_e_mail_and_the_link_goes_through_the_same_task_once(
    city, staff, unaddressed, mailoutbox, django_capture_on_commit_callbacks
):
    response, callbacks = _send_from_page(staff, unaddressed, " li@example.test ", django_capture_on_commit_callbacks)
    assert response.status_code == 302, text(response)[:2000]
    invitation = _invitation(city, unaddressed)
    assert invitation.email == "li@example.test" and invitation.sent_at is None and mailoutbox == []
    assert (invitation.email_added_by, invitation.email_added_at is not None) == (city.alpha_staff, True)
    # The same task, in the same schema, as the automatic send after completion.
    assert queued(callbacks) == [
        (survey_invitation_send_task.name, city.alpha.schema_name, {"invitation_id": invitation.pk})
    ]
    assert "评价链接正在发送给企业" in text(staff.get(response["Location"]))

    assert run_queued(callbacks, app="core.desk") == [True]
    assert run_queued(callbacks, app="core.desk") == [False]  # a re-delivered task sends nothing more
    [message] = mailoutbox
    assert message.to == ["li@example.test"] and LINK.search(message.body)
    assert unaddressed.number in message.body
    added, sent = _survey_events(city, unaddressed)[-2:]
    assert (added.actor, added.text) == (city.alpha_staff, "已补充企业联系人邮箱 li@example.test，评价链接正在发送。")
    assert (sent.actor, sent.text) == (None, "评价链接已发送至 li@example.test")

    page = text(staff.get(f"/desk/cases/{unaddressed.pk}/"))
    assert "发送至 li@example.test" in page and f"邮箱由 {city.alpha_staff.display_name}" in page
    assert 'value="survey_link"' not in page
    assert "已补充企业联系人邮箱 li@example.test" in page  # on the timeline


@pytest.mark.clause("5.2.4")
def test_the_link_staff_sent_is_the_enterprises_valid_link(
    city, alpha_host, staff, unaddressed, mailoutbox, django_capture_on_commit_callbacks
):
    _response, callbacks = _send_from_page(staff, unaddressed, "li@example.test", django_capture_on_commit_callbacks)
    run_queued(callbacks, app="core.desk")
    path = LINK.search(mailoutbox[-1].body).group(1)
    survey = host_client(alpha_host).get(path)
    assert survey.status_code == 200 and 'type="radio"' in text(survey)


@pytest.mark.parametrize(
    ("email", "message"),
    [
        ("", "必填"),
        ("li@", "请输入合法的邮件地址"),
        ("li example.test", "请输入合法的邮件地址"),
        ("alpha-head@example.test", "该邮箱属于本站人员，评价链接只能发送给企业。"),
        ("ALPHA-STAFF@example.test", "该邮箱属于本站人员，评价链接只能发送给企业。"),
    ],
    ids=["blank", "no-domain", "space", "a-member", "a-member-in-capitals"],
)
def test_a_bad_address_is_refused_on_its_field_in_chinese_and_nothing_is_sent(
    city, staff, unaddressed, django_capture_on_commit_callbacks, email, message
):
    response, callbacks = _send_from_page(staff, unaddressed, email, django_capture_on_commit_callbacks)
    assert response.status_code == 400
    errors = response.context["forms"]["survey_link"].errors
    assert list(errors) == ["email"] and message in errors["email"][0]
    assert message in text(response) and 'value="survey_link"' in text(response)
    assert queued(callbacks) == []
    invitation = _invitation(city, unaddressed)
    assert (invitation.email, invitation.email_added_by) == ("", None)


def test_the_service_refuses_a_bad_address_by_field(city, alpha, unaddressed):
    for email, code in (("", "required"), ("not-an-address", "invalid"), ("x" * 250 + "@example.test", None)):
        with pytest.raises(ValidationError) as raised:
            services.survey_invitation_email_add(case=unaddressed, user=city.alpha_staff, email=email)
        assert list(raised.value.message_dict) == ["email"], email
        if code:
            assert raised.value.error_dict["email"][0].code == code


@pytest.mark.clause("5.2.4")
def test_a_link_is_sent_once_a_second_send_is_refused_clearly(
    city, staff, unaddressed, mailoutbox, django_capture_on_commit_callbacks
):
    _response, callbacks = _send_from_page(staff, unaddressed, "li@example.test", django_capture_on_commit_callbacks)
    # Sent twice before the worker ran (a double click): the second is refused, the link is on its way.
    again, more = _send_from_page(staff, unaddressed, "li@example.test", django_capture_on_commit_callbacks)
    assert again.status_code == 400 and "评价链接正在发送至 li@example.test，请稍候查看结果。" in text(again)
    assert queued(more) == []
    assert run_queued(callbacks, app="core.desk") == [True]

    sent_at = timezone.localtime(_invitation(city, unaddressed).sent_at)
    third, more = _send_from_page(staff, unaddressed, "other@example.test", django_capture_on_commit_callbacks)
    assert third.status_code == 400 and queued(more) == []
    assert f"评价链接已于 {sent_at:%Y-%m-%d %H:%M} 发送至 li@example.test。每个评价链接只发送一次" in text(third)
    with schema_context(city.alpha.schema_name), pytest.raises(ValidationError) as raised:
        services.survey_invitation_email_add(case=unaddressed, user=city.alpha_head, email="other@example.test")
    assert raised.value.code == "sent"
    assert [m.to for m in mailoutbox] == [["li@example.test"]]
    assert _invitation(city, unaddressed).email == "li@example.test"


def test_a_case_not_completed_or_already_rated_gets_no_link(city, alpha, enterprise, unaddressed):
    open_case = take_demand(city, enterprise).cases.get()
    with pytest.raises(ValidationError) as raised:
        services.survey_invitation_email_add(case=open_case, user=city.alpha_staff, email="li@example.test")
    assert raised.value.message_dict == {"state": ["案件办结后才能发送评价链接。"]}
    answers = {f"q{n}": "satisfied" for n in (1, 2, 3, 4, 6, 7, 8, 9, 10)} | {"q5": True}
    services.survey_submit(case=unaddressed, channel="paper", user=city.alpha_staff, **answers)
    with pytest.raises(ValidationError) as raised:
        services.survey_invitation_email_add(case=unaddressed, user=city.alpha_staff, email="li@example.test")
    assert raised.value.message_dict == {"state": ["该服务已评价，无需再发送评价链接。"]}
    assert not SurveyInvitation.objects.filter(case=open_case).exists()


# --- Who may do it ------------------------------------------------------------------------------------------------


@pytest.mark.clause("5.2.4")
def test_only_the_stations_members_who_see_the_case_send_its_link(
    city, alpha, unaddressed, django_capture_on_commit_callbacks
):
    invitee = Membership.objects.get(pk=city.invitee_membership_id).user
    case_confidential_mark(case=unaddressed, user=city.alpha_head)  # now seen by its assignee and the head only
    for user in (None, city.outsider, city.beta_staff, city.beta_head, city.bureau_admin, invitee):
        with pytest.raises(PermissionDenied) as raised:
            services.survey_invitation_email_add(case=unaddressed, user=user, email="li@example.test")
        assert str(raised.value) == "只有可查看该案件的本站人员才能发送其评价链接。"
    Membership.objects.filter(user=city.alpha_staff, station=city.alpha).update(is_active=False)  # rolled back
    with pytest.raises(PermissionDenied):
        services.survey_invitation_email_add(case=unaddressed, user=city.alpha_staff, email="li@example.test")
    assert SurveyInvitation.objects.get(case=unaddressed).email == ""
    with django_capture_on_commit_callbacks() as callbacks:
        invitation = services.survey_invitation_email_add(
            case=unaddressed, user=city.alpha_head, email="li@example.test"
        )
    assert invitation.email_added_by == city.alpha_head and len(queued(callbacks)) == 1


def test_another_stations_member_cannot_reach_the_form(city, alpha_host, unaddressed):
    for client in (host_client(alpha_host, city.beta_staff), host_client(alpha_host, city.bureau_admin)):
        response = client.post(f"/desk/cases/{unaddressed.pk}/", {"action": "survey_link", "email": "x@example.test"})
        assert response.status_code == 403
    assert _invitation(city, unaddressed).email == ""


# --- Failures -----------------------------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _smtp_at(settings, port: int) -> None:
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", port, 5
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""


class _SMTPHandler(socketserver.StreamRequestHandler):
    """Just enough of an SMTP server for the failures: when `unavailable` it answers every connection 421 (down for
    maintenance), otherwise it refuses every recipient for good (550), as a server does for a mistyped mailbox."""

    def handle(self):
        self.server.connections += 1
        if self.server.unavailable:
            self.wfile.write(b"421 4.3.2 Service not available\r\n")
            return
        self.wfile.write(b"220 refusing.test ESMTP\r\n")
        for line in self.rfile:
            command = line.strip().upper()
            if command.startswith(b"RCPT"):
                self.wfile.write(b"550 5.1.1 No such mailbox\r\n")
            elif command.startswith(b"QUIT"):
                self.wfile.write(b"221 Bye\r\n")
                return
            else:
                self.wfile.write(b"250 OK\r\n")


@contextmanager
def smtp_server(*, unavailable: bool = False):
    """A real SMTP server on a free port of this machine (see `_SMTPHandler`); it counts the connections."""
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), _SMTPHandler)
    server.daemon_threads = True
    server.unavailable, server.connections = unavailable, 0
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def _run_task(callbacks):
    """Run the queued send task as the worker does, its automatic retries included (run at once here)."""
    [(task, schema, kwargs)] = [callback.args for callback in queued_tasks(callbacks, app="core.desk")]
    return task.apply(kwargs=kwargs, headers={"_schema_name": schema})


@pytest.mark.clause("5.2.4")
def test_a_mail_server_that_is_down_is_retried_then_the_page_says_it_failed_and_staff_send_again(
    city, staff, enterprise, settings, mailoutbox, django_capture_on_commit_callbacks
):
    with schema_context(city.alpha.schema_name), django_capture_on_commit_callbacks() as callbacks:
        case = case_completed(city, enterprise)
    invitation = _invitation(city, case)
    locmem = settings.EMAIL_BACKEND
    url = f"/desk/cases/{case.pk}/"

    # One attempt of the worker while nothing listens on the mail port: the failure is kept, a retry follows.
    _smtp_at(settings, _free_port())
    with schema_context(city.alpha.schema_name), pytest.raises(ConnectionRefusedError):
        services.survey_invitation_send(invitation_id=invitation.pk)
    invitation = _invitation(city, case)
    assert invitation.sent_at is None and invitation.failed_at is not None and invitation.gave_up_at is None
    assert invitation.failure.startswith("无法连接邮件服务器，或邮件被拒收（[Errno 111]")
    page = text(staff.get(url))
    assert SENT not in page and "评价链接未能发送至 wang@example.test" in page and "系统正在自动重试" in page
    assert "重新发送评价链接" in page and 'value="wang@example.test"' in page  # correct it, or send again

    # The task with its automatic retries while the server answers "not available": it gives up after the last.
    with smtp_server(unavailable=True) as server:
        _smtp_at(settings, server.server_address[1])
        result = _run_task(callbacks)
    assert result.state == "FAILURE"
    assert server.connections == survey_invitation_send_task.max_retries + 1
    invitation = _invitation(city, case)
    assert invitation.gave_up_at is not None and invitation.sent_at is None
    assert "421 4.3.2 Service not available" in invitation.failure
    page = text(staff.get(url))
    assert "系统已停止自动重试" in page and "重新发送评价链接" in page and "421 4.3.2 Service not available" in page
    events = [event.text for event in _survey_events(city, case)]
    assert len(events) == 2  # the first failure and the end of the retries, not every attempt
    assert events[0].startswith("评价链接发送至 wang@example.test 失败：无法连接邮件服务器")
    assert "系统已停止自动重试" in events[1]

    settings.EMAIL_BACKEND = locmem  # the mail server is back; staff correct the address
    response, again = _send_from_page(staff, case, "wang.li@example.test", django_capture_on_commit_callbacks)
    assert response.status_code == 302, text(response)[:2000]
    assert run_queued(again, app="core.desk") == [True]
    [message] = mailoutbox
    assert message.to == ["wang.li@example.test"]
    invitation = _invitation(city, case)
    assert (invitation.failed_at, invitation.gave_up_at, invitation.failure) == (None, None, "")
    assert "由 wang@example.test 更正为 wang.li@example.test" in _survey_events(city, case)[-2].text
    page = text(staff.get(url))
    assert 'data-state="sent"' in page and "发送至 wang.li@example.test" in page


@pytest.mark.clause("5.2.4")
def test_a_refused_address_is_not_retried_and_the_page_asks_for_another(
    city, staff, enterprise, settings, django_capture_on_commit_callbacks
):
    with schema_context(city.alpha.schema_name), django_capture_on_commit_callbacks() as callbacks:
        case = case_completed(city, enterprise)
    with smtp_server() as server:
        _smtp_at(settings, server.server_address[1])
        result = _run_task(callbacks)
    assert result.state == "SUCCESS" and result.result is False
    assert server.connections == 1  # no retry: retrying cannot help
    invitation = _invitation(city, case)
    assert invitation.gave_up_at is not None and invitation.sent_at is None
    assert invitation.failure == "邮件服务器拒收该地址（550 5.1.1 No such mailbox）。"
    page = text(staff.get(f"/desk/cases/{case.pk}/"))
    assert "系统已停止自动重试" in page and "550 5.1.1 No such mailbox" in page
    assert 'name="action" value="survey_link"' in page


# --- For the whole demand -----------------------------------------------------------------------------------------


def _complete(city, case: ServiceCase) -> ServiceCase:
    """Walk a case of a demand to completion, as builders.case_completed does for a demand of one case."""
    now = timezone.now()
    services.case_plan(
        case=case,
        user=city.alpha_staff,
        kind=PlanKind.SELF,
        evaluation="上门服务",
        appointment_at=now + datetime.timedelta(days=1),
        staff=city.alpha_staff,
    )
    for state in (CaseState.IN_SERVICE, CaseState.FOLLOWING_UP):
        case = services.case_transition(case=case, to=state, user=city.alpha_staff)
    services.record_save(
        case=case,
        user=city.alpha_staff,
        requested_at=now - datetime.timedelta(hours=5),
        received_at=now - datetime.timedelta(hours=4),
        ended_at=now - datetime.timedelta(hours=1),
        resolution="已完成",
    )
    return services.case_transition(case=case, to=CaseState.COMPLETED, user=city.alpha_staff)


def test_an_address_added_for_one_case_serves_the_demands_other_cases(
    city, alpha, staff, django_capture_on_commit_callbacks
):
    demand = take_demand(city, new_enterprise(email=""), boxes=boxes("计量检定、校准", "产品检验检测"))
    first, second = demand.cases.order_by("number")
    with django_capture_on_commit_callbacks() as callbacks:
        _complete(city, first)
    assert queued(callbacks) == []
    services.survey_invitation_email_add(case=first, user=city.alpha_staff, email="li@example.test")
    page = text(staff.get(f"/desk/cases/{first.pk}/"))
    assert "评价链接正在发送至 li@example.test" in page
    with django_capture_on_commit_callbacks() as callbacks:
        _complete(city, second)
    invitation = SurveyInvitation.objects.get(case=second)
    assert invitation.email == "li@example.test" and invitation.email_added_by is None
    assert queued(callbacks) == [
        (survey_invitation_send_task.name, city.alpha.schema_name, {"invitation_id": invitation.pk})
    ]

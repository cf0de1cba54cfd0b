"""Satisfaction surveys (Appendix B): the signed link, its invitation by e-mail and reminder, the answers."""

import datetime
import smtplib

from django.conf import settings
from django.core import signing
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from core.archive.services import archive_entry_create
from core.common import workdays
from core.common.mail import mail
from core.common.masking import mask_phone
from core.common.sms import mobile_number
from core.desk.models import (
    CaseState,
    Channel,
    Demand,
    EventKind,
    ServiceCase,
    Survey,
    SurveyChannel,
    SurveyInvitation,
)
from core.desk.services._base import _event, _locked, _station
from core.desk.services.cases import case_transition
from core.desk.services.tracking import case_completed_announce, case_survey_reminder_announce
from tenants.hosts import station_reverse
from tenants.models import MemberRole, User
from tenants.selectors import (
    MESSAGES,
    PLATFORM,
    PUBLIC,
    SystemActor,
    actor_person,
    actor_roles,
    is_member,
    require_member,
    station_members,
)
from tenants.tasks import queue_after_commit

SURVEY_LINK_SALT = "core.desk.survey-link"


SURVEY_ANSWERS = ("q1", "q2", "q3", "q4", "q5", "q6", "q7", "q8", "q9", "q10", "opinions", "signatory")


class SurveyLinkExpired(ValidationError):
    """A survey link this station signed, used after `DESK_SURVEY_LINK_DAYS` days."""


def _survey_signer() -> signing.TimestampSigner:
    return signing.TimestampSigner(salt=SURVEY_LINK_SALT)


def survey_link_token(*, case: ServiceCase) -> str:
    """The token of the enterprise's survey link (clause 5.2.4): it names the station's schema and the case, signed
    and timestamped. It lets its holder rate that one case, once, for `DESK_SURVEY_LINK_DAYS` days; nothing else."""
    return _survey_signer().sign(f"{connection.schema_name}.{case.pk}")


def survey_link_verify(*, token: str) -> ServiceCase:
    """The case a survey link names, in the active station's schema.

    A token not signed here (tampered with, made up), one of another station and one naming no case all raise
    `ServiceCase.DoesNotExist` alike: the visitor learns nothing (404). Only a genuine link of this station's that
    is too old raises `SurveyLinkExpired`, with its own message."""
    signer = _survey_signer()
    try:
        value = signer.unsign(token)
    except signing.BadSignature:
        raise ServiceCase.DoesNotExist("not a survey link of this station") from None
    schema, _dot, pk = value.rpartition(".")
    if schema != connection.schema_name or not pk.isdigit():
        raise ServiceCase.DoesNotExist("not a survey link of this station")
    case = ServiceCase.objects.select_related("demand", "category").get(pk=int(pk))
    try:
        signer.unsign(token, max_age=datetime.timedelta(days=settings.DESK_SURVEY_LINK_DAYS))
        expired = False
    except signing.SignatureExpired:
        expired = True
    # A copy signed later (the reminder's, the tracking page's) ends with the first: a reminder does not extend it.
    invitation = SurveyInvitation.objects.filter(case=case).first()
    if invitation is not None and timezone.now() >= survey_link_valid_until(invitation=invitation):
        expired = True
    if expired:
        raise SurveyLinkExpired(_("This survey link has expired."), code="expired")
    return case


def survey_link_valid_until(*, invitation: SurveyInvitation) -> datetime.datetime:
    """When the enterprise's survey link of a case stops working: `DESK_SURVEY_LINK_DAYS` days after it first went
    out (the e-mail's send, or the invitation itself when the link went by SMS alone). Every copy of the link (the
    reminder, the tracking page's, one signed again later) ends then: a reminder does not extend it."""
    return (invitation.sent_at or invitation.created_at) + datetime.timedelta(days=settings.DESK_SURVEY_LINK_DAYS)


def survey_link_url(*, case: ServiceCase, station=None) -> str:
    """The enterprise's survey link of `case`, freshly signed, on the station's host (e-mails, SMS, tracking page)."""
    station = station or _station()
    return station_reverse(station.code, "survey:form", token=survey_link_token(case=case))


def _survey_mail_context(case: ServiceCase) -> dict:
    """What the invitation and the reminder say: a freshly signed link on the station's host, the station, the case."""
    station = _station()
    return {
        "station": station,
        "case": case,
        "demand": case.demand,
        "link": survey_link_url(case=case, station=station),
        "days": settings.DESK_SURVEY_LINK_DAYS,
    }


@transaction.atomic
def survey_invite(*, case: ServiceCase, user: User | SystemActor) -> SurveyInvitation:
    """Ask the enterprise to rate a case that has just been completed (clause 5.2.4). The link goes, once the
    completion is committed, to the e-mail address of the demand as it was filled in. Without an address the
    invitation is kept unsent and the timeline says so: staff key in the signed paper form instead. A step of
    `case_transition`, by whoever completed the case."""
    from core.desk.tasks import survey_invitation_send_task

    require_member(user=user, system=(PLATFORM, MESSAGES))
    user = actor_person(user)

    invitation = SurveyInvitation.objects.filter(case=case).first()
    if invitation is not None:
        return invitation
    invitation = SurveyInvitation(case=case, email=demand_survey_email(demand=case.demand))
    invitation.full_clean()
    invitation.save()
    # By SMS to a mobile number, with the news that the case is completed (core.desk.services.tracking).
    case_completed_announce(case=case, survey_link=survey_link_url(case=case))
    sms_to = mobile_number(case.demand.phone) if case.demand.channel != Channel.REFERRAL else ""
    if invitation.email:
        queue_after_commit(survey_invitation_send_task, invitation_id=invitation.pk)
    elif sms_to:
        text = _(
            "No e-mail address for the enterprise: the survey link went by SMS to %(phone)s. Add the contact's e-mail "
            "on the case page to e-mail it too, or key in the signed paper form."
        )
        _event(case, kind=EventKind.SURVEY, actor=user, text=text % {"phone": mask_phone(sms_to)})
    else:
        _event(
            case,
            kind=EventKind.SURVEY,
            actor=user,
            text=_(
                "No e-mail address for the enterprise: the survey link was not sent. Add the contact's e-mail on the "
                "case page to send it, or key in the signed paper form."
            ),
        )
    return invitation


def demand_survey_email(*, demand: Demand) -> str:
    """Where the survey links of a demand's cases go: the address filled in on its form, else the one staff last
    added on the page of another of its cases (`survey_invitation_email_add`) that has not failed since. An address
    added for a demand serves its every case."""
    if demand.email:
        return demand.email
    added = (
        SurveyInvitation.objects.filter(case__demand=demand, email_added_at__isnull=False, failed_at__isnull=True)
        .exclude(email="")
        .order_by("-email_added_at", "-pk")
        .values_list("email", flat=True)
        .first()
    )
    return added or ""


def survey_invitation_send(*, invitation_id: int, last_attempt: bool = False) -> bool:
    """E-mail the enterprise its survey link (the task queued by `survey_invite` and `survey_invitation_email_add`).
    Returns False when there is nothing to send. At most once per invitation: the send and the `sent_at` stamp happen
    under the invitation's row lock, and a stamped invitation, or a case rated meanwhile (on paper), is skipped, so a
    retried task does not send twice.

    A failed attempt is kept on the invitation (`survey_invitation_failed`) and raised again for the task to retry;
    when the mail server refused the address for good, or on the task's `last_attempt`, the invitation says that no
    retry follows and the case page offers staff to correct the address."""
    try:
        with transaction.atomic():
            invitation = SurveyInvitation.objects.select_for_update().filter(pk=invitation_id).first()
            if invitation is None or invitation.sent_at is not None or not invitation.email:
                return False
            case = ServiceCase.objects.select_related("demand").get(pk=invitation.case_id)
            if case.state != CaseState.COMPLETED:
                return False
            mail(app="desk", template="survey_invitation", context=_survey_mail_context(case), to=[invitation.email])
            invitation.sent_at = timezone.now()
            invitation.failed_at = invitation.gave_up_at = None
            invitation.failure = ""
            invitation.save(update_fields=["sent_at", "failed_at", "gave_up_at", "failure"])
            with translation.override(settings.LANGUAGE_CODE):
                text = _("Survey link e-mailed to %(email)s") % {"email": invitation.email}
            _event(case, kind=EventKind.SURVEY, actor=None, text=text)
    except Exception as error:
        refused = _address_refused(error)
        retried = isinstance(error, smtplib.SMTPException | OSError) and not refused
        survey_invitation_failed(invitation_id=invitation_id, error=error, final=last_attempt or not retried)
        if refused:
            return False  # retrying cannot help: the page asks staff for another address
        raise
    return True


def _address_refused(error: BaseException) -> bool:
    """Whether the mail server refused every recipient for good (a 5xx reply): a wrong address, not an outage."""
    return isinstance(error, smtplib.SMTPRecipientsRefused) and all(
        code >= 500 for code, _reply in error.recipients.values()
    )


def _failure_text(error: BaseException) -> str:
    """Why an e-mail did not go, in a sentence staff can act on (kept on the invitation, in the site's language)."""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        replies = "; ".join(_smtp_reply(code, reply) for code, reply in error.recipients.values())
        text = _("The mail server refused the address (%(reply)s).") % {"reply": replies}
    elif isinstance(error, smtplib.SMTPException | OSError):
        detail = (
            _smtp_reply(error.smtp_code, error.smtp_error)
            if isinstance(error, smtplib.SMTPResponseException)
            else str(error)
        )
        text = _("The mail server could not be reached or refused the message (%(error)s).") % {"error": detail}
    else:
        text = f"{type(error).__name__}: {error}"
    return text[:300]


def _smtp_reply(code: int, reply: bytes | str) -> str:
    return f"{code} {reply.decode(errors='replace') if isinstance(reply, bytes) else reply}"


def survey_invitation_failed(*, invitation_id: int, error: BaseException, final: bool) -> None:
    """Keep on the invitation that e-mailing its link failed, and why (in its own transaction: the attempt's was
    rolled back); `final` when no automatic retry follows. The timeline says so at the first failure and when the
    retries stop, not at every attempt."""
    with transaction.atomic(), translation.override(settings.LANGUAGE_CODE):
        invitation = SurveyInvitation.objects.select_for_update().filter(pk=invitation_id).first()
        if invitation is None or invitation.sent_at is not None:
            return
        first = invitation.failed_at is None
        now = timezone.now()
        invitation.failed_at = now
        invitation.failure = _failure_text(error)
        invitation.gave_up_at = now if final else None
        invitation.save(update_fields=["failed_at", "failure", "gave_up_at"])
        values = {"email": invitation.email, "error": invitation.failure}
        if final:
            text = _(
                "The survey link could not be e-mailed to %(email)s: %(error)s No more automatic attempts: correct "
                "the address on the case page to send it, or key in the signed paper form."
            )
        elif first:
            text = _("E-mailing the survey link to %(email)s failed: %(error)s Retrying automatically.")
        else:
            return
        _event(invitation.case, kind=EventKind.SURVEY, actor=None, text=text % values)


# Who adds an enterprise's e-mail and sends its survey link from the case page: the station's members of these roles,
# and of a confidential case only those who see it (its assignee and the head, clause 7.3).
SURVEY_LINK_ROLES = (MemberRole.HEAD, MemberRole.STAFF)


def _survey_link_sender_check(*, user: User | None, case: ServiceCase) -> None:
    from core.archive.confidentiality import cases_visible_to

    allowed = (
        bool(actor_roles(user=user) & set(SURVEY_LINK_ROLES))
        and cases_visible_to(ServiceCase.objects.filter(pk=case.pk), user=user).exists()
    )
    if not allowed:
        raise PermissionDenied(_("Only members of this station who may see this case send its survey link."))


@transaction.atomic
def survey_invitation_email_add(*, case: ServiceCase, user: User, email: str) -> SurveyInvitation:
    """Add the enterprise contact's e-mail for a completed case whose survey link did not go out (the demand had no
    address, or e-mailing it failed) and send the link now, through the same task as the automatic send, after the
    commit. The address then also serves the demand's other cases (`demand_survey_email`).

    The link is e-mailed once: a link already sent, or on its way, is refused with a message saying so (if it did not
    arrive, staff key in the signed paper form), and so is a case that is not completed or was rated meanwhile. The
    address must be valid and not a member of this station's own (the survey rates the station's staff). Who added
    it, and when, is kept on the invitation and the timeline. Only `SURVEY_LINK_ROLES` who see the case may do it.
    (Once the platform sends text messages, a `phone` keyword joins `email` here.)"""
    from core.desk.tasks import survey_invitation_send_task

    _survey_link_sender_check(user=user, case=case)
    case = _locked(case)
    if case.state == CaseState.EVALUATED or Survey.objects.filter(case=case).exists():
        raise ValidationError(
            {"state": [_("This service has been rated already: no survey link is needed.")]}, code="answered"
        )
    if case.state != CaseState.COMPLETED:
        raise ValidationError({"state": [_("The survey link is sent once the case is completed.")]}, code="transition")
    invitation = SurveyInvitation.objects.select_for_update().filter(case=case).first() or SurveyInvitation(case=case)
    if invitation.sent_at is not None:
        raise ValidationError(
            _(
                "The survey link was e-mailed to %(email)s on %(when)s. A link is sent once: if it did not arrive, "
                "key in the signed paper form."
            )
            % {"email": invitation.email, "when": timezone.localtime(invitation.sent_at).strftime("%Y-%m-%d %H:%M")},
            code="sent",
        )
    if invitation.pk and invitation.email and invitation.failed_at is None:
        raise ValidationError(
            _("The survey link is on its way to %(email)s: wait for the result.") % {"email": invitation.email},
            code="sending",
        )
    previous, address = invitation.email, (email or "").strip()
    if not address:
        message = _("Enter the enterprise contact's e-mail address.")
        raise ValidationError({"email": ValidationError(message, code="required")})
    invitation.email = address
    try:
        invitation.full_clean(exclude=["case", "email_added_by"])
    except ValidationError as error:
        raise ValidationError({"email": error.error_dict.get("email") or error.messages}) from error
    if station_members().filter(email__iexact=address).exists():
        message = _("This is the e-mail of a member of this station: the survey link goes to the enterprise.")
        raise ValidationError({"email": ValidationError(message, code="member")})
    invitation.email_added_by, invitation.email_added_at = user, timezone.now()
    invitation.failed_at = invitation.gave_up_at = None
    invitation.failure = ""
    invitation.save()
    if not previous:
        text = _("Enterprise contact's e-mail %(email)s added: the survey link is being e-mailed.")
    elif previous.lower() != address.lower():
        text = _("Survey link address corrected from %(old)s to %(email)s: the link is being e-mailed.")
    else:
        text = _("The survey link is being e-mailed to %(email)s again.")
    _event(case, kind=EventKind.SURVEY, actor=user, text=text % {"email": address, "old": previous})
    queue_after_commit(survey_invitation_send_task, invitation_id=invitation.pk)
    return invitation


def survey_remind_due() -> int:
    """In the active station: remind the enterprise, once, of every survey still unanswered
    `DESK_SURVEY_REMINDER_WORKING_DAYS` working days after its link was sent. Each invitation is marked in this
    transaction (rows another run holds are skipped, so two runs never remind twice); the e-mail goes after commit.
    Returns how many were reminded."""
    from core.desk.tasks import survey_reminder_send_task

    days = settings.DESK_SURVEY_REMINDER_WORKING_DAYS
    now = timezone.now()
    with transaction.atomic(), translation.override(settings.LANGUAGE_CODE):
        pending = (
            SurveyInvitation.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("case")
            .select_related("case__demand")
            .filter(
                # n working days are at least n calendar days; the link went by e-mail, or by SMS alone
                Q(sent_at__lte=now - datetime.timedelta(days=days))
                | Q(email="", created_at__lte=now - datetime.timedelta(days=days)),
                reminded_at__isnull=True,
                case__state=CaseState.COMPLETED,  # not rated yet (a survey makes it evaluated)
            )
            .order_by("sent_at", "pk")
        )
        due = []
        for invitation in pending:
            sms_to = mobile_number(invitation.case.demand.phone)
            mailed = bool(invitation.email and invitation.sent_at)
            if not (mailed or sms_to):
                continue
            if now >= survey_link_valid_until(invitation=invitation):
                continue  # the link has ended: a reminder would only bring the enterprise to "expired"
            if workdays.add_working_days(invitation.sent_at or invitation.created_at, days) < now:
                due.append((invitation, mailed, sms_to))
        for invitation, mailed, sms_to in due:
            invitation.reminded_at = now
            invitation.save(update_fields=["reminded_at"])
            if mailed:
                text = _("Survey reminder e-mailed to %(email)s") % {"email": invitation.email}
                _event(invitation.case, kind=EventKind.SURVEY, actor=None, text=text)
                queue_after_commit(survey_reminder_send_task, invitation_id=invitation.pk)
            if sms_to and invitation.case.demand.channel != Channel.REFERRAL:
                case_survey_reminder_announce(case=invitation.case, survey_link=survey_link_url(case=invitation.case))
                text = _("Survey reminder sent by SMS to %(phone)s") % {"phone": mask_phone(sms_to)}
                _event(invitation.case, kind=EventKind.SURVEY, actor=None, text=text)
    return len(due)


def survey_reminder_send(*, invitation_id: int) -> bool:
    """E-mail the reminder `survey_remind_due` decided on, unless the survey was answered meanwhile."""
    invitation = SurveyInvitation.objects.select_related("case__demand").filter(pk=invitation_id).first()
    if invitation is None or not invitation.email or invitation.case.state != CaseState.COMPLETED:
        return False
    mail(app="desk", template="survey_reminder", context=_survey_mail_context(invitation.case), to=[invitation.email])
    return True


@transaction.atomic
def survey_submit(*, case: ServiceCase, channel: str, user: User | None = None, **answers) -> Survey:
    """Take the satisfaction survey of a completed case (clause 5.2.4, Appendix B): answered by the enterprise through
    its link (`channel` "link", no user), or keyed in by staff from the signed paper form ("paper", `user` the staff
    member). One per case, never changed: the case becomes evaluated."""
    unknown = set(answers) - set(SURVEY_ANSWERS)
    if unknown:
        raise TypeError(f"not answers of the survey: {sorted(unknown)}")
    case = _locked(case)
    if Survey.objects.filter(case=case).exists():
        raise ValidationError(
            {"survey": [_("This service has been rated already. A submitted survey cannot be changed.")]},
            code="answered",
        )
    if case.state != CaseState.COMPLETED:
        raise ValidationError({"state": [_("Only a completed case can be rated.")]}, code="transition")
    paper = channel == SurveyChannel.PAPER
    if paper and not is_member(user):
        raise PermissionDenied(_("Only the station's staff key in a paper survey."))
    survey = Survey(case=case, channel=channel, keyed_in_by=user if paper else None, **answers)
    survey.full_clean(exclude=["case"])
    survey.save()
    archive_entry_create(document=survey)
    actor = user if paper else None
    text = _("Satisfaction survey (%(channel)s): overall “%(overall)s”; problem solved: %(solved)s") % {
        "channel": survey.get_channel_display(),
        "overall": survey.get_q10_display(),
        "solved": _("Yes") if survey.q5 else _("No"),
    }
    _event(case, kind=EventKind.SURVEY, actor=actor, text=text)
    # Through the link, the enterprise (verified by the link's signed token) is who rates the service.
    case_transition(case=case, to=CaseState.EVALUATED, user=actor or PUBLIC)
    return survey

"""Writes of complaints (clause 6.5, after GB/T 19012), in the active station's schema.

`complaint_open_from_opinion` (a public opinion of kind complaint) and `complaint_create` (entered by staff) open a
complaint with its two deadlines, counted in working days on the Chinese calendar from its reception:
acknowledged within `COMPLAINT_ACKNOWLEDGE_WORKING_DAYS`, responded to within `COMPLAINT_RESPONSE_WORKING_DAYS`.
`complaint_submit_public` is the public opinion form: an opinion of kind complaint opens its complaint at once. Every
complaint gets its reference number (`ALPHA-TS-2026-000012`, gap-free, `core.numbering`) in the transaction that
opens it, and the complainant, when they left a mobile number or an e-mail address, gets it with the link of the
complaint's tracking page (`core.complaints.tracking`, `core.complaints.notices`).
`complaint_transition` moves it along `TRANSITIONS`, each step an event of its timeline. `complaint_escalate` sends an
unresolved complaint to the bureau (GB/T 19013) by message; `complaint_escalate_overdue` (beat) does the same, by
itself, for a complaint left without a response `COMPLAINT_ESCALATE_AFTER_WORKING_DAYS` working days past its response
deadline; `complaint_bureau_handling_apply` (the message handler) keeps the bureau's handling when it comes back.
"""

import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.dateparse import parse_datetime
from django.utils.text import Truncator
from django.utils.translation import gettext as _
from django_tenants.utils import get_public_schema_name

from core.archive.services import archive_entry_create
from core.common.workdays import add_working_days, is_working_day, working_days_between
from core.complaints.models import (
    Complaint,
    ComplaintDeadline,
    ComplaintEvent,
    ComplaintEventKind,
    ComplaintReminder,
    ComplaintState,
    Feedback,
    ReminderKind,
)
from core.complaints.notices import complainant_notify
from core.desk.models import ServiceCase
from core.messaging.services import message_send
from core.notifications.kinds import COMPLAINT_DUE, COMPLAINT_RECEIVED
from core.notifications.services import notify
from core.numbering.services import document_number
from core.stats.services import complaint_fact_send
from core.supervision.models import Opinion, OpinionChannel, OpinionKind
from core.supervision.selectors import station_members_active
from core.supervision.services import opinion_submit_public
from tenants.hosts import station_reverse
from tenants.models import Station, User
from tenants.selectors import require_member

S = ComplaintState
MESSAGE_ESCALATED = "escalations.escalated"
MESSAGE_HANDLED = "complaints.bureau_handled"
NUMBER_KIND = "ts"  # 投诉: the kind of the complaints' reference numbers in `core.numbering`

# The one state machine: from each state, where it may go.
TRANSITIONS: dict[str, tuple[str, ...]] = {
    S.RECEIVED: (S.ACKNOWLEDGED,),
    S.ACKNOWLEDGED: (S.INVESTIGATING,),
    S.INVESTIGATING: (S.RESPONDED,),
    S.RESPONDED: (S.INVESTIGATING, S.CLOSED),
    S.CLOSED: (),
}
OPEN = (S.RECEIVED, S.ACKNOWLEDGED, S.INVESTIGATING)


def deadlines(received_at: datetime.datetime) -> tuple[datetime.datetime, datetime.datetime]:
    """(acknowledge by, respond by) of a complaint received at `received_at`."""
    return (
        add_working_days(received_at, settings.COMPLAINT_ACKNOWLEDGE_WORKING_DAYS),
        add_working_days(received_at, settings.COMPLAINT_RESPONSE_WORKING_DAYS),
    )


def _event(complaint: Complaint, *, kind: str, user: User | None = None, text: str = "", **states) -> None:
    """Write a step of the complaint's timeline, after the complaint itself; every change has one, so this is also
    where the city statistics are told about the complaint (in the same transaction, clause 6.5 counted city-wide)."""
    ComplaintEvent.objects.create(
        complaint=complaint,
        kind=kind,
        text=text,
        actor=user,
        actor_name=str(user) if user is not None else "",
        created_at=timezone.now(),
        **states,
    )
    complaint_fact_send(complaint_id=complaint.pk)


def _check_case(case: ServiceCase | None) -> None:
    if case is not None and not ServiceCase.objects.filter(pk=case.pk).exists():
        raise ValidationError({"case": [_("No such case at this station.")]})


def _station() -> Station:
    return Station.objects.get(schema_name=connection.schema_name)


def _open(complaint: Complaint, user: User | None) -> Complaint:
    """Keep a new complaint with its deadlines and its reference number (taken last, once it is valid: a refused
    complaint takes no number), tell the heads, and tell the complainant its reference and tracking link."""
    complaint.subject = (complaint.subject or "").strip()
    complaint.acknowledge_due_at, complaint.response_due_at = deadlines(complaint.received_at)
    complaint.created_by = user
    complaint.full_clean(exclude=["reference"])
    station = _station()
    complaint.reference = document_number(station=station, kind=NUMBER_KIND)
    complaint.save()
    archive_entry_create(document=complaint)  # about a case: numbered in its enterprise's archive (clause 7.4)
    _event(complaint, kind=ComplaintEventKind.STATE, user=user, to_state=S.RECEIVED)
    heads = [head for head in station_members_active(heads=True) if head != user]
    _complaint_notify(complaint, kind=COMPLAINT_RECEIVED, recipients=heads)
    complainant_notify(complaint=complaint, station=station)
    return complaint


def _from_opinion(opinion: Opinion) -> Complaint:
    return Complaint(
        opinion=opinion,
        channel=opinion.channel or OpinionChannel.WEB,
        subject=opinion.text,
        received_at=opinion.received_at,
        complainant_name=opinion.name,
        complainant_phone=opinion.phone,
        complainant_email=opinion.email,
        case=opinion.case,
    )


def _complaint_notify(
    complaint: Complaint, *, kind: str, recipients: list[User], reminder: ComplaintReminder | None = None
) -> None:
    """Tell `recipients` of a complaint received, or of the deadline `reminder` is about (with the reminder's
    e-mail, `complaints/email/reminder_*.txt`), linking to the complaint's page."""
    station = Station.objects.get(schema_name=connection.schema_name)
    link = station_reverse(station.code, "complaints:complaint", pk=complaint.pk)
    email = None
    with translation.override(settings.LANGUAGE_CODE):
        if reminder is None:
            key = f"{kind}:{station.code}:{complaint.pk}"
            title = _("Complaint #%(id)s received: %(subject)s") % {
                "id": complaint.pk,
                "subject": Truncator(complaint.subject).chars(60),
            }
        else:
            key = f"{kind}:{station.code}:{complaint.pk}:{reminder.deadline}:{reminder.kind}"
            acknowledge = reminder.deadline == ComplaintDeadline.ACKNOWLEDGE
            overdue = reminder.kind == ReminderKind.OVERDUE
            due = timezone.localtime(reminder.due_at).strftime("%Y-%m-%d %H:%M")
            if overdue:
                title = (
                    _("Overdue: complaint #%(id)s is not acknowledged")
                    if acknowledge
                    else _("Overdue: complaint #%(id)s is not responded to")
                ) % {"id": complaint.pk}
            else:
                title = (
                    _("Complaint #%(id)s must be acknowledged by %(due)s")
                    if acknowledge
                    else _("Complaint #%(id)s must be responded to by %(due)s")
                ) % {"id": complaint.pk, "due": due}
            context = {
                "station": station,
                "complaint": complaint,
                "reminder": reminder,
                "acknowledge": acknowledge,
                "overdue": overdue,
                "link": link,
            }
            email = ("complaints", "reminder", context)
    notify(
        recipients=recipients,
        kind=kind,
        key=key,
        title=title,
        body=complaint.subject,
        url=link,
        station=station,
        email=email,
    )


@transaction.atomic
def complaint_create(
    *,
    user: User,
    channel: str,
    subject: str,
    received_at: datetime.datetime | None = None,
    complainant_name: str = "",
    complainant_phone: str = "",
    complainant_email: str = "",
    case: ServiceCase | None = None,
) -> Complaint:
    """A complaint staff enter themselves (taken by phone, in person, ...)."""
    require_member(user=user)
    now = timezone.now()
    if received_at is not None and received_at > now:
        raise ValidationError({"received_at": [_("A complaint cannot be received in the future.")]})
    _check_case(case)
    complaint = Complaint(
        channel=channel,
        subject=subject,
        received_at=received_at or now,
        complainant_name=complainant_name.strip(),
        complainant_phone=complainant_phone.strip(),
        complainant_email=complainant_email.strip(),
        case=case,
    )
    return _open(complaint, user)


@transaction.atomic
def complaint_open_from_opinion(*, opinion: Opinion, user: User) -> Complaint:
    """Open the complaint an opinion of kind complaint makes: its text, contact, channel, case and reception time.
    An opinion opens at most one complaint."""
    require_member(user=user)
    opinion = Opinion.objects.select_for_update().get(pk=opinion.pk)
    if opinion.kind != OpinionKind.COMPLAINT:
        raise ValidationError({"opinion": [_("Only an opinion of kind complaint opens a complaint.")]})
    if Complaint.objects.filter(opinion=opinion).exists():
        raise ValidationError({"opinion": [_("This opinion has its complaint already.")]})
    return _open(_from_opinion(opinion), user)


@transaction.atomic
def complaint_submit_public(
    *,
    client_address: str,
    kind: str,
    text: str,
    anonymous: bool = True,
    name: str = "",
    phone: str = "",
    email: str = "",
    photo=None,
) -> tuple[Opinion, Complaint | None]:
    """An opinion from the station's public form (`core.supervision.services.opinion_submit_public`, with its
    guards); one of kind complaint opens its complaint in the same transaction, so that the visitor leaves with its
    reference number and tracking link (and gets them by SMS or e-mail when they gave a contact)."""
    opinion = opinion_submit_public(
        client_address=client_address,
        kind=kind,
        text=text,
        anonymous=anonymous,
        name=name,
        phone=phone,
        email=email,
        photo=photo,
    )
    if opinion.kind != OpinionKind.COMPLAINT:
        return opinion, None
    return opinion, _open(_from_opinion(opinion), None)


@transaction.atomic
def complaint_link_case(*, complaint: Complaint, user: User, case: ServiceCase | None) -> Complaint:
    """Link the complaint to the desk case it is about (or unlink it)."""
    require_member(user=user)
    complaint = Complaint.objects.select_for_update().get(pk=complaint.pk)
    _check_case(case)
    complaint.case = case
    complaint.version += 1
    complaint.save(update_fields=["case", "version"])
    archive_entry_create(document=complaint)  # filed now if it was about no case, or moved with its number
    _event(complaint, kind=ComplaintEventKind.NOTE, user=user, text=case.number if case else "")
    return complaint


@transaction.atomic
def complaint_transition(
    *,
    complaint: Complaint,
    user: User,
    to: str,
    text: str = "",
    feedback: str = "",
    feedback_text: str = "",
    version: int | None = None,
) -> Complaint:
    """Move a complaint to state `to`. Responding needs the response (`text`); closing needs the complainant's
    feedback (satisfied or not, and optionally in words). `version` (as read) refuses a change made meanwhile."""
    require_member(user=user)
    complaint = Complaint.objects.select_for_update().get(pk=complaint.pk)
    if version is not None and version != complaint.version:
        raise ValidationError({"version": [_("The complaint was changed meanwhile: reload it and try again.")]})
    if to not in TRANSITIONS.get(complaint.state, ()):
        raise ValidationError(
            {
                "to": [
                    _("A complaint cannot go from “%(from)s” to “%(to)s”.")
                    % {"from": S(complaint.state).label, "to": S(to).label if to in S.values else to}
                ]
            }
        )
    text = (text or "").strip()
    now = timezone.now()
    previous = complaint.state
    fields = ["state", "version"]
    if to == S.ACKNOWLEDGED:
        complaint.acknowledged_at = now
        fields.append("acknowledged_at")
    elif to == S.RESPONDED:
        if not text:
            raise ValidationError({"text": [_("Write the response given to the complainant.")]})
        complaint.response, complaint.responded_at = text, now
        fields += ["response", "responded_at"]
    elif to == S.CLOSED:
        if feedback not in Feedback.values:
            raise ValidationError({"feedback": [_("Record whether the complainant is satisfied.")]})
        complaint.feedback, complaint.feedback_text, complaint.closed_at = feedback, feedback_text.strip(), now
        fields += ["feedback", "feedback_text", "closed_at"]
    complaint.state = to
    complaint.version += 1
    complaint.full_clean()
    complaint.save(update_fields=fields)
    note = text if to != S.CLOSED else " ".join(filter(None, [str(Feedback(feedback).label), feedback_text.strip()]))
    _event(complaint, kind=ComplaintEventKind.STATE, user=user, text=note, from_state=previous, to_state=to)
    return complaint


@transaction.atomic
def complaint_escalate(*, complaint: Complaint, user: User, reason: str, unresolvable: bool = False) -> Complaint:
    """Send a complaint the station could not settle to the bureau (GB/T 19013), with the reason: once responded
    (typically the complainant was not satisfied), or before that when staff judge the dispute cannot be settled at
    the station (`unresolvable`). A complaint is escalated once; it arrives in the bureau's escalations exactly once.
    Its own deadlines keep running: the station still acknowledges and responds."""
    require_member(user=user)
    complaint = Complaint.objects.select_for_update().get(pk=complaint.pk)
    reason = (reason or "").strip()
    if complaint.escalated_at is not None:
        raise ValidationError({"reason": [_("This complaint is escalated already.")]})
    if complaint.state not in (S.RESPONDED, S.CLOSED) and not unresolvable:
        raise ValidationError(
            {
                "unresolvable": [
                    _(
                        "Respond to the complaint before escalating it to the bureau, or confirm that the dispute "
                        "cannot be settled at the station."
                    )
                ]
            }
        )
    if not reason:
        raise ValidationError({"reason": [_("Say why the complaint goes to the bureau.")]})
    return _escalate(complaint, user=user, reason=reason)


def _escalate(
    complaint: Complaint, *, user: User | None, reason: str, overdue_working_days: int | None = None
) -> Complaint:
    """Escalate a complaint (locked, not escalated yet): by `user`, or automatically (no user) when its response
    is `overdue_working_days` working days late. Its timeline says which; the bureau receives it once by message."""
    automatic = user is None
    complaint.escalated_at, complaint.escalation_reason = timezone.now(), reason
    complaint.escalated_automatically = automatic
    complaint.version += 1
    complaint.save(update_fields=["escalated_at", "escalation_reason", "escalated_automatically", "version"])
    _event(complaint, kind=ComplaintEventKind.ESCALATION, user=user, text=reason)
    message_send(
        destination=get_public_schema_name(),
        kind=MESSAGE_ESCALATED,
        stream=f"complaints:{complaint.uid}",
        payload={
            "uid": str(complaint.uid),
            "complaint_id": complaint.pk,
            "subject": complaint.subject,
            "complainant_name": complaint.complainant_name,
            "complainant_phone": complaint.complainant_phone,
            "complainant_email": complaint.complainant_email,
            "received_at": complaint.received_at.isoformat(),
            "station_response": complaint.response,
            "feedback": complaint.feedback,
            "feedback_text": complaint.feedback_text,
            "reason": reason,
            "escalated_at": complaint.escalated_at.isoformat(),
            "reference": complaint.reference,
            "automatic": automatic,
            "overdue_working_days": overdue_working_days,
        },
    )
    return complaint


def overdue_working_days(due: datetime.datetime, now: datetime.datetime) -> int:
    """How many whole working days have passed since the deadline `due`: the working days after its local date up
    to yesterday (today, still running, is not counted)."""
    if now <= due:
        return 0
    days = working_days_between(due, now)
    if is_working_day(timezone.localtime(now, timezone.get_default_timezone()).date()):
        days -= 1
    return max(days, 0)


def complaint_escalate_overdue() -> int:
    """In the active station: escalate to the bureau every complaint not yet responded to (received, acknowledged or
    under investigation), not escalated yet, whose response deadline passed `COMPLAINT_ESCALATE_AFTER_WORKING_DAYS`
    whole working days ago (Chinese calendar), as a person would (`complaint_escalate`'s path, its timeline saying it
    was automatic). Each complaint in its own transaction, locked and checked again: a retried or concurrent run
    escalates nothing twice. Returns how many were escalated."""
    after = settings.COMPLAINT_ESCALATE_AFTER_WORKING_DAYS
    now = timezone.now()
    candidates = Complaint.objects.filter(
        state__in=OPEN, escalated_at__isnull=True, response_due_at__lt=now
    ).values_list("pk", "response_due_at")
    due = [pk for pk, response_due_at in candidates if add_working_days(response_due_at, after) < now]
    escalated = 0
    for pk in due:
        with transaction.atomic(), translation.override(settings.LANGUAGE_CODE):
            complaint = (
                Complaint.objects.select_for_update(skip_locked=True)
                .filter(pk=pk, state__in=OPEN, escalated_at__isnull=True)
                .first()
            )
            if complaint is None:
                continue
            days = overdue_working_days(complaint.response_due_at, now)
            reason = _(
                "Escalated automatically: not responded to %(days)s working days after the response deadline (%(due)s)."
            ) % {"days": days, "due": timezone.localtime(complaint.response_due_at).strftime("%Y-%m-%d %H:%M")}
            _escalate(complaint, user=None, reason=reason, overdue_working_days=days)
            escalated += 1
    return escalated


@transaction.atomic
def complaint_bureau_handling_apply(*, payload: dict, source: str) -> None:
    """The bureau's handling of an escalated complaint, arrived by message from the public schema."""
    if source != get_public_schema_name():
        raise ValidationError(f"the bureau's handling comes from the public schema, not {source!r}")
    complaint = Complaint.objects.select_for_update().filter(uid=payload["uid"]).first()
    if complaint is None:
        return
    complaint.bureau_handling = payload["handling"]
    complaint.bureau_handled_at = parse_datetime(payload["handled_at"])
    complaint.bureau_handled_by = payload.get("handled_by", "")[:150]
    complaint.version += 1
    complaint.save(update_fields=["bureau_handling", "bureau_handled_at", "bureau_handled_by", "version"])
    ComplaintEvent.objects.create(
        complaint=complaint,
        kind=ComplaintEventKind.BUREAU,
        text=complaint.bureau_handling,
        actor_name=complaint.bureau_handled_by,
        created_at=timezone.now(),
    )


# --- Deadline reminders ----------------------------------------------------------------------------------------------

# Which deadline runs in which states: acknowledging while received, responding until responded.
DEADLINE_STATES = {ComplaintDeadline.ACKNOWLEDGE: (S.RECEIVED,), ComplaintDeadline.RESPONSE: OPEN}
DEADLINE_FIELD = {ComplaintDeadline.ACKNOWLEDGE: "acknowledge_due_at", ComplaintDeadline.RESPONSE: "response_due_at"}


def complaint_handler(*, complaint: Complaint) -> User | None:
    """Who handles the complaint: the last member who took a step on it (its timeline's latest entry by a person,
    at first who logged it), if still an active member of the station."""
    actor_id = (
        ComplaintEvent.objects.filter(complaint=complaint, actor__isnull=False)
        .order_by("-created_at", "-id")
        .values_list("actor_id", flat=True)
        .first()
    )
    if actor_id is None:
        return None
    members = station_members_active(user_ids=[actor_id])
    return members[0] if members else None


def complaint_deadline_remind() -> dict[str, int]:
    """In the active station: remind the station head(s) and the complaint's handler of every acknowledgement or
    response deadline still running that falls within `COMPLAINT_REMINDER_WORKING_DAYS` working days (due soon) or
    has passed (overdue); once per complaint, deadline and kind (a deadline first seen past gets only the overdue
    reminder). The `ComplaintReminder` rows and a reminder entry on the timeline are written in this transaction
    (complaints another run holds are skipped; the unique constraint refuses a second reminder) and the recipients
    are notified (`core.notifications`: in the app, by e-mail or SMS as they chose, sent after commit). Returns how
    many reminders of each kind were decided on."""
    now = timezone.now()
    window_end = add_working_days(now, settings.COMPLAINT_REMINDER_WORKING_DAYS)
    counts = {ReminderKind.DUE_SOON.value: 0, ReminderKind.OVERDUE.value: 0}
    with transaction.atomic(), translation.override(settings.LANGUAGE_CODE):
        complaints = (
            Complaint.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(
                Q(state=S.RECEIVED, acknowledge_due_at__lte=window_end)
                | Q(state__in=OPEN, response_due_at__lte=window_end)
            )
            .prefetch_related("reminders")
            .order_by("received_at", "pk")
        )
        heads = None
        for complaint in complaints:
            done = {(reminder.deadline, reminder.kind) for reminder in complaint.reminders.all()}
            for deadline, states in DEADLINE_STATES.items():
                due = getattr(complaint, DEADLINE_FIELD[deadline])
                if complaint.state not in states or due > window_end:
                    continue
                kind = ReminderKind.OVERDUE if due < now else ReminderKind.DUE_SOON
                if (deadline, kind) in done:
                    continue
                heads = station_members_active(heads=True) if heads is None else heads
                handler = complaint_handler(complaint=complaint)
                recipients = list(dict.fromkeys([*heads, *([handler] if handler else [])]))
                reminder = ComplaintReminder(
                    complaint=complaint,
                    deadline=deadline,
                    kind=kind,
                    due_at=due,
                    recipients=list(dict.fromkeys(person.email for person in recipients if person.email)),
                    created_at=now,
                )
                reminder.full_clean()
                reminder.save()
                counts[kind] += 1
                text = _("%(deadline)s %(kind)s (%(due)s): reminded %(names)s") % {
                    "deadline": ComplaintDeadline(deadline).label,
                    "kind": ReminderKind(kind).label.lower(),
                    "due": timezone.localtime(due).strftime("%Y-%m-%d %H:%M"),
                    "names": "、".join(person.display_name for person in recipients) or "—",
                }
                _event(complaint, kind=ComplaintEventKind.REMINDER, text=text)
                _complaint_notify(complaint, kind=COMPLAINT_DUE, recipients=recipients, reminder=reminder)
    return counts

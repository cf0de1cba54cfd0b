"""Writes of public supervision (clause 6.1), in the active station's schema.

Every opinion is recorded (`opinion_submit_public` from the public form, `opinion_log` for what staff take by phone,
WeChat, the suggestion box or in person), classified (`opinion_classify`), answered (`opinion_answer`) and closed
(`opinion_close`); where reasonable it gets improvement plans (`improvement_plan_create`, `improvement_plan_complete`)
and its result is published on the station's public page (`opinion_publish`).

The public form is guarded: `opinion_submit_public` refuses an address that submitted
`SUPERVISION_SUBMISSIONS_PER_HOUR` times in the past hour (counted in `PublicSubmission`, by a salted hash of the
address), and the form's signed stamp (`form_stamp`, checked by `form_stamp_check`) refuses a form sent back too fast
(a robot) or too late.
"""

import datetime
import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.archive.services import archive_entry_create
from core.common import public_forms
from core.common.mail import mail
from core.desk.models import ServiceCase
from core.supervision.models import (
    ImprovementPlan,
    Opinion,
    OpinionChannel,
    OpinionState,
    PlanReminder,
    PlanReminderKind,
    PublicSubmission,
)
from core.supervision.selectors import station_members_active
from core.uploads.checks import upload_check
from tenants.hosts import station_reverse
from tenants.models import Station, User
from tenants.selectors import membership_get, require_member
from tenants.tasks import queue_after_commit

PHOTO_KINDS = ("jpeg", "png")
STAMP_SALT = "stationnet.supervision.form"
CLIENT_SALT = b"stationnet.supervision.client"
STAFF_CHANNELS = (OpinionChannel.PHONE, OpinionChannel.WECHAT, OpinionChannel.BOX, OpinionChannel.IN_PERSON)


# The public form's guards ------------------------------------------------------------------------------------------


def client_key(address: str) -> str:
    """A salted hash of a client's address: what the rate limit keeps instead of the address."""
    return public_forms.client_key(address, salt=CLIENT_SALT)


def form_stamp() -> str:
    """The signed time a public form was shown: sent with the form, checked when it comes back."""
    return public_forms.form_stamp(salt=STAMP_SALT)


def form_stamp_check(*, stamp: str) -> None:
    """Refuse a form whose stamp is missing or forged, that came back sooner than `SUPERVISION_FORM_MIN_SECONDS`
    after it was shown (filled by a program, not a person), or later than `SUPERVISION_FORM_MAX_SECONDS`."""
    public_forms.form_stamp_check(
        stamp=stamp,
        salt=STAMP_SALT,
        min_seconds=settings.SUPERVISION_FORM_MIN_SECONDS,
        max_seconds=settings.SUPERVISION_FORM_MAX_SECONDS,
    )


def _rate_limit(client: str) -> None:
    message = _(
        "Too many opinions were sent from your network in the past hour (at most %(limit)s). "
        "What you wrote is kept: please send it again later, or call the station's complaint phone."
    ) % {"limit": settings.SUPERVISION_SUBMISSIONS_PER_HOUR}
    public_forms.rate_limit(
        model=PublicSubmission, client=client, per_hour=settings.SUPERVISION_SUBMISSIONS_PER_HOUR, message=message
    )


# Recording -------------------------------------------------------------------------------------------------------


def _contact(opinion: Opinion) -> None:
    opinion.name = opinion.name.strip()
    opinion.phone = opinion.phone.strip()
    opinion.email = opinion.email.strip()
    if opinion.anonymous:
        opinion.name = opinion.phone = opinion.email = ""
    elif not opinion.name or not (opinion.phone or opinion.email):
        errors = {}
        if not opinion.name:
            errors["name"] = [_("Give a name, or send the opinion anonymously.")]
        if not (opinion.phone or opinion.email):
            errors["phone"] = [_("Give a phone number or an e-mail address to be answered, or stay anonymous.")]
        raise ValidationError(errors)


def _save(opinion: Opinion, photo=None) -> Opinion:
    """Validate the opinion and its photo together (every error at once, each on its field), then keep both."""
    errors: dict[str, list] = {}
    kind = None
    if photo is not None:
        try:
            kind = upload_check(
                file=photo, allowed=PHOTO_KINDS, max_bytes=settings.SUPERVISION_PHOTO_MAX_BYTES, field="photo"
            )
        except ValidationError as error:
            errors.update(error.message_dict)
    try:
        opinion.full_clean(exclude=["photo"])
    except ValidationError as error:
        errors.update(error.message_dict)
    if errors:
        raise ValidationError(errors)
    if kind is not None:
        opinion.photo_kind = kind.name
        opinion.photo.save(f"{uuid.uuid4().hex}{kind.extension}", photo, save=False)
    try:
        opinion.save()
        archive_entry_create(document=opinion)  # about a case: numbered in its enterprise's archive (clause 7.4)
    except Exception:
        if kind is not None:
            default_storage.delete(opinion.photo.name)
        raise
    return opinion


def _check_case(case: ServiceCase | None) -> None:
    if case is not None and not ServiceCase.objects.filter(pk=case.pk).exists():
        raise ValidationError({"case": [_("No such case at this station.")]})


@transaction.atomic
def opinion_submit_public(
    *,
    client_address: str,
    kind: str,
    text: str,
    anonymous: bool = True,
    name: str = "",
    phone: str = "",
    email: str = "",
    photo=None,
) -> Opinion:
    """An opinion from the station's public form (channel "web"), anonymous or with a name and a phone or e-mail,
    with an optional photo (JPEG or PNG, checked by content, refused on `photo`). Refused, as a whole, when the
    address sent `SUPERVISION_SUBMISSIONS_PER_HOUR` opinions in the past hour."""
    opinion = Opinion(
        kind=kind,
        channel=OpinionChannel.WEB,
        anonymous=anonymous,
        name=name,
        phone=phone,
        email=email,
        text=(text or "").strip(),
        received_at=timezone.now(),
    )
    _contact(opinion)
    _rate_limit(client_key(client_address))
    _save(opinion, photo)
    return opinion


@transaction.atomic
def opinion_log(
    *,
    user: User,
    channel: str,
    kind: str,
    text: str,
    received_at: datetime.datetime | None = None,
    anonymous: bool = True,
    name: str = "",
    phone: str = "",
    email: str = "",
    case: ServiceCase | None = None,
    photo=None,
) -> Opinion:
    """An opinion staff took by phone, WeChat, from the suggestion box or in person."""
    require_member(user=user)
    if channel not in STAFF_CHANNELS:
        raise ValidationError({"channel": [_("Staff log opinions that came by phone, WeChat, the box or in person.")]})
    now = timezone.now()
    if received_at is not None and received_at > now:
        raise ValidationError({"received_at": [_("An opinion cannot be received in the future.")]})
    _check_case(case)
    opinion = Opinion(
        kind=kind,
        channel=channel,
        anonymous=anonymous,
        name=name,
        phone=phone,
        email=email,
        text=(text or "").strip(),
        case=case,
        received_at=received_at or now,
        logged_by=user,
    )
    _contact(opinion)
    _save(opinion, photo)
    return opinion


def _locked(opinion: Opinion) -> Opinion:
    return Opinion.objects.select_for_update().get(pk=opinion.pk)


@transaction.atomic
def opinion_classify(
    *, opinion: Opinion, user: User, kind: str, topic: str, case: ServiceCase | None = None
) -> Opinion:
    """Set an opinion's kind, its topic and the desk case it is about (if any)."""
    require_member(user=user)
    opinion = _locked(opinion)
    if not topic:
        raise ValidationError({"topic": [_("Choose a topic.")]})
    _check_case(case)
    opinion.kind, opinion.topic, opinion.case = kind, topic, case
    opinion.full_clean()
    opinion.save(update_fields=["kind", "topic", "case"])
    archive_entry_create(document=opinion)
    return opinion


@transaction.atomic
def opinion_answer(*, opinion: Opinion, user: User, answer: str) -> Opinion:
    """Answer an opinion (the station's reply to who gave it); it may be answered again until it is closed."""
    require_member(user=user)
    opinion = _locked(opinion)
    if opinion.state == OpinionState.CLOSED:
        raise ValidationError({"answer": [_("This opinion is closed.")]})
    answer = (answer or "").strip()
    if not answer:
        raise ValidationError({"answer": [_("Write the answer.")]})
    opinion.answer, opinion.answered_at, opinion.answered_by = answer, timezone.now(), user
    opinion.state = OpinionState.ANSWERED
    opinion.full_clean()
    opinion.save(update_fields=["answer", "answered_at", "answered_by", "state"])
    return opinion


@transaction.atomic
def opinion_close(*, opinion: Opinion, user: User) -> Opinion:
    """Close an answered opinion whose improvement plans are all done."""
    require_member(user=user)
    opinion = _locked(opinion)
    if opinion.state != OpinionState.ANSWERED:
        raise ValidationError({"state": [_("Only an answered opinion can be closed.")]})
    if opinion.plans.filter(done_at__isnull=True).exists():
        raise ValidationError({"state": [_("Finish its improvement plans first.")]})
    opinion.state, opinion.closed_at = OpinionState.CLOSED, timezone.now()
    opinion.save(update_fields=["state", "closed_at"])
    return opinion


@transaction.atomic
def improvement_plan_create(
    *, opinion: Opinion, user: User, what: str, owner: User | None, due_on: datetime.date | None
) -> ImprovementPlan:
    """An improvement the opinion calls for: what, who owns it (a member of this station) and by when."""
    require_member(user=user)
    opinion = _locked(opinion)
    if opinion.state == OpinionState.CLOSED:
        raise ValidationError({"what": [_("This opinion is closed.")]})
    station = Station.objects.get(schema_name=_schema())
    errors = {}
    if owner is not None and membership_get(user=owner, station=station) is None:
        errors["owner"] = [_("The owner must be a member of this station.")]
    if due_on is not None and due_on < timezone.localdate():
        errors["due_on"] = [_("The due date cannot be in the past.")]
    if errors:
        raise ValidationError(errors)
    plan = ImprovementPlan(opinion=opinion, what=(what or "").strip(), owner=owner, due_on=due_on, created_by=user)
    plan.full_clean()
    plan.save()
    return plan


@transaction.atomic
def improvement_plan_complete(*, plan: ImprovementPlan, user: User, result: str) -> ImprovementPlan:
    """The plan is done: what came of it (which may then be published)."""
    require_member(user=user)
    plan = ImprovementPlan.objects.select_for_update().get(pk=plan.pk)
    if plan.done_at is not None:
        raise ValidationError({"result": [_("This plan is done already.")]})
    result = (result or "").strip()
    if not result:
        raise ValidationError({"result": [_("Say what was done.")]})
    plan.result, plan.done_at = result, timezone.now()
    plan.save(update_fields=["result", "done_at"])
    return plan


@transaction.atomic
def opinion_publish(*, opinion: Opinion, user: User, public_result: str = "") -> Opinion:
    """Publish an answered opinion's result on the station's public page. Without a text, the results of its done
    improvement plans (else its answer) are published. Publishing again replaces the text."""
    require_member(user=user)
    opinion = _locked(opinion)
    if opinion.state == OpinionState.RECEIVED:
        raise ValidationError({"public_result": [_("Answer the opinion before publishing its result.")]})
    text = (public_result or "").strip()
    if not text:
        done = opinion.plans.filter(done_at__isnull=False).order_by("done_at", "id")
        text = "\n".join(plan.result for plan in done) or opinion.answer
    opinion.published, opinion.public_result, opinion.published_at = True, text, timezone.now()
    opinion.full_clean()
    opinion.save(update_fields=["published", "public_result", "published_at"])
    return opinion


@transaction.atomic
def opinion_unpublish(*, opinion: Opinion, user: User) -> Opinion:
    require_member(user=user)
    opinion = _locked(opinion)
    opinion.published, opinion.public_result, opinion.published_at = False, "", None
    opinion.save(update_fields=["published", "public_result", "published_at"])
    return opinion


def _schema() -> str:
    from django.db import connection

    return connection.schema_name


# --- Due-date reminders of improvement plans -------------------------------------------------------------------------


def plan_due_remind() -> dict[str, int]:
    """In the active station: remind the owners of the improvement plans not done whose due date is within
    `SUPERVISION_PLAN_REMINDER_DAYS` days (due soon) or past (overdue), each plan once per kind. A plan first seen
    past its date gets only the overdue reminder. An owner no longer an active member is replaced by the station
    head(s). The `PlanReminder` rows are written in this transaction (the plans another run holds are skipped; the
    unique constraint refuses a second one) and the e-mails go after commit. Returns how many of each kind."""
    from core.supervision.tasks import plan_reminder_send_task

    now = timezone.now()
    today = timezone.localdate(now)
    days = settings.SUPERVISION_PLAN_REMINDER_DAYS
    counts = {PlanReminderKind.DUE_SOON.value: 0, PlanReminderKind.OVERDUE.value: 0}
    with transaction.atomic():
        plans = (
            ImprovementPlan.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(done_at__isnull=True, due_on__lte=today + datetime.timedelta(days=days))
            .prefetch_related("reminders")
            .order_by("due_on", "pk")
        )
        heads = None
        for plan in plans:
            kind = PlanReminderKind.OVERDUE if plan.due_on < today else PlanReminderKind.DUE_SOON
            if any(reminder.kind == kind for reminder in plan.reminders.all()):
                continue
            recipients = station_members_active(user_ids=[plan.owner_id])
            if not recipients:
                heads = station_members_active(heads=True) if heads is None else heads
                recipients = heads
            reminder = PlanReminder(
                plan=plan,
                kind=kind,
                due_on=plan.due_on,
                recipients=list(dict.fromkeys(person.email for person in recipients if person.email)),
                created_at=now,
            )
            reminder.full_clean()
            reminder.save()
            counts[kind] += 1
            if reminder.recipients:
                queue_after_commit(plan_reminder_send_task, reminder_id=reminder.pk)
    return counts


def plan_reminder_send(*, reminder_id: int) -> bool:
    """E-mail a reminder `plan_due_remind` decided on, once: not again when it was sent (a retry), nor when the plan
    was done meanwhile. The row stays locked while sending, so two workers never both send it."""
    with transaction.atomic():
        reminder = (
            PlanReminder.objects.select_for_update(of=("self",))
            .select_related("plan__opinion", "plan__owner")
            .filter(pk=reminder_id)
            .first()
        )
        if reminder is None or reminder.sent_at is not None or not reminder.recipients:
            return False
        if reminder.plan.done_at is not None:
            return False
        station = Station.objects.get(schema_name=_schema())
        context = {
            "station": station,
            "plan": reminder.plan,
            "overdue": reminder.kind == PlanReminderKind.OVERDUE,
            "link": station_reverse(station.code, "supervision:opinion", pk=reminder.plan.opinion_id),
        }
        mail(app="supervision", template="plan_reminder", context=context, to=reminder.recipients)
        reminder.sent_at = timezone.now()
        reminder.save(update_fields=["sent_at"])
    return True

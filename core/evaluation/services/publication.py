"""Objections to a publication (公示异议, clause 3) and the outcome of its public notice. Public schema.

- `objection_create`: anyone, on the station's portal page, while the notice of the station's latest publication
  runs, with a name and a phone or an e-mail address (never published), behind the form's stamp and a rate limit per
  client address (`core.common.public_forms`, `PUBLICATION_OBJECTIONS_PER_HOUR`). The bureau's administrators are
  notified.
- `objection_handle`: a bureau administrator upholds or dismisses it, always with a reason (published on the portal
  and in the open data). Upheld: the publication is withdrawn and a published station goes back to evaluation — its
  re-evaluation opens at once (`round_schedule` for today) and it is published again only once a round concluded
  after the withdrawal approves it (`station_publish`). The station's heads are notified of the outcome.
- `publication_finalise` (beat, hourly): a publication whose notice period is over becomes final when no objection
  to it is upheld or waiting. A waiting objection holds it open until the bureau handles it; dismissing the last one
  after the notice period makes it final at once.
"""

import datetime
import logging

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from core.common import public_forms
from core.common.phones import phone_number_check
from core.evaluation.models import (
    EvaluationRound,
    ObjectionState,
    ObjectionSubmission,
    PublicationObjection,
    PublicationOutcome,
    PublicationState,
    RoundStatus,
)
from core.evaluation.publication_selectors import publication_latest, publication_outcomes_due
from core.evaluation.services import round_schedule
from core.notifications.kinds import PUBLICATION_OBJECTION_HANDLED, PUBLICATION_OBJECTION_RECEIVED
from core.notifications.services import notify
from tenants.hosts import public_url, station_reverse
from tenants.models import BureauRole, Station, StationPublication, StationStatus, User
from tenants.selectors import require_bureau_admin, station_heads
from tenants.services import station_change_status

logger = logging.getLogger(__name__)

STAMP_SALT = "stationnet.evaluation.objection.form"
CLIENT_SALT = b"stationnet.evaluation.objection.client"
HANDLED_STATES = (ObjectionState.UPHELD, ObjectionState.DISMISSED)


# --- The public form's guards ---------------------------------------------------------------------------------------


def objection_form_stamp() -> str:
    return public_forms.form_stamp(salt=STAMP_SALT)


def objection_form_stamp_check(*, stamp: str) -> None:
    """As the opinion form's (`SUPERVISION_FORM_MIN_SECONDS` / `_MAX_SECONDS`)."""
    public_forms.form_stamp_check(
        stamp=stamp,
        salt=STAMP_SALT,
        min_seconds=settings.SUPERVISION_FORM_MIN_SECONDS,
        max_seconds=settings.SUPERVISION_FORM_MAX_SECONDS,
    )


def _rate_limit(client_address: str) -> None:
    limit = settings.PUBLICATION_OBJECTIONS_PER_HOUR
    message = _(
        "Too many objections were sent from your network in the past hour (at most %(limit)s). "
        "What you wrote is kept: please send it again later, or call the bureau's supervision phone."
    ) % {"limit": limit}
    public_forms.rate_limit(
        model=ObjectionSubmission,
        client=public_forms.client_key(client_address, salt=CLIENT_SALT),
        per_hour=limit,
        message=message,
    )


# --- The outcome of a publication -----------------------------------------------------------------------------------


def publication_outcome_start(*, publication: StationPublication) -> PublicationOutcome:
    """The outcome row of a new publication: in notice. Called by `station_publish` in its transaction."""
    outcome = PublicationOutcome(publication=publication, state=PublicationState.NOTICE)
    outcome.full_clean(validate_unique=False)
    outcome.save(force_insert=True)
    return outcome


def _outcome_locked(publication: StationPublication) -> PublicationOutcome:
    """The publication's outcome, locked (made, in notice, for a publication written without one)."""
    PublicationOutcome.objects.get_or_create(publication_id=publication.pk)
    return PublicationOutcome.objects.select_for_update().select_related("publication").get(publication=publication)


def _final_at(outcome: PublicationOutcome) -> datetime.datetime:
    """When the publication became final: the end of its notice period, or the handling of the last objection that
    held it open after it."""
    last_handled = outcome.publication.objections.aggregate(last=Max("handled_at"))["last"]
    notice_until = outcome.publication.notice_until
    return max(notice_until, last_handled) if last_handled is not None else notice_until


def _finalise(outcome: PublicationOutcome) -> None:
    outcome.state = PublicationState.FINAL
    outcome.final_at = _final_at(outcome)
    outcome.full_clean(validate_unique=False)
    outcome.save(update_fields=["state", "final_at"])
    logger.info("publication %s of station %s final", outcome.publication_id, outcome.publication.station_id)


@transaction.atomic
def publication_finalise(*, now: datetime.datetime | None = None) -> int:
    """Make final every publication whose notice period is over and that no objection holds open (none waiting, none
    upheld). Returns how many became final. Run hourly by beat."""
    now = now or timezone.now()
    # Publications written without an outcome row (outside `station_publish`) get one first.
    missing = StationPublication.objects.filter(outcome__isnull=True, notice_until__lte=now).values_list(
        "pk", flat=True
    )
    PublicationOutcome.objects.bulk_create(
        [PublicationOutcome(publication_id=pk) for pk in missing], ignore_conflicts=True
    )
    due = (
        publication_outcomes_due(now=now)
        .select_for_update(skip_locked=True, of=("self",))
        .select_related("publication")
        .order_by("publication__notice_until", "pk")
    )
    finalised = 0
    for outcome in due:
        _finalise(outcome)
        finalised += 1
    return finalised


# --- Objections -----------------------------------------------------------------------------------------------------


def _notice_check(station: Station, publication: StationPublication, outcome: PublicationOutcome) -> None:
    """Refuse, on `publication`, an objection to anything but a published station's latest publication in notice."""
    latest = publication_latest(station=station)
    running = outcome.state == PublicationState.NOTICE and publication.notice_until > timezone.now()
    if station.status != StationStatus.PUBLISHED or latest is None or latest.pk != publication.pk or not running:
        raise ValidationError(
            {
                "publication": [
                    _(
                        "The public notice of this publication ended on %(until)s: objections are no longer taken. "
                        "Please call the bureau's supervision phone %(phone)s."
                    )
                    % {
                        "until": f"{timezone.localtime(publication.notice_until):%Y-%m-%d}",
                        "phone": settings.BUREAU_SUPERVISION_PHONE,
                    }
                ]
            },
            code="notice_over",
        )


def _contact_check(objection: PublicationObjection) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    if not objection.name:
        errors["name"] = [_("Give your name: the bureau may need to ask you about your objection.")]
    if not (objection.phone or objection.email):
        errors["phone"] = [_("Give a phone number or an e-mail address at which the bureau can reach you.")]
    try:
        phone_number_check(objection.phone)
    except ValidationError as error:
        errors.update(error.message_dict)
    if not objection.text:
        errors["text"] = [_("Say what you object to.")]
    return errors


def _admins() -> list[User]:
    return list(User.objects.filter(is_active=True, bureau_role=BureauRole.ADMIN).order_by("pk"))


def _console_link(objection: PublicationObjection) -> str:
    return public_url(reverse("console:objection", urlconf=settings.PUBLIC_SCHEMA_URLCONF, kwargs={"pk": objection.pk}))


def _portal_link(station: Station) -> str:
    return public_url(reverse("portal_station", urlconf=settings.PUBLIC_SCHEMA_URLCONF, kwargs={"code": station.code}))


@transaction.atomic
def objection_create(
    *,
    publication: StationPublication,
    client_address: str,
    name: str,
    text: str,
    phone: str = "",
    email: str = "",
) -> PublicationObjection:
    """An objection from the portal to a station's publication, while its notice runs (otherwise refused on
    `publication`), with a name and a phone or an e-mail address, each checked on its field. Refused as a whole when
    the address sent `PUBLICATION_OBJECTIONS_PER_HOUR` objections in the past hour. The bureau's administrators are
    notified."""
    outcome = _outcome_locked(publication)
    publication = outcome.publication
    station = Station.objects.get(pk=publication.station_id)
    _notice_check(station, publication, outcome)
    objection = PublicationObjection(
        publication=publication,
        name=(name or "").strip(),
        phone=(phone or "").strip(),
        email=(email or "").strip(),
        text=(text or "").strip(),
        received_at=timezone.now(),
    )
    errors = _contact_check(objection)
    try:
        objection.full_clean(exclude=list(errors))
    except ValidationError as error:
        errors.update({field: messages for field, messages in error.message_dict.items() if field not in errors})
    if errors:
        raise ValidationError(errors)
    _rate_limit(client_address)
    objection.save()
    with translation.override(settings.LANGUAGE_CODE):
        title = _("Objection to the publication of %(station)s") % {"station": station.name}
    notify(
        recipients=_admins(),
        kind=PUBLICATION_OBJECTION_RECEIVED,
        key=f"{PUBLICATION_OBJECTION_RECEIVED}:{objection.pk}",
        title=title,
        body=objection.text[:500],
        url=_console_link(objection),
        station=station,
    )
    logger.info("station %s: objection %s to publication %s", station.code, objection.pk, publication.pk)
    return objection


def _evaluation_reopen(station: Station, objection: PublicationObjection, user: User, request) -> None:
    """A published station goes back to evaluation: its re-evaluation opens today (a scheduled one is brought
    forward; one already open is kept), and its status becomes "under evaluation" with the objection's reason."""
    under_way = EvaluationRound.objects.filter(station=station, status__in=[RoundStatus.OPEN, RoundStatus.SUBMITTED])
    if not under_way.exists():
        round_schedule(station=station, user=user, due_on=timezone.localdate())
    with translation.override(settings.LANGUAGE_CODE):
        reason = _("Objection to the publication of %(date)s upheld: %(reason)s") % {
            "date": f"{timezone.localtime(objection.publication.published_at):%Y-%m-%d}",
            "reason": objection.reason,
        }
    station_change_status(station=station, status=StationStatus.EVALUATING, user=user, reason=reason, request=request)


@transaction.atomic
def objection_handle(
    *,
    objection: PublicationObjection,
    user: User,
    state: str,
    reason: str,
    request: HttpRequest | None = None,
) -> PublicationObjection:
    """A bureau administrator upholds or dismisses a waiting objection, with the reason the portal publishes.

    Upheld: the publication is withdrawn (if it was not already) and a published station goes back to evaluation
    (`_evaluation_reopen`); a suspended one stays suspended. Dismissed after the notice period with no other objection
    waiting or upheld: the publication is final at once. The station's heads are notified of the outcome."""
    require_bureau_admin(user=user, message=_("Only the bureau's administrators handle objections to a publication."))
    outcome = _outcome_locked(objection.publication)
    objection = PublicationObjection.objects.select_for_update().get(pk=objection.pk)
    if objection.state != ObjectionState.RECEIVED:
        raise ValidationError(
            {"state": _("This objection was handled already: “%(state)s”.") % {"state": objection.get_state_display()}},
            code="handled",
        )
    errors: dict[str, list[str]] = {}
    if state not in HANDLED_STATES:
        errors["state"] = [_("Uphold or dismiss the objection.")]
    reason = (reason or "").strip()
    if not reason:
        errors["reason"] = [_("Give the reason: it is published with the outcome.")]
    if errors:
        raise ValidationError(errors)
    objection.state = state
    objection.reason = reason
    objection.handled_by = user
    objection.handled_at = timezone.now()
    objection.full_clean()
    objection.save(update_fields=["state", "reason", "handled_by", "handled_at"])

    station = Station.objects.select_for_update().get(pk=objection.publication.station_id)
    if state == ObjectionState.UPHELD:
        if outcome.state != PublicationState.WITHDRAWN:
            outcome.state = PublicationState.WITHDRAWN
            outcome.final_at = None
            outcome.withdrawn_at = objection.handled_at
            outcome.withdrawn_by = objection
            outcome.full_clean(validate_unique=False)
            outcome.save(update_fields=["state", "final_at", "withdrawn_at", "withdrawn_by"])
        if station.status == StationStatus.PUBLISHED:
            _evaluation_reopen(station, objection, user, request)
    elif (
        outcome.state == PublicationState.NOTICE
        and publication_outcomes_due(now=timezone.now()).filter(pk=outcome.pk).exists()
    ):
        _finalise(outcome)
    _handled_notify(station, objection)
    logger.info("station %s: objection %s %s", station.code, objection.pk, state)
    return objection


def _handled_notify(station: Station, objection: PublicationObjection) -> None:
    with translation.override(settings.LANGUAGE_CODE):
        if objection.state == ObjectionState.UPHELD:
            title = _("%(station)s: an objection to its publication was upheld, the station is evaluated again") % {
                "station": station.name
            }
        else:
            title = _("%(station)s: an objection to its publication was dismissed") % {"station": station.name}
    upheld = objection.state == ObjectionState.UPHELD
    notify(
        recipients=station_heads(station=station),
        kind=PUBLICATION_OBJECTION_HANDLED,
        key=f"{PUBLICATION_OBJECTION_HANDLED}:{objection.pk}",
        title=title,
        body=objection.reason[:500],
        url=station_reverse(station.code, "evaluation:current") if upheld else _portal_link(station),
        station=station,
    )

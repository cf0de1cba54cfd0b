"""Reads of publications' outcomes and the objections to them (公示异议, clause 3), public schema.

`publication_views` gives what the portal and the open data say of each publication: its state (in notice, notice
over and being concluded, final, withdrawn), its objections counted by outcome and the handled ones' outcome, reason
and dates. Never the objector's name or contact: those are read only by the bureau (`objection_list`, `objection_get`).
"""

import datetime
from dataclasses import dataclass

from django.db.models import Case, IntegerField, Prefetch, Q, QuerySet, Value, When
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.evaluation.models import ObjectionState, PublicationObjection, PublicationOutcome, PublicationState
from tenants.models import StationPublication

# A publication whose notice period is over but that is not final yet: an objection is waiting for the bureau, or the
# hourly `publication_finalise` has not run since.
CLOSING = "closing"
STATE_LABELS = {
    PublicationState.NOTICE: PublicationState.NOTICE.label,
    CLOSING: _("Notice over, outcome pending"),
    PublicationState.FINAL: PublicationState.FINAL.label,
    PublicationState.WITHDRAWN: PublicationState.WITHDRAWN.label,
}


def objection_list(*, state: str = "") -> QuerySet[PublicationObjection]:
    """Every objection, those waiting for the bureau first, then newest first; only `state` when given."""
    objections = PublicationObjection.objects.select_related("publication__station", "handled_by")
    if state:
        objections = objections.filter(state=state)
    waiting = Case(When(state=ObjectionState.RECEIVED, then=Value(0)), default=Value(1), output_field=IntegerField())
    return objections.order_by(waiting, "-received_at", "-id")


def objection_get(*, pk: int) -> PublicationObjection | None:
    return (
        PublicationObjection.objects.select_related("publication__station", "publication__outcome", "handled_by")
        .filter(pk=pk)
        .first()
    )


def objection_pending_count() -> int:
    return PublicationObjection.objects.filter(state=ObjectionState.RECEIVED).count()


def publication_latest(*, station) -> StationPublication | None:
    return StationPublication.objects.filter(station=station).order_by("-published_at", "-id").first()


def publication_withdrawn_since(*, station, since: datetime.datetime | None) -> PublicationOutcome | None:
    """The station's latest publication withdrawn by an upheld objection after `since` (e.g. when its latest
    evaluation round was concluded), or None."""
    outcomes = PublicationOutcome.objects.filter(publication__station=station, state=PublicationState.WITHDRAWN)
    if since is not None:
        outcomes = outcomes.filter(withdrawn_at__gt=since)
    return outcomes.select_related("publication").order_by("-withdrawn_at").first()


def publications_prefetch(to_attr: str = "publications_all") -> Prefetch:
    """Every publication of the stations, newest first, with its outcome and objections (two queries)."""
    objections = PublicationObjection.objects.order_by("received_at", "id")
    return Prefetch(
        "publications",
        queryset=StationPublication.objects.select_related("outcome")
        .prefetch_related(Prefetch("objections", queryset=objections))
        .order_by("-published_at", "-id"),
        to_attr=to_attr,
    )


@dataclass(frozen=True)
class HandledObjection:
    """What is published of a handled objection: never who raised it or how to reach them."""

    received_at: datetime.datetime
    state: str
    state_label: str
    reason: str
    handled_at: datetime.datetime


@dataclass(frozen=True)
class PublicationView:
    publication: StationPublication
    state: str
    state_label: str
    notice_running: bool
    final_at: datetime.datetime | None
    withdrawn_at: datetime.datetime | None
    received: int
    pending: int
    upheld: int
    dismissed: int
    handled: list[HandledObjection]


def _outcome(publication: StationPublication) -> PublicationOutcome | None:
    try:
        return publication.outcome
    except PublicationOutcome.DoesNotExist:
        return None


def publication_state(publication: StationPublication, *, now: datetime.datetime | None = None) -> str:
    """notice, closing (notice over, not final yet), final or withdrawn. A publication without an outcome row (made
    outside `station_publish`) reads as in notice, then final once its notice period is over."""
    now = now or timezone.now()
    outcome = _outcome(publication)
    if outcome is not None and outcome.state != PublicationState.NOTICE:
        return outcome.state
    if publication.notice_until > now:
        return PublicationState.NOTICE
    return CLOSING if outcome is not None else PublicationState.FINAL


def publication_view(publication: StationPublication, *, now: datetime.datetime | None = None) -> PublicationView:
    """The publication as the public sees it. Uses ``publication.objections.all()`` and ``publication.outcome``: a
    prefetch (`publications_prefetch`) saves their queries."""
    now = now or timezone.now()
    objections = list(publication.objections.all())
    outcome = _outcome(publication)
    state = publication_state(publication, now=now)
    by_state = {value: sum(1 for o in objections if o.state == value) for value in ObjectionState.values}
    return PublicationView(
        publication=publication,
        state=state,
        state_label=str(STATE_LABELS[state]),
        notice_running=state == PublicationState.NOTICE,
        final_at=outcome.final_at if outcome is not None else None,
        withdrawn_at=outcome.withdrawn_at if outcome is not None else None,
        received=len(objections),
        pending=by_state[ObjectionState.RECEIVED],
        upheld=by_state[ObjectionState.UPHELD],
        dismissed=by_state[ObjectionState.DISMISSED],
        handled=[
            HandledObjection(
                received_at=o.received_at,
                state=o.state,
                state_label=str(o.get_state_display()),
                reason=o.reason,
                handled_at=o.handled_at,
            )
            for o in objections
            if o.state != ObjectionState.RECEIVED
        ],
    )


def publication_views(*, station) -> list[PublicationView]:
    """Every publication of the station, newest first, as the public sees it (three queries)."""
    publications = (
        StationPublication.objects.filter(station=station)
        .select_related("outcome")
        .prefetch_related(Prefetch("objections", queryset=PublicationObjection.objects.order_by("received_at", "id")))
        .order_by("-published_at", "-id")
    )
    now = timezone.now()
    return [publication_view(publication, now=now) for publication in publications]


def publication_outcomes_due(*, now: datetime.datetime) -> QuerySet[PublicationOutcome]:
    """Outcomes still in notice whose notice period is over and that no objection holds open (none waiting, none
    upheld)."""
    held = Q(publication__objections__state__in=[ObjectionState.RECEIVED, ObjectionState.UPHELD])
    return PublicationOutcome.objects.filter(state=PublicationState.NOTICE, publication__notice_until__lte=now).exclude(
        held
    )

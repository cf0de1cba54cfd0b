"""Reads of the city-wide network data: the referral policy in force, and the bureau's referral matrix."""

import datetime
from dataclasses import dataclass, field

from django.conf import settings
from django.db.models import Aggregate, Count, FloatField, Q
from django.db.models.expressions import RawSQL

from core.network.models import ReferralFlow, ReferralPolicy
from tenants.models import Station


def referral_policy_get() -> ReferralPolicy:
    """The bureau's policy, or the default (`REFERRAL_ACCEPT_WORKING_DAYS`) until the bureau sets one."""
    return ReferralPolicy.objects.first() or ReferralPolicy(accept_working_days=settings.REFERRAL_ACCEPT_WORKING_DAYS)


class Median(Aggregate):
    function = "percentile_cont"
    template = "%(function)s(0.5) WITHIN GROUP (ORDER BY %(expressions)s)"
    output_field = FloatField()


OPEN_STATES = ("requested", "accepted", "in_service", "on_hold")


@dataclass
class FlowCell:
    total: int = 0
    answered: int = 0
    accepted: int = 0
    declined: int = 0
    withdrawn: int = 0
    open: int = 0
    completed: int = 0
    failed: int = 0
    overdue: int = 0
    median_accept_hours: float | None = None

    @property
    def acceptance_rate(self) -> float | None:
        """Of the referrals answered, the share accepted."""
        return self.accepted / self.answered if self.answered else None


@dataclass
class FlowMatrix:
    stations: list[Station]
    cells: dict[tuple[int, int], FlowCell]
    sent: dict[int, FlowCell] = field(default_factory=dict)
    received: dict[int, FlowCell] = field(default_factory=dict)
    to_institutions: dict[int, FlowCell] = field(default_factory=dict)
    total: FlowCell = field(default_factory=FlowCell)

    def rows(self) -> list[tuple[Station, list[FlowCell | None], FlowCell | None]]:
        """Per referring station: its cell for each receiving station (None on the diagonal), and its row total."""
        return [
            (
                sender,
                [
                    None if sender.pk == receiver.pk else self.cells.get((sender.pk, receiver.pk))
                    for receiver in self.stations
                ],
                self.sent.get(sender.pk),
            )
            for sender in self.stations
        ]


STATS = {
    "total": Count("id"),
    "answered": Count("id", filter=Q(answered_at__isnull=False)),
    "accepted": Count("id", filter=Q(accepted_at__isnull=False)),
    "declined": Count("id", filter=Q(state="declined")),
    "withdrawn": Count("id", filter=Q(state="withdrawn")),
    "open": Count("id", filter=Q(state__in=OPEN_STATES)),
    "completed": Count("id", filter=Q(state="completed")),
    "failed": Count("id", filter=Q(state="failed")),
    "overdue": Count("id", filter=Q(overdue_at__isnull=False)),
    "median_accept_seconds": Median(
        RawSQL("EXTRACT(EPOCH FROM (network_referralflow.accepted_at - network_referralflow.requested_at))", []),
        filter=Q(accepted_at__isnull=False),
    ),
}


def _cell(row: dict) -> FlowCell:
    seconds = row.pop("median_accept_seconds")
    values = {name: row[name] for name in STATS if name != "median_accept_seconds"}
    return FlowCell(**values, median_accept_hours=None if seconds is None else round(seconds / 3600, 1))


def referral_flows(*, requested_from: datetime.date | None = None, requested_to: datetime.date | None = None):
    flows = ReferralFlow.objects.all()
    if requested_from:
        flows = flows.filter(requested_at__date__gte=requested_from)
    if requested_to:
        flows = flows.filter(requested_at__date__lte=requested_to)
    return flows


def referral_matrix(
    *, requested_from: datetime.date | None = None, requested_to: datetime.date | None = None
) -> FlowMatrix:
    """The station × station matrix of referrals requested in the period (the bureau's read model): counts, answers,
    acceptance rate, median hours to accept and outcomes per pair, with row, column and city totals, and each
    station's referrals to institutions. Four grouped queries, whatever the number of stations."""
    flows = referral_flows(requested_from=requested_from, requested_to=requested_to)
    between = flows.filter(to_station__isnull=False)
    cells = {
        (row.pop("from_station"), row.pop("to_station")): _cell(row)
        for row in between.values("from_station", "to_station").annotate(**STATS).order_by()
    }
    sent = {row.pop("from_station"): _cell(row) for row in between.values("from_station").annotate(**STATS).order_by()}
    received = {row.pop("to_station"): _cell(row) for row in between.values("to_station").annotate(**STATS).order_by()}
    to_institutions = {
        row.pop("from_station"): _cell(row)
        for row in flows.filter(institution__isnull=False).values("from_station").annotate(**STATS).order_by()
    }
    total = _cell(between.aggregate(**STATS))
    ids = set(sent) | set(received) | set(to_institutions)
    stations = list(Station.objects.filter(pk__in=ids).order_by("code"))
    return FlowMatrix(
        stations=stations, cells=cells, sent=sent, received=received, to_institutions=to_institutions, total=total
    )


def referral_flows_overdue():
    """Referrals between stations or to institutions still waiting past their acceptance deadline, flagged."""
    return (
        ReferralFlow.objects.filter(state="requested", overdue_at__isnull=False)
        .select_related("from_station", "to_station", "institution", "category")
        .order_by("accept_due_at")
    )

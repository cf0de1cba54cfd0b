"""Reads of the city-wide network data: the referral policy in force, and the bureau's referral matrix."""

import datetime
from dataclasses import dataclass, field

from django.conf import settings
from django.utils import timezone

from core.common.replica import read_connection
from core.network.models import ReferralFlow, ReferralPolicy
from tenants.models import Station


def referral_policy_get() -> ReferralPolicy:
    """The bureau's policy, or the default (`REFERRAL_ACCEPT_WORKING_DAYS`) until the bureau sets one."""
    return ReferralPolicy.objects.first() or ReferralPolicy(accept_working_days=settings.REFERRAL_ACCEPT_WORKING_DAYS)


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


# The figures of a group of flows, in SQL: one scan of the table computes them for every grouping at once.
STATS_SQL = {
    "total": "count(*)",
    "answered": "count(*) FILTER (WHERE answered_at IS NOT NULL)",
    "accepted": "count(*) FILTER (WHERE accepted_at IS NOT NULL)",
    "declined": "count(*) FILTER (WHERE state = 'declined')",
    "withdrawn": "count(*) FILTER (WHERE state = 'withdrawn')",
    "open": "count(*) FILTER (WHERE state IN ({}))".format(", ".join(f"'{state}'" for state in OPEN_STATES)),
    "completed": "count(*) FILTER (WHERE state = 'completed')",
    "failed": "count(*) FILTER (WHERE state = 'failed')",
    "overdue": "count(*) FILTER (WHERE overdue_at IS NOT NULL)",
    "median_accept_seconds": "percentile_cont(0.5) WITHIN GROUP (ORDER BY EXTRACT(EPOCH FROM accepted_at - requested_at)) "
    "FILTER (WHERE accepted_at IS NOT NULL)",
}
STATS_COLUMNS = ", ".join(f"{expression} AS {name}" for name, expression in STATS_SQL.items())


def _cell(values: dict) -> FlowCell:
    seconds = values.pop("median_accept_seconds")
    return FlowCell(**values, median_accept_hours=None if seconds is None else round(seconds / 3600, 1))


def _day_start(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


def _period(requested_from: datetime.date | None, requested_to: datetime.date | None) -> tuple[list[str], list]:
    """The period as a range of `requested_at` (local days, the end day included), which its index answers."""
    where, params = [], []
    if requested_from:
        where.append("requested_at >= %s")
        params.append(_day_start(requested_from))
    if requested_to:
        where.append("requested_at < %s")
        params.append(_day_start(requested_to + datetime.timedelta(days=1)))
    return where, params


def _rows(sql: str, params: list) -> list[tuple]:
    # The referral flows' connection: the replica inside the views marked for it (core.common.replica).
    with read_connection(ReferralFlow).cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def referral_matrix(
    *, requested_from: datetime.date | None = None, requested_to: datetime.date | None = None
) -> FlowMatrix:
    """The station × station matrix of referrals requested in the period (the bureau's read model): counts, answers,
    acceptance rate, median hours to accept and outcomes per pair, with row, column and city totals, and each
    station's referrals to institutions. One scan for the pairs and all their totals (GROUPING SETS), one for the
    institutions, whatever the number of stations."""
    where, params = _period(requested_from, requested_to)
    names = list(STATS_SQL)
    # Only constant SQL is put together here; the period's values are parameters.
    between = " AND ".join(["to_station_id IS NOT NULL", *where])
    pairs = _rows(
        f"SELECT from_station_id, to_station_id, GROUPING(from_station_id), GROUPING(to_station_id), {STATS_COLUMNS} "  # noqa: S608
        f"FROM network_referralflow WHERE {between} "
        "GROUP BY GROUPING SETS ((from_station_id, to_station_id), (from_station_id), (to_station_id), ())",
        params,
    )
    cells, sent, received, total = {}, {}, {}, FlowCell()
    for sender, receiver, no_sender, no_receiver, *values in pairs:
        cell = _cell(dict(zip(names, values, strict=True)))
        if not no_sender and not no_receiver:
            cells[(sender, receiver)] = cell
        elif not no_sender:
            sent[sender] = cell
        elif not no_receiver:
            received[receiver] = cell
        else:
            total = cell
    institutions = " AND ".join(["institution_id IS NOT NULL", *where])
    to_institutions = {
        sender: _cell(dict(zip(names, values, strict=True)))
        for sender, *values in _rows(
            f"SELECT from_station_id, {STATS_COLUMNS} FROM network_referralflow "  # noqa: S608
            f"WHERE {institutions} GROUP BY from_station_id",
            params,
        )
    }
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

"""A year of plausible history for the demo city, generated through the services (issue 15).

`history_load` gives the demo stations the work of the last `months` months, as if the city had been running: demands
over the stations and the catalog's categories, their cases planned, served, referred to another station or to an
institution, recorded, completed and rated; complaints, some escalated to the bureau and handled there; opinions with
their answers and improvement plans; trainings, equipment maintenance, monthly staff assessments, the heads' case
reviews and each station's re-evaluation when it falls due. The console, the statistics, the heads' workspaces and the
archive then show real figures on the demo's first start.

How:
- **Through the services only**, as staff would through the pages: the same checks, timelines, numbers, outbox
  messages and read models. Nothing is written to a table directly.
- **A clock that runs through the year.** Every story (a demand, a complaint, an opinion, a training, ...) is a Python
  generator that yields the moment of its next step. The steps of all stories are taken in time order, each with the
  clock set to its moment (time-machine: the services stamp `timezone.now()`), so numbers follow the calendar and
  every timestamp is plausible. A step whose moment is still to come is not taken: recent work stays open in
  whatever state it reached, as it would be on any day.
- **Messages are delivered as the worker would**, in this process, after each step: both copies of a referral move
  together, and the city statistics' read model follows (`manage.py stats_check` agrees afterwards).
- **Once.** A `DemoHistory` row marks it, written first; a second call finds the row and adds nothing (an interrupted
  history is kept as far as it went). The steps commit a few at a time, so the demo can be used while its history is
  generated (nobody waits long on a lock the history holds) and its figures fill in; the row gets the summary at the
  end. The tasks the steps queue for after their commit are dropped: the messages were delivered here, and the
  e-mails belong to the past.
- **Seeded**: the same seed and end give the same history.

time-machine is a development dependency (`make demo` installs it); without it `history_load` raises
`HistoryUnavailable`.
"""

import datetime
import heapq
import itertools
import logging
import random
import time
from collections import Counter
from collections.abc import Generator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from functools import partial

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone
from django_tenants.utils import get_public_schema_name, schema_context

from core.assessment import services as assessment
from core.assessment.models import CaseReview, Level, PeriodKind, StaffAssessment
from core.catalog.models import FormBox, FormKind
from core.common.workdays import is_working_day
from core.complaints import services as complaints
from core.complaints.models import Complaint, ComplaintState, Feedback
from core.demo import content
from core.demo.city import DEMO_STATIONS
from core.demo.models import DemoHistory
from core.desk import services as desk
from core.desk.models import CaseState, Channel, Demand, PlanKind, ServiceCase
from core.directory.demo import directory_demo_load
from core.directory.models import Enterprise, Institution
from core.escalations import services as escalations
from core.escalations.models import Escalation
from core.evaluation import services as evaluation
from core.evaluation.demo import round_approve_all
from core.evaluation.models import EvaluationRound, RoundStatus
from core.messaging.models import OutboxMessage
from core.messaging.services import outbox_deliver_pending
from core.notifications.services import notifications_read_before
from core.operations import selectors as operations_selectors
from core.operations import services as operations
from core.operations.models import Equipment, TrainingKind
from core.referrals import services as referrals
from core.referrals.models import Direction, Referral
from core.supervision import services as supervision
from core.supervision.models import Opinion
from tenants.models import BureauRole, MemberRole, Station, StationStatus, User
from tenants.selectors import DEMO

logger = logging.getLogger(__name__)

SEED = 2026
# A few hundred demands over the three demo stations in a year: about two a week each.
DEMANDS_PER_STATION_MONTH = 8
OPEN_FROM, OPEN_UNTIL = datetime.time(8, 30), datetime.time(16, 45)  # when staff are at the desk
# Categories whose work needs an accredited laboratory: even a station that serves them often hands the test itself
# to an institution of the registry.
LABORATORY_WORK = ("5.1.6", "5.1.7", "5.1.8")
# Steps taken in one transaction: few enough that the demo's own users never wait long on a lock the history holds.
STEPS_PER_COMMIT = 20
RATED = ("q1", "q2", "q3", "q4", "q6", "q7", "q8", "q9", "q10")

Story = Generator[datetime.datetime, None, None]


class HistoryUnavailable(RuntimeError):
    """The history cannot be generated here (time-machine is not installed)."""


def _clock():
    try:
        import time_machine
    except ImportError:  # a production image: no development dependencies
        raise HistoryUnavailable(
            "the demo history needs the time-machine package (pip install -e '.[dev]', as `make demo` does)"
        ) from None
    return time_machine


@dataclass
class Crew:
    """A station as the history sees it: who works there, what it serves itself, whose demands it takes."""

    station: Station
    head: User
    workers: list[User]  # who serves cases (every active member, cleared for duty), staff first
    serves: frozenset[str]  # category clauses
    enterprises: list[Enterprise]
    completed: list[int] = field(default_factory=list)  # case ids, for complaints and reviews

    @property
    def schema(self) -> str:
        return self.station.schema_name


def history_loaded() -> bool:
    """Whether a history was generated (or started: an interrupted one is kept as far as it went)."""
    return DemoHistory.objects.exists()


def history_load(
    *,
    stations: Sequence[Station],
    months: int = 12,
    per_station_month: int = DEMANDS_PER_STATION_MONTH,
    seed: int = SEED,
    end: datetime.datetime | None = None,
) -> DemoHistory | None:
    """Generate `months` months of work of `stations` (published, with their members), ending now: about
    `per_station_month` demands per station and month, and everything around them. None when a history was loaded
    (or started) before: nothing is added. `end` (default: now) fixes the last moment, for a history that does not
    depend on the day it is generated.

    The marker row is written first; the history then commits a few steps at a time (so the demo may be used while it
    is generated: nobody waits on its locks for long) and the row gets the summary at the end."""
    if history_loaded():
        return None
    clock = _clock()
    started = time.monotonic()
    end = end or timezone.now()
    with transaction.atomic():
        if DemoHistory.objects.select_for_update().exists():
            return None
        record = DemoHistory(
            first_day=timezone.localdate(history_start(months=months, end=end)),
            last_day=timezone.localdate(end),
            seed=seed,
            stations=[station.code for station in stations],
            started_at=timezone.now(),
        )
        record.full_clean()
        record.save()
    directory_demo_load()
    history = _History(
        clock=clock, stations=list(stations), months=months, per_station_month=per_station_month, seed=seed, end=end
    )
    record.summary = history.run()
    record.finished_at = timezone.now()
    record.seconds = round(time.monotonic() - started, 1)
    record.save(update_fields=["summary", "finished_at", "seconds"])
    return record


def _forget_queued_tasks() -> None:
    """Forget the tasks the steps just taken queued for after their commit (`tenants.tasks.queue` partials, as
    `queue_after_commit` registers them; tests read them the same way). They belong to the past: every message was
    delivered here after its step, and the e-mails of a year ago (a referral's arrival, a re-evaluation's steps) were
    sent then; thousands of them would keep the demo's worker busy and fill its mail folder. Callbacks of other kinds
    stay."""
    from tenants.tasks import queue

    def queued(callback) -> bool:
        return isinstance(callback, partial) and callback.func is queue

    connection.run_on_commit[:] = [entry for entry in connection.run_on_commit if not queued(entry[1])]


def _past_deliveries_sent(schemas: list[str]) -> None:
    """The SMS and e-mails the steps decided on (a demand's tracking link, an appointment) went out at their time, as
    the e-mails did: their tasks were forgotten, so mark them sent then, or the deliveries' sweep would send a year's
    messages on the demo's first start."""
    from core.deliveries.models import Delivery, DeliveryStatus

    for schema in schemas:
        with schema_context(schema):
            Delivery.objects.filter(status=DeliveryStatus.QUEUED).update(
                status=DeliveryStatus.SENT, sent_at=F("created_at"), provider_id="demo-history"
            )


def history_start(*, months: int, end: datetime.datetime | None = None) -> datetime.datetime:
    """The local midnight `months` months before `end` (now): where a history of `months` months starts."""
    local = timezone.localtime(end or timezone.now())
    month = local.month - 1 - months
    year, month = local.year + month // 12, month % 12 + 1
    day = min(local.day, 28)
    return local.replace(year=year, month=month, day=day, hour=0, minute=0, second=0, microsecond=0)


class _History:
    def __init__(self, *, clock, stations, months, per_station_month, seed, end):
        self.time_machine = clock
        self.rng = random.Random(seed)  # noqa: S311  (demo data, reproducible)
        self.end = end
        self.beyond = end + datetime.timedelta(days=1)
        self.start = history_start(months=months, end=end)
        self.months = months
        self.per_station_month = per_station_month
        self.queue: list[tuple[datetime.datetime, int, Story]] = []
        self.order = itertools.count()
        self.stations = stations
        self.schemas = [station.schema_name for station in stations] + [get_public_schema_name()]
        self.admin = User.objects.filter(bureau_role=BureauRole.ADMIN, is_active=True).order_by("pk").first()
        self.tally: Counter = Counter()
        self.boxes = {box.label: box for box in FormBox.objects.filter(form=FormKind.DEMAND)}

    # --- The clock ---------------------------------------------------------------------------------------------------

    def spawn(self, story: Story) -> None:
        """Start a story: it runs from the moment it first yields."""
        try:
            moment = next(story)
        except StopIteration:
            return
        heapq.heappush(self.queue, (moment, next(self.order), story))

    def run(self) -> dict:
        with transaction.atomic(), self.time_machine.travel(self.start, tick=False):
            self.crews = [self._crew(station, index) for index, station in enumerate(self.stations)]
        for crew in self.crews:
            self._plan_year(crew)
        self.spawn(self._reevaluations())
        while self.queue:
            with transaction.atomic():
                for _step in range(STEPS_PER_COMMIT):
                    if not self.queue:
                        break
                    self._step(*heapq.heappop(self.queue))
                _forget_queued_tasks()
                _past_deliveries_sent(self.schemas)
        if self._pending_schemas():
            raise RuntimeError("messages are left undelivered")
        # The notifications of the year are old news: the last two days' stay unread, as on any working day.
        notifications_read_before(actor=DEMO, before=self.end - datetime.timedelta(days=2))
        return dict(sorted(self.tally.items()))

    def _step(self, moment: datetime.datetime, _order: int, story: Story) -> None:
        """Take a story's next step at `moment` (unless it is still to come) and deliver what it sent. A step the
        services refuse (someone using the demo changed the same case meanwhile) is undone and its story ends."""
        if moment > self.end:
            return  # the rest of this story has not happened yet
        try:
            with transaction.atomic(), self.time_machine.travel(moment, tick=False):
                try:
                    after = story.send(None)
                except StopIteration:
                    after = None
                self._deliver()
        except (ValidationError, PermissionDenied) as error:
            logger.warning("demo history: a step at %s was refused and its story ends: %s", moment, error)
            self.tally["steps refused"] += 1
            return
        if after is not None:
            if after <= moment:
                raise RuntimeError(f"a story went back in time: {after} after {moment}")
            heapq.heappush(self.queue, (after, next(self.order), story))

    def _deliver(self) -> None:
        """Deliver every pending message, as the worker would (a delivery may send more: loop until none is left)."""
        while True:
            pending = self._pending_schemas()
            if not pending:
                return
            for schema in pending:
                with schema_context(schema):
                    outbox_deliver_pending()

    def _pending_schemas(self) -> list[str]:
        """The schemas whose outbox holds an undelivered message: one query, whatever the number of stations."""
        table = OutboxMessage._meta.db_table
        probes = " UNION ALL ".join(
            f"SELECT %s WHERE EXISTS (SELECT 1 FROM {connection.ops.quote_name(schema)}.{table} "  # noqa: S608
            "WHERE delivered_at IS NULL)"
            for schema in self.schemas
        )
        with connection.cursor() as cursor:
            cursor.execute(probes, self.schemas)
            found = {row[0] for row in cursor.fetchall()}
        return [schema for schema in self.schemas if schema in found]

    # --- Moments -----------------------------------------------------------------------------------------------------

    def at(self, day: datetime.date, after: datetime.time = OPEN_FROM) -> datetime.datetime:
        """A moment of office hours on `day`, not before `after`."""
        first = after.hour * 60 + after.minute
        last = OPEN_UNTIL.hour * 60 + OPEN_UNTIL.minute
        minute = self.rng.randint(min(first, last), last)
        local = datetime.time(minute // 60, minute % 60, self.rng.randint(0, 59))
        return datetime.datetime.combine(day, local, tzinfo=timezone.get_default_timezone())

    def later(self, moment: datetime.datetime, low: int, high: int) -> datetime.datetime:
        """A moment `low`–`high` working days after `moment` (0: later the same day, if the office is still open)."""
        days = self.rng.randint(low, high)
        local = timezone.localtime(moment)
        if days == 0:
            soon = local + datetime.timedelta(minutes=self.rng.randint(20, 150))
            if soon.date() == local.date() and soon.time() <= OPEN_UNTIL:
                return soon
            days = 1
        day, last = local.date(), timezone.localdate(self.end)
        while days:
            day += datetime.timedelta(days=1)
            if day > last:
                return self.beyond  # after the history's end: never taken
            days -= is_working_day(day)
        return self.at(day)

    def working_days(self, first: datetime.date, last: datetime.date) -> list[datetime.date]:
        days = (last - first).days + 1
        return [d for d in (first + datetime.timedelta(days=n) for n in range(days)) if is_working_day(d)]

    def chance(self, p: float) -> bool:
        return self.rng.random() < p

    def person(self) -> str:
        return self.rng.choice(content.SURNAMES) + "".join(self.rng.sample(content.GIVEN, self.rng.choice((1, 2))))

    # --- The stations ------------------------------------------------------------------------------------------------

    def _crew(self, station: Station, index: int) -> Crew:
        memberships = station.memberships.filter(is_active=True).select_related("user").order_by("role", "user_id")
        head = next(m.user for m in memberships if m.role == MemberRole.HEAD)
        with schema_context(station.schema_name):
            members = [m.user for m in memberships]
            cleared = operations_selectors.members_cleared(user_ids=[m.pk for m in members])
            untrained = [member for member in members if member.pk not in cleared]
            if untrained:
                # Clause 4.4.1: whoever serves a case was trained before duty. A city loaded before its members'
                # training date gets the training recorded before the history starts.
                operations.training_create(
                    user=head,
                    title="上岗前质量服务专业知识培训",
                    held_on=timezone.localdate() - datetime.timedelta(days=7),
                    hours=Decimal("8"),
                    kind=TrainingKind.PRE_DUTY,
                    attendees=untrained,
                )
        staff = [m.user for m in memberships if m.role == MemberRole.STAFF]
        spec = next((s for s in DEMO_STATIONS if s.code == station.code), DEMO_STATIONS[index % len(DEMO_STATIONS)])
        local = list(Enterprise.objects.filter(district=station.district).order_by("pk"))
        others = list(Enterprise.objects.exclude(district=station.district).order_by("pk"))
        enterprises = local * 3 + others  # mostly its own district's enterprises, some from further away
        return Crew(
            station=station,
            head=head,
            workers=[*staff, head],
            serves=frozenset(spec.serves),
            enterprises=enterprises,
        )

    def worker(self, crew: Crew) -> User:
        """Who takes a piece of work: mostly the staff, sometimes the head."""
        if len(crew.workers) == 1 or self.chance(0.25):
            return crew.workers[-1]
        return self.rng.choice(crew.workers[:-1])

    def _plan_year(self, crew: Crew) -> None:
        """Schedule the station's year: its demands (more as the station becomes known, fewer at the Spring
        Festival), complaints, opinions, trainings, maintenance, assessments and reviews."""
        first, last = timezone.localdate(self.start), timezone.localdate(self.end)
        days = self.working_days(first, last)
        total = self.per_station_month * self.months
        for _n in range(total):
            # Busier as the year goes on: the later part of the span holds more of the demands.
            position = self.rng.random() ** 0.8
            day = days[min(int(position * len(days)), len(days) - 1)]
            if day.month == 2 and self.chance(0.5):
                continue  # the Spring Festival month is quiet
            self.spawn(self._demand(crew, self.at(day)))
        for _n in range(max(1, self.months * 2 // 3)):
            self.spawn(self._complaint(crew, self.at(self.rng.choice(days))))
        for _n in range(self.months * 3 // 2):
            self.spawn(self._opinion(crew, self.at(self.rng.choice(days))))
        for quarter in range(0, self.months, 3):
            day = days[min(len(days) - 1, int((quarter + 1.5) / self.months * len(days)))]
            self.spawn(self._training(crew, self.at(day, datetime.time(14)), quarter // 3))
        with schema_context(crew.schema):
            for equipment in Equipment.objects.filter(retired_on__isnull=True).order_by("pk"):
                self.spawn(self._maintenance(crew, equipment.pk, equipment.maintenance_interval_days, first))
        month = first.replace(day=1)
        while True:
            month = (month + datetime.timedelta(days=32)).replace(day=1)
            if month > last:
                break
            self.spawn(self._assessment(crew, month))
            self.spawn(self._review(crew, month))

    # --- Demands and their cases -------------------------------------------------------------------------------------

    def _demand(self, crew: Crew, moment: datetime.datetime) -> Story:
        yield moment
        enterprise = self.rng.choice(crew.enterprises)
        needs = [self.rng.choices(content.NEEDS, weights=[need.weight for need in content.NEEDS])[0]]
        if self.chance(0.12):
            needs.append(self.rng.choice(content.NEEDS))
        boxes = [self.boxes[label] for need in needs for label in need.boxes]
        tables: dict[str, list[dict]] = {}
        for need in needs:
            for name, rows in need.tables.items():
                tables.setdefault(name, []).extend(rows)
        materials = sorted({material for need in needs for material in need.inspection_materials})
        form = {
            "contact_person": self.person(),
            "phone": f"13{self.rng.randint(0, 9)}{self.rng.randint(10000000, 99999999)}",
            "signatory": enterprise.legal_representative,
            "signed_on": timezone.localdate(),
            "boxes": boxes,
            "tables": tables,
            "inspection_materials": materials,
        }
        if self.chance(0.08) and crew.station.status == StationStatus.PUBLISHED:
            # The enterprise's own form from the public portal.
            block = {name: getattr(enterprise, field) for name, field in desk.ENTERPRISE_BLOCK.items()}
            demand = desk.demand_submit_online(station=crew.station, **block | form)
        else:
            channel = self.rng.choices(
                (Channel.VISIT, Channel.PHONE, Channel.DAILY_CONTACT, Channel.WALK_IN, Channel.INSTANT_MESSAGING),
                weights=(35, 25, 18, 12, 10),
            )[0]
            with schema_context(crew.schema):
                demand = desk.demand_create(
                    station=crew.station, user=self.worker(crew), enterprise=enterprise, channel=channel, **form
                )
        self.tally["demands"] += 1
        with schema_context(crew.schema):
            cases = list(Demand.objects.get(pk=demand.pk).cases.order_by("pk").values_list("pk", flat=True))
        for case_id in cases:
            self.spawn(self._case(crew, case_id, moment))

    def _case(self, crew: Crew, case_id: int, received: datetime.datetime) -> Story:
        """A case of `crew` from its reception: evaluated, planned (served here, by an institution or another
        station), served, recorded, completed and rated; a few are cancelled, held or re-planned."""
        moment = self.later(received, 0, 2)
        yield moment
        worker = self.worker(crew)
        if self.chance(0.04):
            self._transition(crew, case_id, CaseState.CANCELLED, worker, self.rng.choice(content.CANCEL_REASONS))
            return
        self._transition(crew, case_id, CaseState.EVALUATING, worker)
        yield from self._plan(crew, case_id, worker, moment, tried=set())

    def _plan(self, crew: Crew, case_id: int, worker: User, moment: datetime.datetime, *, tried: set[int]) -> Story:
        """Plan the case as it may be served: here, by an institution or by another station that serves it."""
        with schema_context(crew.schema):
            case = ServiceCase.objects.select_related("category").get(pk=case_id)
        clause = case.category.clause
        institutions = self._institutions(clause)
        stations = [
            other
            for other in self.crews
            if other is not crew and clause in other.serves and other.station.pk not in tried
        ]
        if clause in crew.serves:
            if institutions and clause in LABORATORY_WORK and self.chance(0.35):
                yield from self._by_institution(crew, case_id, worker, moment, self.rng.choice(institutions))
            else:
                yield from self._served(crew, case_id, worker, moment)
        elif stations and (not institutions or self.chance(0.6)):
            yield from self._by_station(crew, case_id, worker, moment, self.rng.choice(stations), tried)
        elif institutions:
            yield from self._by_institution(crew, case_id, worker, moment, self.rng.choice(institutions))
        else:
            yield from self._served(crew, case_id, worker, moment)

    def _institutions(self, clause: str) -> list[Institution]:
        return list(Institution.objects.filter(items__category__clause=clause).distinct().order_by("pk"))

    def _transition(self, crew: Crew, case_id: int, to: str, user: User | None, reason: str = "") -> ServiceCase:
        with schema_context(crew.schema):
            case = ServiceCase.objects.get(pk=case_id)
            return desk.case_transition(case=case, to=to, user=user, reason=reason)

    def _served(
        self, crew: Crew, case_id: int, worker: User, moment: datetime.datetime, *, rated: float = 0.8
    ) -> Generator[datetime.datetime, None, datetime.datetime]:
        """Served by the station itself: booked, served on the appointment, followed up, recorded, completed.
        Returns the moment it was completed."""
        work = self._work(crew, case_id)
        appointment = self.later(moment, 1, 3)
        with schema_context(crew.schema):
            case = ServiceCase.objects.get(pk=case_id)
            desk.case_plan(
                case=case,
                user=worker,
                kind=PlanKind.SELF,
                evaluation=work.evaluation,
                appointment_at=appointment,
                staff=worker,
            )
        if self.chance(0.05):  # re-planned after a second look (clause 5.2.3.2)
            moment = self.later(moment, 0, 1)
            yield moment
            appointment = self.later(moment, 1, 3)
            with schema_context(crew.schema):
                desk.case_plan(
                    case=ServiceCase.objects.get(pk=case_id),
                    user=worker,
                    kind=PlanKind.SELF,
                    evaluation="重新评估：需上门核实现场情况后服务",
                    appointment_at=appointment,
                    staff=worker,
                )
            self.tally["re-plans"] += 1
        yield appointment
        self._transition(crew, case_id, CaseState.IN_SERVICE, worker)
        on_site = appointment
        with schema_context(crew.schema):
            desk.case_event_add(
                case=ServiceCase.objects.get(pk=case_id),
                user=worker,
                kind="contact_enterprise",
                text=self.rng.choice(content.CONTACTS),
            )
        moment = appointment
        if self.chance(0.07):
            moment = self.later(moment, 1, 2)
            yield moment
            self._transition(crew, case_id, CaseState.ON_HOLD, worker, self.rng.choice(content.HOLD_REASONS))
            moment = self.later(moment, 2, 8)
            yield moment
            self._transition(crew, case_id, CaseState.IN_SERVICE, worker)
        # Most are done well within the ten working days; some take longer.
        moment = self.later(moment, 1, 9 if self.chance(0.12) else 4)
        yield moment
        case = self._transition(crew, case_id, CaseState.FOLLOWING_UP, worker)
        with schema_context(crew.schema):
            if self.chance(0.3):
                desk.case_event_add(case=case, user=worker, kind="problem", text=work.problem)
                desk.case_event_add(case=case, user=worker, kind="cause", text=work.cause)
            desk.record_save(
                case=case,
                user=worker,
                requested_at=case.received_at,
                received_at=case.received_at,
                answered_at=max(case.received_at, on_site - datetime.timedelta(days=1)),
                on_site_at=on_site,
                ended_at=moment - datetime.timedelta(minutes=self.rng.randint(30, 120)),
                resolution=self.rng.choice(work.resolutions),
            )
        moment = self.later(moment, 0, 1)
        yield moment
        self._complete(crew, case_id, worker, rated)
        return moment

    def _complete(self, crew: Crew, case_id: int, worker: User, rated: float) -> None:
        self._transition(crew, case_id, CaseState.COMPLETED, worker)
        crew.completed.append(case_id)
        self.tally["cases completed"] += 1
        if self.chance(rated):
            self.spawn(self._survey(crew, case_id, worker))

    def _work(self, crew: Crew, case_id: int) -> content.Work:
        with schema_context(crew.schema):
            clause = ServiceCase.objects.select_related("category").get(pk=case_id).category.clause
        return content.WORK.get(clause, content.WORK["5.1.11"])

    def _by_institution(
        self, crew: Crew, case_id: int, worker: User, moment: datetime.datetime, institution: Institution
    ) -> Story:
        """Referred to an institution of the registry: the station records its steps on the institution's behalf,
        then writes its own record and completes the case."""
        work = self._work(crew, case_id)
        technician = self.person()
        with schema_context(crew.schema):
            case = ServiceCase.objects.get(pk=case_id)
            items = [item for item in case.items.all() if item in set(institution.items.all())] or list(
                case.items.all()
            )
            start = self.later(moment, 1, 3)
            desk.case_plan(
                case=case,
                user=worker,
                kind=PlanKind.INSTITUTION,
                evaluation=work.evaluation,
                institution=institution,
                technician=technician,
                agreed_items=items,
                agreed_at=start,
                period_start=timezone.localdate(start),
                period_end=timezone.localdate(self.later(start, 3, 6)),
            )
            referral_id = Referral.objects.filter(case_id=case_id, institution=institution).latest("pk").pk
        self.tally["referrals to institutions"] += 1
        moment = self.later(moment, 0, 2)
        yield moment
        if self.chance(0.05):
            self._refer_step(crew, referral_id, worker, "declined", reason="机构近期检定任务已满，无法按期安排")
            self.tally["referrals declined"] += 1
            moment = self.later(moment, 0, 1)
            yield moment
            yield from self._served(crew, case_id, worker, moment)
            return
        self._refer_step(crew, referral_id, worker, "accepted")
        moment = self.later(moment, 0, 2)
        yield moment
        self._refer_step(crew, referral_id, worker, "in_service")
        on_site = moment
        moment = self.later(moment, 2, 7)
        yield moment
        outcome = self.rng.choice(work.resolutions)
        self._refer_step(crew, referral_id, worker, "completed", outcome=outcome)
        moment = self.later(moment, 0, 1)
        yield moment
        with schema_context(crew.schema):
            case = ServiceCase.objects.get(pk=case_id)
            desk.record_save(
                case=case,
                user=worker,
                requested_at=case.received_at,
                received_at=case.received_at,
                answered_at=max(case.received_at, on_site - datetime.timedelta(days=1)),
                on_site_at=on_site,
                ended_at=moment - datetime.timedelta(minutes=self.rng.randint(30, 120)),
                institution=institution,
                technician=technician,
                resolution=f"{institution.name}：{outcome}",
            )
        self._complete(crew, case_id, worker, 0.75)

    def _refer_step(self, crew: Crew, referral_id: int, user: User, to: str, **extra) -> Referral:
        with schema_context(crew.schema):
            referral = Referral.objects.get(pk=referral_id)
            return referrals.referral_transition(referral=referral, user=user, to=to, **extra)

    def _by_station(
        self,
        crew: Crew,
        case_id: int,
        worker: User,
        moment: datetime.datetime,
        partner: "Crew",
        tried: set[int],
    ) -> Story:
        """Referred to another station that serves it (clause 5.2.2): it accepts (or declines, and the case is
        re-routed), serves it in its own desk, and the outcome flows back; the sender then closes its case."""
        work = self._work(crew, case_id)
        with schema_context(crew.schema):
            case = ServiceCase.objects.get(pk=case_id)
            parts = [part for part, _label in referrals.share_options(case=case)]
            outgoing = referrals.referral_create(
                case=case,
                user=worker,
                station=partner.station,
                reason=f"本站未开展该项服务，{partner.station.name}可办理",
                ask=work.ask,
                parts=parts,
                consent_channel=self.rng.choice(("signed", "phone", "in_person")),
                consent_at=timezone.now() - datetime.timedelta(minutes=self.rng.randint(10, 90)),
            )
        self.tally["referrals to stations"] += 1
        # Most are answered within the two working days; a few wait longer and are flagged overdue.
        moment = self.later(moment, 0, 4 if self.chance(0.1) else 2)
        yield moment
        answerer = self.worker(partner)
        with schema_context(partner.schema):
            incoming = Referral.objects.get(uid=outgoing.uid, direction=Direction.INCOMING)
        if self.chance(0.1):
            self._refer_step(
                partner, incoming.pk, answerer, "declined", reason=self.rng.choice(content.DECLINE_REASONS)
            )
            self.tally["referrals declined"] += 1
            moment = self.later(moment, 0, 1)
            yield moment
            yield from self._plan(crew, case_id, worker, moment, tried=tried | {partner.station.pk})
            return
        accepted = self._refer_step(partner, incoming.pk, answerer, "accepted", assignee=answerer)
        received_case = accepted.case_id
        moment = self.later(moment, 0, 1)
        yield moment
        done = yield from self._served(partner, received_case, answerer, moment, rated=0.3)
        moment = self.later(done, 0, 2)
        yield moment
        with schema_context(crew.schema):
            case = ServiceCase.objects.get(pk=case_id)
            if case.state != CaseState.FOLLOWING_UP:
                return  # the outcome has not come back: left as it is
            desk.record_save(
                case=case,
                user=worker,
                requested_at=case.received_at,
                received_at=case.received_at,
                answered_at=timezone.localtime(outgoing.requested_at),
                ended_at=done,
                resolution=f"转介{partner.station.name}办理（{outgoing.number}），已办结，回访企业确认。",
            )
        self._complete(crew, case_id, worker, 0.7)

    def _survey(self, crew: Crew, case_id: int, worker: User) -> Story:
        """The enterprise's signed paper form, keyed in by staff a few days after completion (the demo's
        enterprises have no e-mail address for the link)."""
        with schema_context(crew.schema):
            closed = ServiceCase.objects.get(pk=case_id).closed_at
        yield self.later(closed, 1, 6)
        with schema_context(crew.schema):
            case = ServiceCase.objects.get(pk=case_id)
            late = case.due_at is not None and case.closed_at > case.due_at
            mood = self.rng.random() + (0.25 if late else 0)
            if mood < 0.55:
                levels = ("very_satisfied",) * 4 + ("satisfied",)
            elif mood < 0.9:
                levels = ("very_satisfied", "satisfied", "satisfied", "satisfied", "fair")
            else:
                levels = ("satisfied", "fair", "fair", "dissatisfied")
            answers = {question: self.rng.choice(levels) for question in RATED}
            desk.survey_submit(
                case=case,
                channel="paper",
                user=worker,
                q5=mood < 0.95,
                opinions=self.rng.choice(content.SURVEY_OPINIONS),
                signatory=self.person(),
                **answers,
            )
        self.tally["surveys"] += 1

    # --- Complaints and opinions (clauses 6.1, 6.5) ------------------------------------------------------------------

    def _about(self, crew: Crew) -> ServiceCase | None:
        """A case of the station completed by now, for a complaint to be about (some are about no case)."""
        if not crew.completed or self.chance(0.3):
            return None
        with schema_context(crew.schema):
            return ServiceCase.objects.get(pk=self.rng.choice(crew.completed[-30:]))

    def _complaint(self, crew: Crew, moment: datetime.datetime) -> Story:
        yield moment
        worker = self.worker(crew)
        with schema_context(crew.schema):
            complaint = complaints.complaint_create(
                user=worker,
                channel=self.rng.choice(("phone", "in_person", "box")),
                subject=self.rng.choice(content.COMPLAINTS),
                complainant_name=self.person(),
                complainant_phone=f"13{self.rng.randint(100000000, 999999999)}",
                case=self._about(crew),
            )
        self.tally["complaints"] += 1
        yield from self._complaint_steps(crew, complaint.pk, worker, moment)

    def _complaint_step(self, crew: Crew, complaint_id: int, worker: User, to: str, **extra) -> Complaint:
        with schema_context(crew.schema):
            complaint = Complaint.objects.get(pk=complaint_id)
            return complaints.complaint_transition(complaint=complaint, user=worker, to=to, **extra)

    def _complaint_steps(self, crew: Crew, complaint_id: int, worker: User, moment: datetime.datetime) -> Story:
        """received → acknowledged → investigating → responded → closed with the complainant's feedback; some go
        to the bureau, which handles them."""
        moment = self.later(moment, 0, 1)
        yield moment
        self._complaint_step(crew, complaint_id, worker, ComplaintState.ACKNOWLEDGED)
        moment = self.later(moment, 0, 1)
        yield moment
        self._complaint_step(crew, complaint_id, worker, ComplaintState.INVESTIGATING)
        moment = self.later(moment, 1, 5 if self.chance(0.15) else 3)
        yield moment
        self._complaint_step(
            crew, complaint_id, worker, ComplaintState.RESPONDED, text=self.rng.choice(content.RESPONSES)
        )
        satisfied = self.chance(0.8)
        if not satisfied and self.chance(0.6):
            moment = self.later(moment, 1, 2)
            yield moment
            with schema_context(crew.schema):
                complaint = complaints.complaint_escalate(
                    complaint=Complaint.objects.get(pk=complaint_id),
                    user=worker,
                    reason=self.rng.choice(content.ESCALATION_REASONS),
                )
            self.tally["complaints escalated"] += 1
            self.spawn(self._bureau_handles(complaint.uid, moment))
        moment = self.later(moment, 1, 4)
        yield moment
        feedback = Feedback.SATISFIED if satisfied else Feedback.NOT_SATISFIED
        self._complaint_step(crew, complaint_id, worker, ComplaintState.CLOSED, feedback=feedback)

    def _bureau_handles(self, uid, moment: datetime.datetime) -> Story:
        yield self.later(moment, 2, 6)
        if self.admin is None:
            return
        escalation = Escalation.objects.get(uid=uid)
        escalations.escalation_handle(
            escalation=escalation, user=self.admin, handling=self.rng.choice(content.BUREAU_HANDLINGS)
        )

    def _opinion(self, crew: Crew, moment: datetime.datetime) -> Story:
        yield moment
        worker = self.worker(crew)
        kind = self.rng.choices(("suggestion", "praise", "complaint", "other"), weights=(45, 30, 15, 10))[0]
        anonymous = self.chance(0.5)
        with schema_context(crew.schema):
            opinion = supervision.opinion_log(
                user=worker,
                channel=self.rng.choice(("phone", "wechat", "box", "in_person")),
                kind=kind,
                text=self.rng.choice(content.OPINIONS[kind]),
                received_at=moment,
                anonymous=anonymous,
                name="" if anonymous else self.person(),
                phone="" if anonymous else f"13{self.rng.randint(100000000, 999999999)}",
            )
        self.tally["opinions"] += 1
        moment = self.later(moment, 0, 2)
        yield moment
        with schema_context(crew.schema):
            opinion = supervision.opinion_classify(
                opinion=Opinion.objects.get(pk=opinion.pk),
                user=worker,
                kind=kind,
                topic=self.rng.choice(content.OPINION_TOPICS[kind]),
            )
            complaint = None
            if kind == "complaint" and not anonymous:
                complaint = complaints.complaint_open_from_opinion(opinion=opinion, user=worker)
                self.tally["complaints"] += 1
        if complaint is not None:
            self.spawn(self._complaint_steps(crew, complaint.pk, worker, moment))
        moment = self.later(moment, 0, 3)
        yield moment
        with schema_context(crew.schema):
            supervision.opinion_answer(
                opinion=Opinion.objects.get(pk=opinion.pk), user=worker, answer=self.rng.choice(content.ANSWERS)
            )
        plan = None
        if kind == "suggestion" and self.chance(0.6):
            what, result = self.rng.choice(content.IMPROVEMENTS)
            with schema_context(crew.schema):
                plan = supervision.improvement_plan_create(
                    opinion=Opinion.objects.get(pk=opinion.pk),
                    user=crew.head,
                    what=what,
                    owner=self.worker(crew),
                    due_on=timezone.localdate() + datetime.timedelta(days=self.rng.randint(14, 40)),
                )
            moment = self.later(moment, 5, 20)
            yield moment
            with schema_context(crew.schema):
                supervision.improvement_plan_complete(plan=plan, user=crew.head, result=result)
        moment = self.later(moment, 0, 2)
        yield moment
        with schema_context(crew.schema):
            opinion = Opinion.objects.get(pk=opinion.pk)
            if kind in ("suggestion", "praise") and self.chance(0.7):
                supervision.opinion_publish(opinion=opinion, user=crew.head)
            supervision.opinion_close(opinion=opinion, user=crew.head)

    # --- Operations, assessments, reviews, evaluation ----------------------------------------------------------------

    def _training(self, crew: Crew, moment: datetime.datetime, n: int) -> Story:
        yield moment
        title, trainer = content.TRAININGS[n % len(content.TRAININGS)]
        with schema_context(crew.schema):
            operations.training_create(
                user=crew.head,
                title=title,
                held_on=timezone.localdate(),
                hours=Decimal(self.rng.choice(("2", "3", "4"))),
                kind=TrainingKind.ONGOING,
                attendees=crew.workers,
                trainer=trainer,
            )
        self.tally["trainings"] += 1

    def _maintenance(self, crew: Crew, equipment_id: int, interval: int, first: datetime.date) -> Story:
        """Each item of the equipment register looked after on time, more or less (clause 4.3.5)."""
        day = first + datetime.timedelta(days=self.rng.randint(0, max(1, interval - 1)))
        while day <= timezone.localdate(self.end):
            while not is_working_day(day):
                day += datetime.timedelta(days=1)
            yield self.at(day)
            with schema_context(crew.schema):
                equipment = Equipment.objects.get(pk=equipment_id)
                operations.maintenance_log_add(
                    equipment=equipment,
                    user=self.worker(crew),
                    performed_on=timezone.localdate(),
                    work=content.MAINTENANCE.get(equipment.kind, "例行检查维护"),
                )
            self.tally["maintenance logs"] += 1
            day += datetime.timedelta(days=interval + self.rng.randint(-3, 5))

    def _assessment(self, crew: Crew, month: datetime.date) -> Story:
        """The head assesses the staff of the month before, early in the month (clause 6.4); the latest month's
        assessments stay drafts for the head to confirm."""
        period = (month - datetime.timedelta(days=1)).replace(day=1)
        day = self.working_days(month, month + datetime.timedelta(days=20))[2]
        yield self.at(day, datetime.time(9))
        with schema_context(crew.schema):
            opened = assessment.staff_assessments_open(
                user=crew.head, period_kind=PeriodKind.MONTH, period_start=period
            )
        self.tally["staff assessments"] += len(opened)
        yield self.later(self.at(day, datetime.time(9)), 1, 3)
        with schema_context(crew.schema):
            for draft in StaffAssessment.objects.filter(pk__in=[a.pk for a in opened]).order_by("pk"):
                missing = {
                    dimension: Level.PASS
                    for dimension in ("civility", "timeliness", "accuracy")
                    if not getattr(draft, dimension)
                }
                if missing:
                    remarks = {f"{dimension}_remark": "本月无可计算的数据，按合格评定" for dimension in missing}
                    draft = assessment.staff_assessment_adjust(assessment=draft, user=crew.head, **missing, **remarks)
                assessment.staff_assessment_confirm(assessment=draft, user=crew.head)

    def _review(self, crew: Crew, month: datetime.date) -> Story:
        """The head picks a case of the month before for review (clause 6.3): one that was late, else any."""
        day = self.working_days(month, month + datetime.timedelta(days=20))[4]
        yield self.at(day)
        with schema_context(crew.schema):
            candidates = (
                ServiceCase.objects.filter(pk__in=crew.completed, head_review__isnull=True)
                .filter(closed_at__lt=timezone.now())
                .order_by("-closed_at")
            )
            late = candidates.filter(closed_at__gt=F("due_at")).first()
            case = late or candidates.first()
            if case is None:
                return
            review = assessment.case_review_mark(
                case=case, user=crew.head, reason="超期办结，复核原因" if late else "随机抽查服务质量"
            )
        yield self.later(self.at(day), 1, 4)
        findings, conclusion, follow_up = content.REVIEW_FINDINGS[1 if late else self.rng.choice((0, 0, 2))]
        with schema_context(crew.schema):
            assessment.case_review_write(
                review=CaseReview.objects.get(pk=review.pk),
                user=crew.head,
                findings=findings,
                conclusion=conclusion,
                follow_up=follow_up,
            )
        self.tally["case reviews"] += 1

    def _reevaluations(self) -> Story:
        """The yearly re-evaluation of each station (clause 3) opens when it falls due, as beat opens it, and the
        bureau approves it (the demo city opens its stations just before their history starts)."""
        due = (
            EvaluationRound.objects.filter(
                station__in=self.stations, status=RoundStatus.SCHEDULED, due_on__lte=timezone.localdate(self.end)
            )
            .order_by("due_on")
            .values_list("due_on", flat=True)
            .first()
        )
        if due is None or self.admin is None:
            return
        moment = self.at(max(due, timezone.localdate(self.start)), datetime.time(8, 30))
        yield moment
        evaluation.round_open_due(today=timezone.localdate())
        moment = self.later(moment, 3, 6)
        yield moment
        for station in self.stations:
            station.refresh_from_db()
            current = EvaluationRound.objects.filter(station=station, status=RoundStatus.OPEN).first()
            if current is not None and station.status == StationStatus.PUBLISHED:
                round_approve_all(station=station, admin=self.admin, note="年度复评：整改事项已落实")
                self.tally["re-evaluations"] += 1

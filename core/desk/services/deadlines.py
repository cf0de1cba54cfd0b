"""Deadline reminders: the cases near or past their deadline, told to the assignee and the station's heads."""

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from core.common import workdays
from core.desk.models import (
    CLOSED,
    CaseState,
    EventKind,
    ServiceCase,
)
from core.desk.services._base import _event, _station
from core.notifications.kinds import DEADLINE_NEAR, DEADLINE_PASSED
from core.notifications.services import notify
from tenants.hosts import station_reverse
from tenants.models import User
from tenants.selectors import (
    station_heads,
)

# Cases whose deadline no longer runs: closed, or on hold (the clock stops, see case_transition).
DEADLINE_STOPPED = (*CLOSED, CaseState.ON_HOLD)


def _station_heads() -> list[User]:
    """The active station head(s) of the station whose schema is active."""
    return station_heads()


def case_deadline_remind() -> dict[str, int]:
    """In the active station: remind people of the open cases' deadlines, each once.

    A case whose deadline falls within `DESK_DEADLINE_WARNING_WORKING_DAYS` working days is reminded to its assignee
    (to the station head when nobody is assigned); a case past its deadline is escalated to the station head and the
    assignee. Cases on hold or closed are left alone. Each case is marked (`reminded_at`, `escalated_at`, a REMINDER
    entry on the timeline) in this transaction, rows another run holds are skipped, and the e-mails go after commit:
    two runs never remind twice: each person is notified (`core.notifications`: in the app, and by e-mail or SMS as
    they chose) once per case, kind and deadline. Returns how many cases were warned and escalated."""
    now = timezone.now()
    window_end = workdays.add_working_days(now, settings.DESK_DEADLINE_WARNING_WORKING_DAYS)
    counts = {"warned": 0, "escalated": 0}
    with transaction.atomic(), translation.override(settings.LANGUAGE_CODE):
        cases = (
            ServiceCase.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("assignee")
            .exclude(state__in=DEADLINE_STOPPED)
            .filter(Q(due_at__lt=now, escalated_at__isnull=True) | Q(due_at__lte=window_end, reminded_at__isnull=True))
            .order_by("due_at", "pk")
        )
        heads = station = None
        for case in cases:
            heads = _station_heads() if heads is None else heads
            assignee = case.assignee if case.assignee is not None and case.assignee.is_active else None
            due = timezone.localtime(case.due_at).strftime("%Y-%m-%d %H:%M")
            if case.due_at < now:
                kind, recipients = "overdue", [*heads, *([assignee] if assignee else [])]
                case.escalated_at = now
                case.reminded_at = case.reminded_at or now
                text = _("Deadline %(due)s has passed: the station head was told (%(names)s)")
            else:
                kind, recipients = "warning", [assignee] if assignee else heads
                case.reminded_at = now
                text = _("Deadline %(due)s is near: reminded %(names)s")
            counts["escalated" if kind == "overdue" else "warned"] += 1
            case.save(update_fields=["reminded_at", "escalated_at"])
            names = "、".join(dict.fromkeys(person.display_name for person in recipients)) or "—"
            _event(case, kind=EventKind.REMINDER, actor=None, text=text % {"due": due, "names": names})
            station = station or _station()
            _deadline_notify(case, kind=kind, recipients=recipients, station=station)
    return counts


def _deadline_notify(case: ServiceCase, *, kind: str, recipients: list[User], station) -> None:
    """Tell `recipients` of the case's deadline reminder (`kind` "warning" or "overdue"), with the e-mail of
    `desk/email/deadline_<kind>_*.txt`."""
    link = station_reverse(station.code, "desk:case", pk=case.pk)
    due = timezone.localtime(case.due_at)
    if kind == "overdue":
        title = _("Overdue: case %(number)s has passed its deadline") % {"number": case.number}
    else:
        title = _("Case %(number)s is due on %(due)s") % {"number": case.number, "due": due.strftime("%Y-%m-%d")}
    context = {"station": station, "case": case, "demand": case.demand, "due": case.due_at, "link": link}
    notify(
        recipients=recipients,
        kind=DEADLINE_PASSED if kind == "overdue" else DEADLINE_NEAR,
        key=f"deadline_{kind}:{station.code}:{case.pk}:{due:%Y%m%d%H%M}",
        title=title,
        body=case.request,
        url=link,
        station=station,
        email=("desk", f"deadline_{kind}", context),
        case_id=case.pk,
    )

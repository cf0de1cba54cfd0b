"""Working-day arithmetic on the Chinese calendar, for service deadlines at the stations.

Which days are working days comes from the `chinese_calendar` package (the State Council's holiday notices: public
holidays are rest days, 调休 make-up weekends are working days). For a year the package has no data for yet, a
documented fallback is used instead of failing (see `is_working_day`).

Conventions shared by every function here:

- Dates are local dates in the project's time zone (settings.TIME_ZONE, Asia/Shanghai), whatever time zone is
  active for the request. Every datetime argument must be aware.
- The start day itself is never counted (as for periods in days under art. 201 of the Civil Code): counting starts
  with the first working day after the start's local date. A start on a non-working day (a weekend, a holiday)
  therefore counts from the next working day.
- A deadline of N working days is the very end (23:59:59.999999 local) of the Nth counted working day.
"""

import logging
from datetime import date, datetime, time, timedelta
from functools import cache, lru_cache

import chinese_calendar
from django.utils import timezone

logger = logging.getLogger(__name__)

# Fixed-date public holidays used only for years `chinese_calendar` has no data for. The lunar-calendar holidays
# (Spring Festival, Qingming, Dragon Boat, Mid-Autumn) and the 调休 working weekends cannot be known before the
# State Council publishes them, so the fallback is Monday to Friday minus these dates.
FALLBACK_HOLIDAYS: frozenset[tuple[int, int]] = frozenset({(1, 1), (5, 1), (10, 1), (10, 2), (10, 3)})


@cache
def _warn_no_calendar_data(year: int) -> None:
    """Log once per year that the fallback calendar is in use."""
    logger.warning("chinese_calendar has no data for %s: working days fall back to Mon-Fri minus fixed holidays", year)


def _fallback_is_working_day(day: date) -> bool:
    return day.weekday() < 5 and (day.month, day.day) not in FALLBACK_HOLIDAYS


@lru_cache(maxsize=8192)
def is_working_day(day: date) -> bool:
    """Whether `day` is a working day in mainland China.

    Public holidays are not working days; 调休 make-up weekend days are. For a year `chinese_calendar` does not know
    (it raises NotImplementedError, e.g. for a year whose holiday notice is not yet published), the fallback is:
    Monday to Friday, except 1 January, 1 May and 1–3 October.
    """
    try:
        return chinese_calendar.is_workday(day)
    except NotImplementedError:
        _warn_no_calendar_data(day.year)
        return _fallback_is_working_day(day)


def _local_date(moment: datetime) -> date:
    """The local date of an aware datetime, in the project's time zone (ValueError when naive)."""
    return timezone.localtime(moment, timezone.get_default_timezone()).date()


def _end_of_day(day: date) -> datetime:
    return datetime.combine(day, time.max, tzinfo=timezone.get_default_timezone())


def _nth_working_day_after(day: date, days: int, *, skip: frozenset[date] = frozenset()) -> date:
    """The `days`-th working day after `day` (not counting `day` itself), ignoring the dates in `skip`."""
    if days < 0:
        raise ValueError(f"days must not be negative, got {days}")
    while days:
        day += timedelta(days=1)
        if day not in skip and is_working_day(day):
            days -= 1
    return day


def add_working_days(start: datetime, days: int) -> datetime:
    """The deadline `days` working days after `start` (an aware datetime).

    The start's local date is not counted; the deadline is the end (23:59:59.999999 local, aware) of the `days`-th
    working day after it, so a start on a non-working day counts from the next working day. With `days == 0` the
    deadline is the end of the start's own local date. Example: received Tuesday 2025-09-30 10:00, 3 working days →
    end of Saturday 2025-10-11 (10-01..10-08 are National Day holidays, 10-09, 10-10 and the 调休 10-11 count).
    """
    return _end_of_day(_nth_working_day_after(_local_date(start), days))


def working_days_between(start: datetime, end: datetime) -> int:
    """The number of working days elapsed from `start` to `end` (both aware), for on-time statistics.

    Counts the working days whose local date is after the start's local date and not after the end's local date,
    so that `working_days_between(start, add_working_days(start, n)) == n` and a case finished on its start day
    took 0 working days. Raises ValueError when `end` is before `start`.
    """
    if end < start:
        raise ValueError("end is before start")
    first, last = _local_date(start), _local_date(end)
    return sum(is_working_day(first + timedelta(days=offset)) for offset in range(1, (last - first).days + 1))


def deadline_with_pauses(start: datetime, days: int, pauses: list[tuple[datetime, datetime | None]]) -> datetime | None:
    """The deadline `days` working days after `start` when the clock stops during each pause (on-hold period).

    A pause `(paused_at, resumed_at)` stops the clock on every date in [local date of `paused_at`, local date of
    `resumed_at`): the day the case is put on hold does not count, the day it is resumed does. The working days so
    covered are skipped, i.e. the deadline moves later by the number of paused working days that fall before it
    (overlapping pauses count once; pauses before the start or after the deadline change nothing).

    An open pause (`resumed_at` is None) stops the clock now: the result is None, unless the deadline was already
    reached before the open pause began, in which case that deadline is returned.
    """
    if days < 0:
        raise ValueError(f"days must not be negative, got {days}")
    skip: set[date] = set()
    open_since: date | None = None
    for paused_at, resumed_at in pauses:
        first = _local_date(paused_at)
        if resumed_at is None:
            open_since = first if open_since is None else min(open_since, first)
            continue
        last = _local_date(resumed_at)
        if resumed_at < paused_at:
            raise ValueError("a pause ends before it begins")
        skip.update(first + timedelta(days=offset) for offset in range(max((last - first).days, 0)))
    deadline = _nth_working_day_after(_local_date(start), days, skip=frozenset(skip))
    if open_since is not None and deadline >= open_since:
        return None
    return _end_of_day(deadline)

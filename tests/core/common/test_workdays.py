"""Working-day arithmetic for service deadlines, on real dates of the Chinese calendar.

National Day 2025: 2025-10-01..10-08 are holidays, Sunday 09-28 and Saturday 10-11 are 调休 working days.
National Day 2026: 2026-10-01..10-07 are holidays, Sunday 09-20 and Saturday 10-10 are 调休 working days.
"""

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from core.common.workdays import add_working_days, deadline_with_pauses, is_working_day, working_days_between

SHANGHAI = ZoneInfo("Asia/Shanghai")


def at(year: int, month: int, day: int, hour: int = 9, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=SHANGHAI)


def end_of(year: int, month: int, day: int) -> datetime:
    return datetime.combine(date(year, month, day), time.max, tzinfo=SHANGHAI)


@pytest.mark.parametrize(
    ("day", "working"),
    [
        (date(2025, 9, 27), False),  # ordinary Saturday
        (date(2025, 9, 28), True),  # Sunday, 调休 working day
        (date(2025, 9, 30), True),
        (date(2025, 10, 1), False),
        (date(2025, 10, 6), False),  # Monday inside the holiday
        (date(2025, 10, 8), False),
        (date(2025, 10, 9), True),
        (date(2025, 10, 11), True),  # Saturday, 调休 working day
        (date(2025, 10, 12), False),  # ordinary Sunday
        (date(2025, 10, 18), False),  # ordinary Saturday
    ],
)
def test_national_day_2025(day, working):
    assert is_working_day(day) is working


@pytest.mark.parametrize(
    ("day", "working"),
    [
        (date(2026, 9, 20), True),  # Sunday, 调休 working day
        (date(2026, 9, 25), False),  # Mid-Autumn Festival, a Friday
        (date(2026, 10, 1), False),
        (date(2026, 10, 5), False),
        (date(2026, 10, 7), False),
        (date(2026, 10, 8), True),
        (date(2026, 10, 10), True),  # Saturday, 调休 working day
        (date(2026, 10, 17), False),  # ordinary Saturday
    ],
)
def test_national_day_2026(day, working):
    assert is_working_day(day) is working


@pytest.mark.clause("5.2.2")
def test_deadline_across_national_day_2025_counts_the_tiaoxiu_saturday():
    # 09-30 is the start day; 10-01..10-08 rest; 10-09 (Thu), 10-10 (Fri), 10-11 (Sat, 调休) count.
    assert add_working_days(at(2025, 9, 30, 10), 3) == end_of(2025, 10, 11)
    assert add_working_days(at(2025, 9, 30, 10), 1) == end_of(2025, 10, 9)
    assert add_working_days(at(2025, 9, 30, 10), 4) == end_of(2025, 10, 13)


@pytest.mark.clause("5.2.2")
def test_deadline_across_national_day_2026_counts_the_tiaoxiu_saturday():
    # 10-01..10-07 rest; 10-08 (Thu), 10-09 (Fri), 10-10 (Sat, 调休) count.
    assert add_working_days(at(2026, 9, 30, 10), 3) == end_of(2026, 10, 10)


@pytest.mark.clause("5.2.2")
def test_a_tiaoxiu_saturday_counts_an_ordinary_saturday_does_not():
    # Friday 10-10 + 1: Saturday 10-11 is a 调休 working day.
    assert add_working_days(at(2025, 10, 10), 1) == end_of(2025, 10, 11)
    # Friday 10-17 + 1: Saturday 10-18 and Sunday 10-19 rest, Monday 10-20 counts.
    assert add_working_days(at(2025, 10, 17), 1) == end_of(2025, 10, 20)


@pytest.mark.clause("5.2.2")
def test_a_start_on_a_rest_day_counts_from_the_next_working_day():
    # Received Saturday 2025-03-08 (no holiday nearby): Monday 03-10 is the first counted day.
    assert add_working_days(at(2025, 3, 8, 11), 1) == end_of(2025, 3, 10)
    assert add_working_days(at(2025, 3, 8, 11), 5) == end_of(2025, 3, 14)
    # Received on a holiday: counting starts on the first working day after it.
    assert add_working_days(at(2025, 10, 3), 1) == end_of(2025, 10, 9)


def test_deadline_is_aware_and_at_the_end_of_the_local_day():
    deadline = add_working_days(at(2025, 3, 3), 1)
    assert timezone.is_aware(deadline)
    assert timezone.localtime(deadline, SHANGHAI).time() == time.max
    assert add_working_days(at(2025, 3, 3, 17), 0) == end_of(2025, 3, 3)


def test_local_date_is_shanghai_whatever_time_zone_is_active():
    # 2025-03-07 17:30 UTC is Saturday 2025-03-08 01:30 in Shanghai: counting starts on Monday 03-10.
    start = datetime(2025, 3, 7, 17, 30, tzinfo=UTC)
    with timezone.override(ZoneInfo("America/New_York")):
        assert add_working_days(start, 1) == end_of(2025, 3, 10)


def test_naive_datetimes_and_negative_days_are_refused():
    with pytest.raises(ValueError):
        add_working_days(datetime(2025, 3, 3, 9), 1)  # noqa: DTZ001 - naive on purpose
    with pytest.raises(ValueError):
        add_working_days(at(2025, 3, 3), -1)


@pytest.mark.clause("5.2.2")
def test_working_days_between_matches_the_deadline_convention():
    start = at(2025, 9, 30, 10)
    assert working_days_between(start, at(2025, 9, 30, 17)) == 0
    assert working_days_between(start, at(2025, 10, 8, 17)) == 0  # only holidays so far
    assert working_days_between(start, at(2025, 10, 11, 8)) == 3
    assert working_days_between(start, at(2025, 10, 12, 8)) == 3  # Sunday does not count
    for days in range(0, 12):
        assert working_days_between(start, add_working_days(start, days)) == days
    with pytest.raises(ValueError):
        working_days_between(at(2025, 10, 11), start)


@pytest.mark.clause("5.2.2")
def test_a_pause_over_a_holiday_free_week_shifts_the_deadline_by_five_working_days():
    start = at(2025, 3, 3)  # Monday; March 2025 has no holidays
    assert deadline_with_pauses(start, 5, []) == end_of(2025, 3, 10)
    # On hold Tuesday 03-04 .. resumed Tuesday 03-11: 03-04, 05, 06, 07 and 10 do not count.
    pauses = [(at(2025, 3, 4, 15), at(2025, 3, 11, 9))]
    assert deadline_with_pauses(start, 5, pauses) == end_of(2025, 3, 17)
    assert deadline_with_pauses(start, 5, pauses) == add_working_days(start, 10)


@pytest.mark.clause("5.2.2")
def test_overlapping_pauses_count_once_and_late_pauses_change_nothing():
    start = at(2025, 3, 3)
    week = (at(2025, 3, 4, 15), at(2025, 3, 11, 9))
    inside = (at(2025, 3, 5, 10), at(2025, 3, 7, 10))
    assert deadline_with_pauses(start, 5, [week, inside]) == end_of(2025, 3, 17)
    # A pause within a single day and a pause after the deadline do not move it.
    assert deadline_with_pauses(start, 5, [(at(2025, 3, 4, 9), at(2025, 3, 4, 16))]) == end_of(2025, 3, 10)
    assert deadline_with_pauses(start, 5, [(at(2025, 3, 12), at(2025, 3, 20))]) == end_of(2025, 3, 10)


@pytest.mark.clause("5.2.2")
def test_an_open_pause_stops_the_clock():
    start = at(2025, 3, 3)
    assert deadline_with_pauses(start, 5, [(at(2025, 3, 5), None)]) is None
    closed = (at(2025, 3, 4, 15), at(2025, 3, 6, 9))
    assert deadline_with_pauses(start, 5, [closed, (at(2025, 3, 7), None)]) is None
    # Put on hold after the deadline had already passed: that deadline stands.
    assert deadline_with_pauses(start, 5, [(at(2025, 3, 12), None)]) == end_of(2025, 3, 10)


def test_a_pause_ending_before_it_begins_is_refused():
    with pytest.raises(ValueError):
        deadline_with_pauses(at(2025, 3, 3), 5, [(at(2025, 3, 5), at(2025, 3, 4))])


def test_unknown_year_falls_back_to_weekdays_minus_fixed_holidays():
    # chinese_calendar has no data for 2031: no exception, weekends rest, 1 Jan / 1 May / 1-3 Oct rest.
    assert is_working_day(date(2031, 1, 1)) is False  # Wednesday, New Year's Day
    assert is_working_day(date(2031, 1, 2)) is True  # Thursday
    assert is_working_day(date(2031, 1, 4)) is False  # Saturday
    assert is_working_day(date(2031, 1, 5)) is False  # Sunday
    assert is_working_day(date(2031, 5, 1)) is False  # Thursday, Labour Day
    assert [is_working_day(date(2031, 10, day)) for day in (1, 2, 3)] == [False, False, False]
    # Tuesday 2031-09-30 + 3: 10-01..10-03 holidays, 10-04/05 weekend, then 10-06, 10-07, 10-08.
    assert add_working_days(at(2031, 9, 30), 3) == end_of(2031, 10, 8)

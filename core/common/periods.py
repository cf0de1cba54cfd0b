"""The period a page of figures looks at when none is asked for: the console's statistics and referral pages and the
statistics API share it."""

import datetime

from django.utils import timezone

DEFAULT_PERIOD_DAYS = 90


def default_period() -> tuple[datetime.date, datetime.date]:
    """The last 90 days, today included (the city's calendar)."""
    today = timezone.localdate()
    return today - datetime.timedelta(days=DEFAULT_PERIOD_DAYS), today

"""`{{ span|duration }}`: a length of time (a `datetime.timedelta`) in words, "1 天 2 小时 5 分" ("1 day 2 h 5 min"),
never Python's "1 day, 2:05:00". Minutes are the smallest unit (whole minutes, rounded down); parts that are zero are
left out; under a minute reads "不到 1 分钟" ("under 1 min"). Nothing (None, "") gives "", so that `|default:"—"` works.

The desk shows the service record's durations with it (the case page, Appendix B's print), and any page that shows a
timedelta should. It lives in `core.desk` because no shared app holds template filters."""

import datetime

from django import template
from django.utils.translation import gettext, ngettext

register = template.Library()


def duration_text(span: datetime.timedelta | None) -> str:
    if span is None or span == "":
        return ""
    sign = "-" if span < datetime.timedelta(0) else ""
    seconds = int(abs(span).total_seconds())
    if 0 < seconds < 60:
        return sign + gettext("under 1 min")
    days, minutes = divmod(seconds // 60, 24 * 60)
    hours, minutes = divmod(minutes, 60)
    parts = []
    if days:
        parts.append(ngettext("%(count)d day", "%(count)d days", days) % {"count": days})
    if hours:
        parts.append(gettext("%(count)d h") % {"count": hours})
    if minutes or not parts:
        parts.append(gettext("%(count)d min") % {"count": minutes})
    return sign + " ".join(parts)


@register.filter
def duration(span: datetime.timedelta | None) -> str:
    """A timedelta in words; anything else unchanged."""
    if span is None or isinstance(span, datetime.timedelta):
        return duration_text(span)
    return span

"""Pages of long lists: a count that stops at COUNT_CAP, so that page one of a million rows costs what a short list
does. Lists beyond the cap say "more than 1,000" and are narrowed by searching, or exported whole as a job."""

from django.core.paginator import Paginator
from django.db.models import Count, QuerySet, Window
from django.utils.functional import cached_property

COUNT_CAP = 1000
# The annotation of a query that counts its own rows (`with_row_count`): its page and its count come in one query.
ROW_COUNT = "row_count"


def with_row_count(queryset: QuerySet) -> QuerySet:
    """`queryset`, each row carrying the number of rows of the whole result (a window count, computed before the
    page's LIMIT). Only for results already bounded, such as the capped candidates of a name search: the window
    counts every row of the result."""
    return queryset.annotate(**{ROW_COUNT: Window(Count("pk"))})


def counted_page(queryset, offset: int, limit: int, cap: int = COUNT_CAP) -> tuple[list, tuple[int, bool] | None]:
    """The rows [offset, offset + limit) of `queryset` and, when it counts its own rows, (count up to `cap`, whether
    there are more) read off them: one query instead of two. The count is None when it cannot be read off the page
    (a query that does not count its rows, or a page past the end)."""
    if not isinstance(queryset, QuerySet) or ROW_COUNT not in queryset.query.annotations:
        return [], None
    rows = list(queryset[offset : offset + limit])
    if rows:
        total = getattr(rows[0], ROW_COUNT)
    elif offset == 0:
        total = 0
    else:
        return rows, None
    return rows, (min(total, cap), total > cap)


def capped_count(queryset, cap: int = COUNT_CAP) -> tuple[int, bool]:
    """(the number of rows, at most `cap`; whether there are more). Counts at most cap + 1 rows."""
    counted = queryset.order_by()[: cap + 1].count()
    return min(counted, cap), counted > cap


class CappedPaginator(Paginator):
    @cached_property
    def _capped_count(self) -> tuple[int, bool]:
        return capped_count(self.object_list)

    def get_page(self, number):
        """A query that counts its own rows gives its page and its count in one query (see `counted_page`)."""
        try:
            number = max(int(number), 1)
        except (TypeError, ValueError):
            number = 1
        rows, counted = counted_page(self.object_list, (number - 1) * self.per_page, self.per_page)
        if counted is None:
            return super().get_page(number)
        self.__dict__["_capped_count"] = counted
        return self._get_page(rows, number, self)

    @cached_property
    def count(self) -> int:
        return self._capped_count[0]

    @property
    def count_capped(self) -> bool:
        return self._capped_count[1]

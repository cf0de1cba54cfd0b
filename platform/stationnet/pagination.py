"""Pages of long lists: a count that stops at COUNT_CAP, so that page one of a million rows costs what a short list
does. Lists beyond the cap say "more than 1,000" and are narrowed by searching, or exported whole as a job."""

from django.core.paginator import Paginator
from django.utils.functional import cached_property

COUNT_CAP = 1000


def capped_count(queryset, cap: int = COUNT_CAP) -> tuple[int, bool]:
    """(the number of rows, at most `cap`; whether there are more). Counts at most cap + 1 rows."""
    counted = queryset.order_by()[: cap + 1].count()
    return min(counted, cap), counted > cap


class CappedPaginator(Paginator):
    @cached_property
    def _capped_count(self) -> tuple[int, bool]:
        return capped_count(self.object_list)

    @cached_property
    def count(self) -> int:
        return self._capped_count[0]

    @property
    def count_capped(self) -> bool:
        return self._capped_count[1]

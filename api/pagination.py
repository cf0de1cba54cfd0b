from rest_framework.pagination import LimitOffsetPagination
from rest_framework.response import Response

from stationnet.pagination import COUNT_CAP, capped_count, counted_page


class CappedLimitOffsetPagination(LimitOffsetPagination):
    """Limit/offset with a count that stops at COUNT_CAP; `count_capped` says there are more (narrow the search)."""

    count_capped = False

    def get_count(self, queryset) -> int:
        count, self.count_capped = capped_count(queryset)
        return count

    def paginate_queryset(self, queryset, request, view=None):
        """A query that counts its own rows gives its page and its count in one query (`counted_page`)."""
        self.request = request
        self.limit = self.get_limit(request)
        if self.limit is None:
            return None
        self.offset = self.get_offset(request)
        rows, counted = counted_page(queryset, self.offset, self.limit)
        if counted is None:
            return super().paginate_queryset(queryset, request, view=view)
        self.count, self.count_capped = counted
        if self.count > self.limit and self.template is not None:
            self.display_page_controls = True
        return rows

    def get_paginated_response(self, data):
        return Response(
            {
                "count": self.count,
                "count_capped": self.count_capped,
                "next": self.get_next_link(),
                "previous": self.get_previous_link(),
                "results": data,
            }
        )

    def get_paginated_response_schema(self, schema):
        response = super().get_paginated_response_schema(schema)
        response["properties"]["count_capped"] = {
            "type": "boolean",
            "description": f"There are more than {COUNT_CAP} rows; `count` stops there and so do the pages.",
        }
        response["required"] = [*response.get("required", []), "count_capped"]
        return response


def paginate(view, request, queryset, serializer_class):
    """Paginate `queryset` with limit/offset and answer with the serialized page."""
    paginator = CappedLimitOffsetPagination()
    page = paginator.paginate_queryset(queryset, request, view=view)
    return paginator.get_paginated_response(serializer_class(page, many=True).data)

from django.utils.translation import gettext as _
from drf_spectacular.extensions import OpenApiSerializerExtension
from drf_spectacular.plumbing import ResolvedComponent, build_array_type
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.pagination import LimitOffsetPagination
from rest_framework.response import Response

from core.common.pagination import COUNT_CAP, capped_count, counted_page


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
        """The page as `get_paginated_response` answers it: every key always there, the links null at the ends."""
        link = {"type": "string", "format": "uri", "nullable": True}
        return {
            "type": "object",
            "required": ["count", "count_capped", "next", "previous", "results"],
            "properties": {
                "count": {"type": "integer", "minimum": 0, "example": 123},
                "count_capped": {
                    "type": "boolean",
                    "description": _("There are more than %(cap)s rows; `count` stops there and so do the pages.")
                    % {"cap": COUNT_CAP},
                },
                "next": link | {"description": _("The next page, null on the last one.")},
                "previous": link | {"description": _("The previous page, null on the first one.")},
                "results": schema,
            },
        }


PAGE_PARAMETERS = [
    OpenApiParameter(
        CappedLimitOffsetPagination.limit_query_param,
        OpenApiTypes.INT,
        description=CappedLimitOffsetPagination.limit_query_description,
    ),
    OpenApiParameter(
        CappedLimitOffsetPagination.offset_query_param,
        OpenApiTypes.INT,
        description=CappedLimitOffsetPagination.offset_query_description,
    ),
]


class Page(serializers.ListSerializer):
    """Schema only: a page of `child`'s rows as `paginate` answers it (see `paginated_schema`)."""

    def to_representation(self, data):
        # `paginate` serializes the rows and the paginator the envelope; a list serializer of its own kind is what
        # makes drf-spectacular hand the schema to `PageSchema` instead of drawing a plain array.
        raise NotImplementedError("Page describes a page in the schema; paginate() answers it")


class PageSchema(OpenApiSerializerExtension):
    """drf-spectacular wraps the lists of generic views in their paginator's envelope by itself, but the API's views
    are APIViews that paginate by hand (`paginate`): `Page` gives them the same envelope, one component per row
    serializer (`Paginated<Rows>List`), from `CappedLimitOffsetPagination.get_paginated_response_schema`."""

    target_class = Page
    match_subclasses = True

    def map_serializer(self, auto_schema, direction):
        rows = auto_schema.resolve_serializer(self.target.child, direction)
        component = ResolvedComponent(
            name=auto_schema.get_paginated_name(rows.name),
            type=ResolvedComponent.SCHEMA,
            schema=CappedLimitOffsetPagination().get_paginated_response_schema(build_array_type(rows.ref)),
            object=(Page, type(self.target.child)),
        )
        auto_schema.registry.register_on_missing(component)
        return component.ref


def paginated_schema(rows: type[serializers.Serializer], *, parameters=(), **kwargs):
    """`extend_schema` of a GET answered by `paginate(…, rows)`: the page's envelope and its limit and offset."""
    return extend_schema(responses=Page(child=rows()), parameters=[*parameters, *PAGE_PARAMETERS], **kwargs)


def paginate(view, request, queryset, serializer_class):
    """Paginate `queryset` with limit/offset and answer with the serialized page."""
    paginator = CappedLimitOffsetPagination()
    page = paginator.paginate_queryset(queryset, request, view=view)
    view.listed_rows = page  # what the station API's base logs of it (clause 7.3, `api.base.StationAPIView`)
    return paginator.get_paginated_response(serializer_class(page, many=True).data)

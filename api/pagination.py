from rest_framework.pagination import LimitOffsetPagination


def paginate(view, request, queryset, serializer_class):
    """Paginate `queryset` with limit/offset and answer with the serialized page."""
    paginator = LimitOffsetPagination()
    page = paginator.paginate_queryset(queryset, request, view=view)
    return paginator.get_paginated_response(serializer_class(page, many=True).data)

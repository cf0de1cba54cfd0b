"""A clean 503 while the database is away (a failover, a restart), instead of a 500 with a stack trace.

When the primary stops, requests in flight fail with `OperationalError` or `InterfaceError` wherever they touch the
database: in a view, or in a middleware such as the tenant lookup. Django turns an exception into a 500 response at
the layer where it happens, so an outer middleware never sees the exception itself: a `got_request_exception`
receiver (called with the exception at hand) marks the request, and the middleware replaces that request's 500 with
a 503 and `Retry-After`, a short bilingual page or, under `/api/`, JSON `{"detail": ...}`. The next request connects
afresh (`CONN_HEALTH_CHECKS`), to the promoted standby when DATABASE_URL lists it (stationnet.database_url).
"""

import json
import logging
import sys

from django.core.signals import got_request_exception
from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse
from django.template.loader import render_to_string
from django.utils.translation import gettext

logger = logging.getLogger(__name__)

RETRY_AFTER_SECONDS = 5
TEMPLATE = "503_database.html"
MARK = "_database_unavailable"


def _mark_request(sender, request: HttpRequest | None = None, **kwargs) -> None:
    """Called by Django's exception handling with the exception being handled: note a database outage on the
    request (whose 500 the middleware then replaces)."""
    error = sys.exc_info()[1]
    if request is not None and isinstance(error, OperationalError | InterfaceError):
        setattr(request, MARK, error)


got_request_exception.connect(_mark_request, dispatch_uid="stationnet.database_errors")


def database_unavailable_response(request: HttpRequest) -> HttpResponse:
    """The 503 for `request`: JSON under /api/, else the page (rendered without a request: no context processor may
    touch the database)."""
    if request.path.startswith("/api/"):
        detail = gettext("The database is unavailable for a moment. Please try again in a few seconds.")
        response = HttpResponse(
            json.dumps({"detail": detail}, ensure_ascii=False), status=503, content_type="application/json"
        )
    else:
        response = HttpResponse(render_to_string(TEMPLATE), status=503, content_type="text/html; charset=utf-8")
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    response["Cache-Control"] = "no-store"
    return response


class DatabaseUnavailableMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        error = getattr(request, MARK, None)
        if error is None or response.status_code != 500:
            return response
        logger.warning(
            "database unavailable during %s %s: %s: %s",
            request.method,
            request.path,
            type(error).__name__,
            str(error).strip().splitlines()[0] if str(error).strip() else "",
        )
        return database_unavailable_response(request)

"""Liveness and readiness endpoints, answered before tenant routing.

Kubernetes probes reach a pod by its IP, so these paths must not depend on the Host header or on a tenant; the
middleware sits first in ``MIDDLEWARE`` and answers them itself.
"""

import json
import logging

from django.db import connection
from django.http import HttpRequest, HttpResponse

logger = logging.getLogger(__name__)

LIVENESS_PATH = "/healthz"
READINESS_PATH = "/readyz"


def check_database() -> str | None:
    """None when the database answers, else the reason."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as error:  # any driver error means "not ready"
        logger.warning("readiness: database unavailable: %s", error)
        return type(error).__name__
    return None


def check_broker() -> str | None:
    """None when the Celery broker accepts a connection, else the reason."""
    from stationnet.celery import app

    try:
        with app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, timeout=3)
    except Exception as error:  # kombu raises transport-specific errors
        logger.warning("readiness: broker unavailable: %s", error)
        return type(error).__name__
    return None


def _json(payload: dict, status: int) -> HttpResponse:
    return HttpResponse(json.dumps(payload), status=status, content_type="application/json")


class HealthCheckMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        path = request.path_info.rstrip("/")
        if path == LIVENESS_PATH:
            return _json({"status": "ok"}, 200)
        if path == READINESS_PATH:
            checks = {"database": check_database(), "broker": check_broker()}
            ready = all(problem is None for problem in checks.values())
            body = {
                "status": "ok" if ready else "unavailable",
                "checks": {name: problem or "ok" for name, problem in checks.items()},
            }
            return _json(body, 200 if ready else 503)
        return self.get_response(request)

"""A database error during a request (a failover in progress) is answered 503 with Retry-After: the short page, or
JSON `{"detail": ...}` under /api/; never a 500 with a stack trace. The whole path under a real failover is
tests/platform/test_failover.py; here, each shape through Django's own exception handling."""

import json

import pytest
from django.core.handlers.exception import response_for_exception
from django.db import InterfaceError, OperationalError
from django.http import HttpResponse
from django.test import RequestFactory

from stationnet.database_errors import DatabaseUnavailableMiddleware


def failing(error: Exception):
    """A view (or an inner middleware) whose query fails: Django turns the exception into a response at once, as
    each middleware layer's wrapper does."""

    def get_response(request):
        try:
            raise error
        except Exception as raised:  # noqa: BLE001  (what Django's handler catches)
            return response_for_exception(request, raised)

    return get_response


@pytest.mark.parametrize("error", [OperationalError("server closed the connection unexpectedly"), InterfaceError()])
def test_an_api_request_gets_json_with_a_chinese_detail(error, caplog):
    request = RequestFactory().post("/api/v1/desk/demands/", HTTP_HOST="alpha.localhost")
    with caplog.at_level("WARNING"):
        response = DatabaseUnavailableMiddleware(failing(error))(request)
    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    assert response["Content-Type"] == "application/json"
    assert json.loads(response.content) == {"detail": "数据库暂时不可用，请几秒钟后重试。"}
    assert "database unavailable during POST /api/v1/desk/demands/" in caplog.text


def test_a_page_gets_the_short_page_and_no_stack_trace():
    request = RequestFactory().get("/desk/", HTTP_HOST="alpha.localhost")
    response = DatabaseUnavailableMiddleware(failing(OperationalError("could not connect to server")))(request)
    page = response.content.decode()
    assert response.status_code == 503 and response["Retry-After"] == "5"
    assert "服务暂时不可用" in page and "Traceback" not in page and "could not connect" not in page


def test_other_errors_stay_what_they_were():
    request = RequestFactory().get("/desk/", HTTP_HOST="alpha.localhost")
    assert DatabaseUnavailableMiddleware(failing(ValueError("a bug")))(request).status_code == 500
    ok = DatabaseUnavailableMiddleware(lambda request: HttpResponse("fine"))(request)
    assert (ok.status_code, ok.content) == (200, b"fine")

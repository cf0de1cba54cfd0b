import pytest
from django.test import Client

from stationnet.celery import app


@pytest.mark.parametrize("host", ["10.1.2.3:8000", "localhost", "unknown.example"])
def test_liveness_answers_whatever_the_host(host):
    response = Client(HTTP_HOST=host).get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


@pytest.mark.django_db
def test_readiness_checks_database_and_broker():
    response = Client(HTTP_HOST="10.1.2.3:8000").get("/readyz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "checks": {"database": "ok", "broker": "ok"}}


@pytest.mark.django_db
def test_readiness_fails_when_the_broker_is_unreachable():
    saved = app.conf.broker_write_url
    app.conf.broker_write_url = "redis://127.0.0.1:1/0"  # nothing listens on port 1
    try:
        response = Client(HTTP_HOST="localhost").get("/readyz")
    finally:
        app.conf.broker_write_url = saved
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable"
    assert body["checks"]["database"] == "ok"
    assert body["checks"]["broker"] != "ok"

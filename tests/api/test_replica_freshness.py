"""The read-model API answers with a replica (issue 21, item 2): the statistics and the referral matrix say in
headers where their figures come from and as of when (`X-Data-Source`, `X-Data-As-Of`, from the replica also
`X-Data-Lag`); a replica that is down leaves the same request on the primary and the answer says so."""

import datetime

import pytest
from django.db import DEFAULT_DB_ALIAS, connections
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from core.common.replica import REPLICA, SOURCE_FALLBACK, replica_verdict
from core.stats.models import CaseListAccess
from tests.conftest import host_client
from tests.replicas import (
    REPLICA_TESTS,
    closed_port,
    replica_alias,
    replica_elsewhere,
    replica_stops_after_check,
    without_replica,
)

pytestmark = REPLICA_TESTS

PATHS = ["/api/v1/statistics/", "/api/v1/referrals/matrix/", "/api/v1/referrals/overdue/"]


@pytest.fixture(scope="module", autouse=True)
def _replica(django_db_setup):
    with replica_alias():
        yield


@pytest.fixture
def viewer(city, public_host):
    return host_client(public_host, city.bureau_viewer)


def as_of(response) -> datetime.datetime:
    moment = datetime.datetime.fromisoformat(response["X-Data-As-Of"])
    assert moment.utcoffset() == datetime.timedelta(hours=8)  # Beijing time
    assert abs(timezone.now() - moment) < datetime.timedelta(minutes=1)
    return moment


@pytest.mark.parametrize("path", PATHS)
def test_the_answer_says_it_comes_from_the_replica(viewer, path):
    with CaptureQueriesContext(connections[REPLICA]) as replica:
        response = viewer.get(path)
    assert response.status_code == 200
    assert replica.captured_queries, "nothing was read from the replica"
    assert (response["X-Data-Source"], response["X-Data-Lag"]) == ("replica", "0")
    as_of(response)


@pytest.mark.parametrize("path", PATHS)
def test_a_replica_down_answers_from_the_primary_and_says_so(viewer, path):
    with replica_elsewhere(HOST="127.0.0.1", PORT=closed_port()):
        with CaptureQueriesContext(connections[DEFAULT_DB_ALIAS]) as primary:
            response = viewer.get(path)
    assert response.status_code == 200
    assert any("stats_" in q["sql"] or "network_referralflow" in q["sql"] for q in primary.captured_queries)
    assert response["X-Data-Source"] == "primary-fallback"
    assert "X-Data-Lag" not in response
    as_of(response)


@pytest.mark.parametrize("path", PATHS)
def test_a_replica_that_stops_after_its_check_is_left_within_the_same_request(viewer, path, caplog):
    with replica_stops_after_check():
        response = viewer.get(path)
        assert response.status_code == 200, response.content
        assert response["X-Data-Source"] == "primary-fallback"
        as_of(response)
        assert replica_verdict().source == SOURCE_FALLBACK  # the next requests do not try it again
    assert f"The replica failed GET {path}; answered from the primary" in caplog.text


def test_a_look_at_a_case_list_answered_again_is_logged_once(city, public_host):
    admin = host_client(public_host, city.bureau_admin)
    with replica_stops_after_check():
        response = admin.get(f"/api/v1/statistics/stations/{city.alpha.pk}/cases/")
    assert response.status_code == 200, response.content
    assert response["X-Data-Source"] == "primary-fallback"
    assert [(a.user, a.station, a.what) for a in CaseListAccess.objects.all()] == [
        (city.bureau_admin, city.alpha, "api")
    ]


def test_without_a_replica_the_answer_is_live(viewer):
    with without_replica():
        response = viewer.get("/api/v1/statistics/")
    assert response.status_code == 200
    assert response["X-Data-Source"] == "primary"
    as_of(response)


def test_a_refused_period_is_a_field_error_not_a_replica_read(viewer):
    with CaptureQueriesContext(connections[REPLICA]) as replica:
        response = viewer.get("/api/v1/statistics/", {"from": "2026-11-06", "to": "2026-11-02"})
    assert response.status_code == 400
    assert replica.captured_queries == []
    assert response["X-Data-Source"] == "primary"

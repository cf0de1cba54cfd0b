"""The open data with a replica (issue 21, item 2): the published stations and their publications are read from the
replica, and the files say so in their headers; a replica that is down leaves them on the primary."""

import pytest
from django.db import DEFAULT_DB_ALIAS, connections
from django.test import Client
from django.test.utils import CaptureQueriesContext

from core.common.replica import REPLICA
from tests.replicas import REPLICA_TESTS, closed_port, replica_alias, replica_elsewhere

pytestmark = REPLICA_TESTS

FILES = ["/open-data/stations.json", "/open-data/stations.csv"]


@pytest.fixture(scope="module", autouse=True)
def _replica(django_db_setup):
    with replica_alias():
        yield


def station_reads(captured) -> list[str]:
    return [q["sql"] for q in captured.captured_queries if '"tenants_station' in q["sql"]]


@pytest.mark.parametrize("path", FILES)
def test_the_open_data_is_read_from_the_replica(city, public_host, path):
    with CaptureQueriesContext(connections[REPLICA]) as replica:
        response = Client(HTTP_HOST=public_host).get(path)
    assert response.status_code == 200
    assert station_reads(replica), "the stations were not read from the replica"
    assert (response["X-Data-Source"], response["X-Data-Lag"]) == ("replica", "0")
    assert response["X-Data-As-Of"]


def test_a_replica_down_leaves_the_open_data_on_the_primary(city, public_host):
    with replica_elsewhere(HOST="127.0.0.1", PORT=closed_port()):
        with CaptureQueriesContext(connections[DEFAULT_DB_ALIAS]) as primary:
            response = Client(HTTP_HOST=public_host).get(FILES[0])
    assert response.status_code == 200
    assert station_reads(primary)
    assert response["X-Data-Source"] == "primary-fallback"
    assert "stations" in response.json()

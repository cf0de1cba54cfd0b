"""The console's read-model pages with a replica (issue 21, item 2): the city statistics, a station's figures and
case list, and the referral matrix read their figures from the replica and say so; the case list's access log is
still written to the primary; a replica that is down leaves the same request on the primary, and the page says that
too; with no replica the page says its figures are live."""

import re

import pytest
from django.db import DEFAULT_DB_ALIAS, connections
from django.test.utils import CaptureQueriesContext

from core.common.replica import REPLICA
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

READ_MODEL = re.compile(r'\b"?(stats_[a-z]+|network_referralflow)"?\b')
FRESHNESS = re.compile(r'<p class="muted" id="data-freshness" data-source="([a-z-]+)">([^<]*)</p>')


@pytest.fixture(scope="module", autouse=True)
def _replica(django_db_setup):
    with replica_alias():
        yield


def read_model_queries(captured) -> list[str]:
    return [query["sql"] for query in captured.captured_queries if READ_MODEL.search(query["sql"])]


def get(client, path: str):
    """The page, with the queries each database answered."""
    with (
        CaptureQueriesContext(connections[DEFAULT_DB_ALIAS]) as primary,
        CaptureQueriesContext(connections[REPLICA]) as replica,
    ):
        response = client.get(path)
    assert response.status_code == 200
    return response.content.decode(), primary, replica


def freshness(html: str) -> tuple[str, str]:
    found = FRESHNESS.search(html)
    assert found, "the page does not say how fresh its figures are"
    return found.group(1), found.group(2)


@pytest.mark.parametrize(
    "path",
    ["/console/statistics/", "/console/statistics/stations/{alpha}/", "/console/referrals/"],
)
def test_the_figures_come_from_the_replica_and_the_page_says_so(city, public_host, path):
    client = host_client(public_host, city.bureau_viewer)
    html, primary, replica = get(client, path.format(alpha=city.alpha.pk))
    assert read_model_queries(replica), "nothing was read from the replica"
    assert read_model_queries(primary) == []
    source, text = freshness(html)
    assert source == "replica"
    assert re.fullmatch(r"数据来自只读副本，截至 \d\d:\d\d:\d\d（延迟 0 秒）", text), text


def test_the_case_list_reads_the_replica_and_logs_the_look_on_the_primary(city, public_host):
    client = host_client(public_host, city.bureau_admin)
    before = CaseListAccess.objects.filter(station=city.alpha, user=city.bureau_admin).count()
    html, primary, replica = get(client, f"/console/statistics/stations/{city.alpha.pk}/cases/")
    assert freshness(html)[0] == "replica"
    assert any("stats_casefact" in sql for sql in read_model_queries(replica))
    assert any(sql.startswith('INSERT INTO "stats_caselistaccess"') for sql in (q["sql"] for q in primary))
    assert not any(q["sql"].startswith("INSERT") for q in replica.captured_queries)
    assert CaseListAccess.objects.filter(station=city.alpha, user=city.bureau_admin).count() == before + 1


def test_a_replica_down_leaves_the_request_on_the_primary_and_the_page_says_so(city, public_host):
    client = host_client(public_host, city.bureau_viewer)
    with replica_elsewhere(HOST="127.0.0.1", PORT=closed_port()):
        for path in ("/console/statistics/", "/console/referrals/"):
            with CaptureQueriesContext(connections[DEFAULT_DB_ALIAS]) as primary:
                response = client.get(path)
            assert response.status_code == 200
            assert read_model_queries(primary), "the figures were not read from the primary"
            assert freshness(response.content.decode()) == ("primary-fallback", "只读副本不可用，已改读主库")


def test_a_replica_that_stops_after_its_check_leaves_the_page_on_the_primary(city, public_host):
    client = host_client(public_host, city.bureau_admin)
    before = CaseListAccess.objects.filter(station=city.alpha, user=city.bureau_admin).count()
    with replica_stops_after_check():
        response = client.get(f"/console/statistics/stations/{city.alpha.pk}/cases/")
    assert response.status_code == 200
    assert freshness(response.content.decode()) == ("primary-fallback", "只读副本不可用，已改读主库")
    # The first attempt's log of the look was rolled back with it: one look, one entry.
    assert CaseListAccess.objects.filter(station=city.alpha, user=city.bureau_admin).count() == before + 1


def test_without_a_replica_the_page_says_its_figures_are_live(city, public_host):
    client = host_client(public_host, city.bureau_viewer)
    with without_replica():
        response = client.get("/console/statistics/")
    assert response.status_code == 200
    assert freshness(response.content.decode()) == ("primary", "实时数据（主库）")

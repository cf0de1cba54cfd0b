"""The replica router (issue 21, item 2): no replica, the primary; a replica, the read models' reads inside marked
views only, writes never; a replica down or too far behind, the primary within the same request, checked once per
window; a real streaming standby whose replay is paused, the primary once it lags past the limit."""

import time

import pytest
from django.db import DEFAULT_DB_ALIAS, connections, router
from django.http import HttpResponse
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from core.common.replica import (
    REPLICA,
    SOURCE_FALLBACK,
    SOURCE_PRIMARY,
    SOURCE_REPLICA,
    read_connection,
    replica_reads,
    replica_reads_view,
    replica_verdict,
    replica_verdict_forget,
)
from core.network.models import ReferralFlow
from core.stats.models import CaseFact
from tenants.models import Station, User
from tests import clusters
from tests.replicas import (
    REPLICA_TESTS,
    closed_port,
    replica_alias,
    replica_elsewhere,
    silent_server,
    without_replica,
)

pytestmark = REPLICA_TESTS


@pytest.fixture(scope="module", autouse=True)
def _replica(django_db_setup):
    with replica_alias():
        yield


def in_chinese(freshness) -> str:
    with translation.override("zh-hans"):
        return freshness.text


def test_without_a_replica_everything_reads_the_primary():
    with without_replica(), replica_reads() as reads:
        assert REPLICA not in connections.settings
        assert router.db_for_read(CaseFact) == DEFAULT_DB_ALIAS
        assert read_connection(ReferralFlow).alias == DEFAULT_DB_ALIAS
        assert reads.freshness.source == SOURCE_PRIMARY
        assert in_chinese(reads.freshness) == "实时数据（主库）"
        assert reads.answered().headers()["X-Data-Source"] == "primary"


def test_a_replica_takes_the_read_models_reads_inside_marked_views_only(city):
    replica = connections[REPLICA]
    # Outside a marked view: the primary, replica or not.
    assert router.db_for_read(CaseFact) == DEFAULT_DB_ALIAS
    with replica_reads() as reads:
        assert router.db_for_read(CaseFact) == REPLICA
        assert router.db_for_read(ReferralFlow) == REPLICA
        assert router.db_for_read(Station) == REPLICA
        assert router.db_for_read(User) == DEFAULT_DB_ALIAS  # not a read model
        assert router.db_for_write(CaseFact) == DEFAULT_DB_ALIAS
        with CaptureQueriesContext(replica) as on_replica:
            station = Station.objects.get(pk=city.alpha.pk)
            list(CaseFact.objects.filter(station=station)[:1])
        assert station._state.db == REPLICA
        assert any('"stats_casefact"' in query["sql"] for query in on_replica.captured_queries)
        # A row read from the replica is written to the primary.
        assert router.db_for_write(Station, instance=station) == DEFAULT_DB_ALIAS
        assert router.allow_relation(station, city.alpha)
        assert reads.freshness.source == SOURCE_REPLICA
        assert reads.freshness.lag == 0  # not in recovery: it is the primary's own data
        assert in_chinese(reads.freshness).startswith("数据来自只读副本，截至 ")
        assert "（延迟 0 秒）" in in_chinese(reads.freshness)
        assert reads.answered().headers()["X-Data-Lag"] == "0"
    assert router.db_for_read(CaseFact) == DEFAULT_DB_ALIAS
    assert router.allow_migrate(REPLICA, "stats") is False


def test_a_marked_function_view_reads_the_replica_and_says_so(rf):
    @replica_reads_view
    def figures(request):
        assert router.db_for_read(CaseFact) == REPLICA
        return HttpResponse(str(CaseFact.objects.filter(pk=-1).count()))

    response = figures(rf.get("/"))
    assert response.content == b"0"
    assert (response["X-Data-Source"], response["X-Data-Lag"]) == ("replica", "0")
    assert router.db_for_read(CaseFact) == DEFAULT_DB_ALIAS  # the mark ends with the view


def test_a_replica_down_sends_the_same_request_to_the_primary():
    with replica_elsewhere(HOST="127.0.0.1", PORT=closed_port()):
        with replica_reads() as reads:
            assert router.db_for_read(CaseFact) == DEFAULT_DB_ALIAS
            assert read_connection(CaseFact).alias == DEFAULT_DB_ALIAS
            assert list(CaseFact.objects.filter(pk=-1)) == []  # answered, from the primary
            assert reads.freshness.source == SOURCE_FALLBACK
            assert in_chinese(reads.freshness) == "只读副本不可用，已改读主库"
            assert reads.answered().headers()["X-Data-Source"] == "primary-fallback"


def test_a_hanging_replica_costs_one_connect_timeout_per_window():
    with silent_server() as port, replica_elsewhere(HOST="127.0.0.1", PORT=port):
        started = time.monotonic()
        with replica_reads():
            assert router.db_for_read(CaseFact) == DEFAULT_DB_ALIAS
        first = time.monotonic() - started
        started = time.monotonic()
        with replica_reads() as reads:  # the next request, within the window
            assert router.db_for_read(CaseFact) == DEFAULT_DB_ALIAS
            assert reads.freshness.source == SOURCE_FALLBACK
        second = time.monotonic() - started
    assert 0.9 <= first < 5, first
    assert second < 0.2, second


def test_a_standby_whose_replay_is_paused_is_read_until_it_lags_past_the_limit(settings):
    """A real streaming standby (tests/clusters.py): caught up, it is read with no lag; its replay paused while the
    primary writes, it is read as long as the lag is under DATABASE_REPLICA_MAX_LAG, then the primary is."""
    with clusters.workspace() as root, clusters.primary(root) as main:
        main.psql("CREATE TABLE beat (at timestamptz)")
        with (
            clusters.standby(main, root) as spare,
            replica_elsewhere(HOST="127.0.0.1", PORT=spare.port, NAME="postgres"),
        ):
            main.psql("INSERT INTO beat VALUES (now())")
            clusters.wait_caught_up(main, spare)
            verdict = replica_verdict()
            assert (verdict.source, verdict.lag) == (SOURCE_REPLICA, 0)

            spare.psql("SELECT pg_wal_replay_pause()")
            time.sleep(1.5)
            main.psql("INSERT INTO beat VALUES (now())")
            deadline = time.monotonic() + 30
            while spare.psql("SELECT pg_last_wal_receive_lsn() > pg_last_wal_replay_lsn()") != "t":
                assert time.monotonic() < deadline, "the standby did not receive the write"
                time.sleep(0.1)

            settings.DATABASE_REPLICA_MAX_LAG = 60
            replica_verdict_forget()  # the next window
            with replica_reads() as reads:
                assert router.db_for_read(CaseFact) == REPLICA
                assert reads.freshness.source == SOURCE_REPLICA
                assert 1 <= reads.freshness.lag < 60
                assert f"（延迟 {round(reads.freshness.lag)} 秒）" in in_chinese(reads.freshness)

            settings.DATABASE_REPLICA_MAX_LAG = 1
            replica_verdict_forget()
            with replica_reads() as reads:
                assert router.db_for_read(CaseFact) == DEFAULT_DB_ALIAS
                assert reads.freshness.source == SOURCE_FALLBACK
                assert reads.freshness.lag > 1
                assert "已改读主库" in in_chinese(reads.freshness)
                assert "只读副本延迟" in in_chinese(reads.freshness)
            spare.psql("SELECT pg_wal_replay_resume()")

"""The lock table a whole-database pg_dump needs, counted from the real catalog (issue 21: about 27,000 locks at 500
stations against a default lock table of 6,400); and the station export and import commands as an operator runs them."""

import json
import math
import tarfile

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from core.backups.selectors import DEFAULT_MAX_LOCKS, DUMPED_KINDS, OTHER_CONNECTIONS_SHARE, lock_table_requirement
from tests.committed import on_own_connection

pytestmark = pytest.mark.django_db


def _relations(schema_name: str) -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = %s AND c.relkind = ANY(%s)",
            [schema_name, list(DUMPED_KINDS)],
        )
        return cursor.fetchone()[0]


def test_the_requirement_is_counted_from_the_catalog(city):
    today = lock_table_requirement()
    # Every station has the template's relations: alpha's schema, counted on its own, has as many.
    assert today.relations_per_station == _relations(city.alpha.schema_name) > 40
    assert today.dump_locks >= today.relations_per_station * today.stations + today.other_relations
    assert today.required_max_locks_per_transaction == max(
        DEFAULT_MAX_LOCKS, OTHER_CONNECTIONS_SHARE + math.ceil(today.dump_locks / today.slots)
    )
    assert today.sufficient is (today.max_locks_per_transaction >= today.required_max_locks_per_transaction)


def test_a_large_city_needs_more_than_the_default(city):
    figures = {n: lock_table_requirement(stations=n) for n in (500, 1000, 5000)}
    per_station = figures[500].relations_per_station
    assert figures[1000].dump_locks - figures[500].dump_locks == 500 * per_station
    # The default (64 × 100 connections) holds 6,400 locks; 500 stations alone need several times that.
    assert figures[500].dump_locks > 6400 * 3
    assert figures[500].required_max_locks_per_transaction > 64
    assert (
        figures[500].required_max_locks_per_transaction
        < figures[1000].required_max_locks_per_transaction
        < figures[5000].required_max_locks_per_transaction
    )


def test_the_command_prints_today_and_the_plan(city, capsys):
    today = lock_table_requirement()
    try:
        call_command("lock_table_settings", "--stations", "500", "--stations", "5000")
    except CommandError as error:  # the server under test may be short already: then it says what to set
        assert str(today.required_max_locks_per_transaction) in str(error)
    out = capsys.readouterr().out
    assert f"max_locks_per_transaction = {today.max_locks_per_transaction}" in out
    assert "planned: 500 stations" in out
    assert "planned: 5000 stations" in out


def _export_by_command(code: str, path) -> str:
    from io import StringIO

    out = StringIO()
    call_command("station_export", code, "--output", str(path), stdout=out)
    return out.getvalue()


def test_the_export_command_writes_one_file_with_its_manifest(city, tmp_path):
    path = tmp_path / "alpha.tar"
    out = on_own_connection(_export_by_command, city.alpha.code, path)
    assert f"exported {city.alpha.code} to {path}" in out
    with tarfile.open(path) as tar:
        names = tar.getnames()
        manifest = json.loads(tar.extractfile("manifest.json").read())
    assert "schema.dump" in names
    assert manifest["station"]["code"] == city.alpha.code
    assert manifest["schema"]["desk_demand"]["count"] >= 0
    labels = [entry["label"] for entry in manifest["public"]]
    assert labels[:2] == ["tenants.Station", "tenants.User"]
    assert {"tenants.Membership", "stats.CaseFact", "network.ReferralFlow", "messaging.InboxMessage"} <= set(labels)
    # alpha is here: the import refuses to overwrite it unless told to, and changes nothing.
    with pytest.raises(CommandError, match="--replace"):
        call_command("station_import", str(path))


def test_the_export_command_refuses_an_unknown_station(city, tmp_path):
    with pytest.raises(CommandError, match="no station"):
        call_command("station_export", "nosuchstation", "--output", str(tmp_path / "x.tar"))

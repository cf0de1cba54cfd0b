"""Django's migration recorder looks its table up by name (``tenants.migration_recorder``, issue 21): the same answer
as the list of the schema's tables (django-tenants' introspection), in one query that does not scan the catalog."""

import pytest
from django.db import connection
from django.db.migrations.recorder import MigrationRecorder
from django.test.utils import CaptureQueriesContext

from tenants.migration_recorder import _has_table

pytestmark = pytest.mark.django_db

EMPTY_SCHEMA = "recorder_empty"


def listed_by_django() -> bool:
    """The answer before: is django_migrations among the tables django-tenants' introspection lists?"""
    return "django_migrations" in connection.introspection.table_names()


def test_every_recorder_asks_by_name():
    assert MigrationRecorder.has_table is _has_table


def test_the_answer_is_djangos_in_a_station_and_in_an_empty_schema(city):
    with connection.cursor() as cursor:
        cursor.execute(f'CREATE SCHEMA "{EMPTY_SCHEMA}"')  # rolled back with the test
    try:
        for schema, expected in [(city.alpha.schema_name, True), (EMPTY_SCHEMA, False)]:
            connection.set_schema(schema, include_public=False)  # as django-tenants asks before migrating a schema
            assert MigrationRecorder(connection).has_table() is expected
            assert listed_by_django() is expected
        # With public on the path too, public's django_migrations is not the schema's: a recorder that took it would
        # read public's migrations as the schema's.
        connection.set_schema(EMPTY_SCHEMA)
        assert MigrationRecorder(connection).has_table() is False
        assert listed_by_django() is False
    finally:
        connection.set_schema_to_public()


def test_one_query_by_name_then_none(city):
    connection.set_schema(city.alpha.schema_name, include_public=False)
    try:
        recorder = MigrationRecorder(connection)
        with CaptureQueriesContext(connection) as queries:
            assert recorder.has_table()
            assert recorder.has_table()
    finally:
        connection.set_schema_to_public()
    asked = [query["sql"] for query in queries.captured_queries if "django_migrations" in query["sql"]]
    assert asked == [
        "SELECT to_regclass(format('%I.%I', COALESCE("
        f"'{city.alpha.schema_name}', current_schema()), 'django_migrations')) IS NOT NULL"
    ], queries.captured_queries
    assert not any("pg_class" in query["sql"] for query in queries.captured_queries)

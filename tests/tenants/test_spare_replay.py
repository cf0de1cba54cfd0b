"""Spare schemas made by replaying the template's DDL (pg_dump of the template, its schema's name rewritten)."""

import pytest
from django.conf import settings
from django.db import DatabaseError, OperationalError, connection, transaction
from django_tenants.utils import schema_context, schema_exists

from core.desk.models import CaseEvent
from tenants import spare_schemas
from tenants.models import MemberRole, SpareSchema, TemplateDump
from tenants.selectors import PLATFORM
from tenants.services import station_create
from tenants.spare_schemas import (
    spare_schema_clone,
    spare_schema_create,
    template_ddl_split,
    template_state,
)
from tests.core.desk.builders import new_enterprise, take_demand
from tests.tenants.test_spare_schemas import catalog_of, station_input

pytestmark = pytest.mark.django_db

TEMPLATE = "station_template"


def names_of(schema: str) -> dict[str, set]:
    """The names a later migration refers to: constraints and indexes."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT k.conname FROM pg_constraint k JOIN pg_namespace n ON n.oid = k.connamespace WHERE n.nspname = %s",
            [schema],
        )
        constraints = {name for (name,) in cursor.fetchall()}
        cursor.execute("SELECT indexname FROM pg_indexes WHERE schemaname = %s", [schema])
        indexes = {name for (name,) in cursor.fetchall()}
    return {"constraints": constraints, "indexes": indexes}


def rows_of(schema: str, table: str, columns: str = "*") -> set[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(f'SELECT {columns} FROM "{schema}"."{table}"')  # noqa: S608  (names of ours)
        return set(cursor.fetchall())


def test_the_dump_is_rewritten_only_where_it_names_the_schema():
    dump = """\\restrict abc
SET statement_timeout = 0;
SELECT pg_catalog.set_config('search_path', '', false);
CREATE SCHEMA station_template;
CREATE FUNCTION station_template.refuse() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM 1 FROM station_template.notes;  -- station_template.notes in a comment stays
    RAISE EXCEPTION 'station_template.notes is append-only';
END;
$$;
CREATE TABLE "station_template".notes (id bigint DEFAULT nextval('station_template.notes_id_seq'::regclass), station_template text);
INSERT INTO station_template.notes VALUES (1, 'station_template.notes'), (2, 'it''s station_template; SET x = 1;');
SELECT pg_catalog.setval('station_template.notes_id_seq', 2, true);
\\unrestrict abc
"""
    replayed = '"spare_x"'.join(template_ddl_split(dump, TEMPLATE))

    assert "SET statement_timeout" not in replayed
    assert "set_config" not in replayed
    assert "restrict" not in replayed
    assert 'CREATE SCHEMA "spare_x";' in replayed
    assert 'CREATE FUNCTION "spare_x".refuse()' in replayed
    assert 'PERFORM 1 FROM "spare_x".notes;' in replayed  # a qualified name in a function body
    assert f"-- {TEMPLATE}.notes in a comment stays" in replayed
    assert f"RAISE EXCEPTION '{TEMPLATE}.notes is append-only'" in replayed  # a string in a function body
    assert 'CREATE TABLE "spare_x".notes' in replayed
    assert "nextval('\"spare_x\".notes_id_seq'::regclass)" in replayed
    assert f", {TEMPLATE} text)" in replayed  # a column named like the schema qualifies nothing
    # Row data are copied as they are, even where they hold the schema's name or look like SQL.
    rows = """INSERT INTO "spare_x".notes VALUES (1, 'station_template.notes'), (2, 'it''s station_template; SET x = 1;');"""
    assert rows in replayed
    assert "setval('\"spare_x\".notes_id_seq', 2, true)" in replayed


def test_a_replayed_spare_equals_the_template(city):
    spare = spare_schema_create()

    assert schema_exists(spare.schema_name)
    assert spare.template_state == template_state()
    made, template = catalog_of(spare.schema_name), catalog_of(TEMPLATE)
    # Tables, sequences, indexes, constraints (names and definitions), triggers running the schema's own functions,
    # functions, and the template's applied migrations.
    assert made == template
    assert made["triggers"] and all(own_function for _name, _table, own_function in made["triggers"])
    # The very names: a later migration's RemoveConstraint or RemoveIndex finds them in every station.
    assert names_of(spare.schema_name) == names_of(TEMPLATE)
    # The migrations by name: a migration the template applied again since its dump was kept (a test that undoes one,
    # an operator's fake) has a new id and time there, and the same fingerprint (`template_state`).
    migrations = ("django_migrations", "app, name")
    assert rows_of(spare.schema_name, *migrations) == rows_of(TEMPLATE, *migrations)
    assert rows_of(spare.schema_name, "django_content_type") == rows_of(TEMPLATE, "django_content_type")
    # The caller's search path is back after the replay.
    with connection.cursor() as cursor:
        cursor.execute("SHOW search_path")
        assert "public" in cursor.fetchone()[0]


def test_a_clone_renames_what_a_replay_keeps(city):
    """The baseline the replay replaces: clone_schema renames the unique constraints."""
    clone = spare_schema_clone()
    assert names_of(clone.schema_name) != names_of(TEMPLATE)
    assert names_of(spare_schema_create().schema_name) == names_of(TEMPLATE)


def test_pg_dump_runs_once_per_template_state(city, monkeypatch):
    calls = []
    real = spare_schemas._pg_dump
    monkeypatch.setattr(spare_schemas, "_pg_dump", lambda schema: calls.append(schema) or real(schema))
    monkeypatch.setattr(spare_schemas, "_DUMPS", {})
    TemplateDump.objects.all().delete()

    first, second = spare_schema_create(), spare_schema_create()
    assert calls == [TEMPLATE]
    assert TemplateDump.objects.get().template_state == template_state()
    # Another process (its memory empty) reads the kept dump instead of running pg_dump.
    monkeypatch.setattr(spare_schemas, "_DUMPS", {})
    third = spare_schema_create()
    assert calls == [TEMPLATE]
    assert names_of(first.schema_name) == names_of(second.schema_name) == names_of(third.schema_name)


def test_a_station_made_from_a_replayed_spare_works(city):
    spare_schemas.spare_schemas_refill(size=0)
    spare = spare_schema_create()
    station = station_create(actor=PLATFORM, **station_input("replayed"))
    assert not SpareSchema.objects.filter(pk=spare.pk).exists()  # taken: renamed to the station's schema
    head = station.memberships.get(role=MemberRole.HEAD).user

    with schema_context(station.schema_name):
        demand = take_demand(type("City", (), {"alpha": station, "alpha_staff": head}), new_enterprise())
        assert demand.cases.count() == 1
        event = CaseEvent.objects.filter(case__demand=demand).first()
        assert event is not None
        # The desk's append-only trigger runs in the replayed schema.
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
            CaseEvent.objects.filter(pk=event.pk).update(text="changed")


def test_with_no_spare_station_create_replays_and_never_clones(city, monkeypatch):
    spare_schemas.spare_schemas_refill(size=0)
    monkeypatch.setattr(spare_schemas.CloneSchema, "clone_schema", None)  # a clone would fail
    station = station_create(actor=PLATFORM, **station_input("noclone"))
    assert names_of(station.schema_name) == names_of(TEMPLATE)


def test_a_web_request_gets_no_schema_without_a_spare(city):
    spare_schemas.spare_schemas_refill(size=0)
    with pytest.raises(spare_schemas.SpareSchemaUnavailable):
        station_create(actor=PLATFORM, spare_only=True, **station_input("nospare"))
    assert not schema_exists("st_nospare")
    assert settings.TENANT_BASE_SCHEMA == TEMPLATE


def test_a_failed_replay_leaves_the_connection_as_it_was(city):
    def settings_now() -> tuple:
        with connection.cursor() as cursor:
            cursor.execute("SELECT current_setting('search_path'), current_setting('lock_timeout')")
            return cursor.fetchone()

    before = settings_now()
    with pytest.raises(DatabaseError, match="already exists"):
        spare_schemas.spare_schema_replay(schema_name=city.alpha.schema_name, lock_timeout="200ms")
    assert settings_now() == before
    assert SpareSchema.objects.filter(schema_name=city.alpha.schema_name).count() == 0


def test_a_dump_that_does_not_match_the_template_is_refused(city):
    """pg_dump sees only the committed template: a replay that does not end in the template's state is refused."""
    with connection.cursor() as cursor:
        cursor.execute(
            f'INSERT INTO "{TEMPLATE}".django_migrations (app, name, applied)'  # noqa: S608  (our schema)
            " VALUES ('activity', '9999_uncommitted', now())"
        )
    spares = set(SpareSchema.objects.values_list("schema_name", flat=True))
    with pytest.raises(OperationalError, match="does not match"):
        spare_schema_create()
    assert set(SpareSchema.objects.values_list("schema_name", flat=True)) == spares
    assert not TemplateDump.objects.filter(template_state=template_state()).exists()

"""A station's keys into the public schema (issue 21): Django relations without a database constraint, so station
schemas put no triggers on the public tables; the public rows they point at kept by a refusal of DELETE instead, with
one deliberate way through."""

import pytest
from django.apps import apps
from django.conf import settings
from django.db import IntegrityError, connection, transaction

from core.backups.selectors import schema_user_columns
from core.catalog.models import FormBox, ServiceCategory
from core.common.shared_rows import shared_row_delete
from core.directory.models import Institution
from tenants.models import Station, User
from tests.core.desk.builders import new_enterprise
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

STATION_LABELS = {name.rsplit(".", 1)[-1] for name in settings.TENANT_APPS}
PUBLIC_ONLY_LABELS = {name.rsplit(".", 1)[-1] for name in settings.SHARED_APPS} - STATION_LABELS
# django-guardian's own object-permission models, in every station (see core.archive): their four keys (user, group,
# two to permissions) are the only real foreign keys from a station schema into the public one.
GUARDIAN_KEYS = {
    ("guardian_groupobjectpermission", "group_id"),
    ("guardian_groupobjectpermission", "permission_id"),
    ("guardian_userobjectpermission", "permission_id"),
    ("guardian_userobjectpermission", "user_id"),
}


def _station_keys_into_public() -> list[tuple[str, str, bool]]:
    return [
        (model._meta.label, key.name, key.db_constraint)
        for model in apps.get_models(include_auto_created=True)
        if model._meta.app_label in STATION_LABELS and model._meta.app_label != "guardian"
        for key in model._meta.concrete_fields
        if key.is_relation and key.related_model._meta.app_label in PUBLIC_ONLY_LABELS
    ]


def test_station_keys_into_shared_models_have_no_database_constraint():
    keys = _station_keys_into_public()
    assert len(keys) >= 50  # users, stations, enterprises, institutions, catalog entries, from eight apps
    assert [(model, name) for model, name, constrained in keys if constrained] == []


def test_a_station_schema_has_no_foreign_key_into_the_public_schema_but_guardians(city):
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname, a.attname FROM pg_constraint k "
            "JOIN pg_class c ON c.oid = k.conrelid JOIN pg_namespace n ON n.oid = c.relnamespace "
            "JOIN pg_class r ON r.oid = k.confrelid JOIN pg_namespace rn ON rn.oid = r.relnamespace "
            "JOIN pg_attribute a ON a.attrelid = k.conrelid AND a.attnum = k.conkey[1] "
            "WHERE k.contype = 'f' AND n.nspname = %s AND rn.nspname = 'public'",
            [city.alpha.schema_name],
        )
        assert set(cursor.fetchall()) == GUARDIAN_KEYS
        # So the users' table carries guardian's two triggers per station, not seventy.
        cursor.execute(
            "SELECT count(*) FROM pg_trigger t JOIN pg_constraint k ON k.oid = t.tgconstraint "
            "JOIN pg_namespace n ON n.oid = k.connamespace WHERE t.tgrelid = 'public.tenants_user'::regclass "
            "AND n.nspname = %s",
            [city.alpha.schema_name],
        )
        assert cursor.fetchone()[0] == 2


def _kept_rows(city) -> dict[str, object]:
    return {
        "tenants_user": UserFactory(username="kept-user"),
        "tenants_station": Station.objects.get(pk=city.beta.pk),
        "directory_enterprise": new_enterprise(),
        "directory_institution": Institution.objects.create(name="铁岭市计量测试所（保留测试）", kind="metrology"),
        "catalog_servicecategory": ServiceCategory.objects.order_by("pk").first(),
        "catalog_formbox": FormBox.objects.order_by("pk").first(),
    }


def _delete(table: str, pk: int) -> int:
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {table} WHERE id = %s", [pk])  # noqa: S608  (the test's own table names)
        return cursor.rowcount


def test_public_rows_the_stations_point_at_are_never_deleted(city):
    for table, row in _kept_rows(city).items():
        with pytest.raises(IntegrityError, match=f"{table} row {row.pk} is kept"), transaction.atomic():
            _delete(table, row.pk)
    # The ORM's delete meets the same refusal, after its cascade in the public schema (the institution's
    # qualifications): all of it rolled back.
    institution = Institution.objects.get(name="铁岭市计量测试所（保留测试）")
    qualified = institution.qualifications.count()
    with pytest.raises(IntegrityError, match="is kept"), transaction.atomic():
        institution.delete()
    assert Institution.objects.filter(pk=institution.pk).exists()
    assert institution.qualifications.count() == qualified


def test_a_deliberate_delete_goes_through_and_only_inside_its_block(city):
    first, second = UserFactory(username="removed-user"), UserFactory(username="still-kept-user")
    with transaction.atomic():
        with shared_row_delete():
            assert _delete("tenants_user", first.pk) == 1
        # The rest of the enclosing transaction is refused again.
        with pytest.raises(IntegrityError, match="is kept"), transaction.atomic():
            _delete("tenants_user", second.pk)
    assert not User.objects.filter(pk=first.pk).exists()
    assert User.objects.filter(pk=second.pk).exists()


def test_a_station_export_finds_its_users_from_the_models(city):
    columns = schema_user_columns(schema_name=city.alpha.schema_name)
    assert ("desk_demand", "created_by_id") in columns
    assert ("documents_document", "uploaded_by_id") in columns
    assert ("guardian_userobjectpermission", "user_id") in columns
    assert all(table and column.endswith("_id") for table, column in columns)

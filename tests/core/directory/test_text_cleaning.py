"""The directory's data migration removing control characters from names and addresses already kept (issue 16)."""

import importlib
import random

import pytest
from django.db import connection

from core.directory import uscc
from core.directory.models import Enterprise, Institution, InstitutionKind

pytestmark = pytest.mark.django_db
RNG = random.Random(1604)  # noqa: S311  (test data)

migration = importlib.import_module("core.directory.migrations.0004_clean_control_characters")


def test_the_migration_cleans_names_and_addresses_and_leaves_clean_rows_alone():
    bell = Enterprise.objects.create(
        name="铃声\x07控制字符企业", uscc=uscc.generate(RNG), district="yinzhou", address="银州区\n工业园\x1b"
    )
    clean = Enterprise.objects.create(name="干净的企业", uscc=uscc.generate(RNG), district="yinzhou")
    institution = Institution.objects.create(
        name="检测\x0c中心", kind=InstitutionKind.choices[0][0], contact_person="王\t工"
    )
    updated_before = clean.updated_at
    with connection.cursor() as cursor:
        for sql in migration.CLEANING:
            cursor.execute(sql)
    bell.refresh_from_db()
    clean.refresh_from_db()
    institution.refresh_from_db()
    assert (bell.name, bell.address) == ("铃声控制字符企业", "银州区 工业园")
    assert (institution.name, institution.contact_person) == ("检测中心", "王 工")
    assert clean.name == "干净的企业" and clean.updated_at == updated_before

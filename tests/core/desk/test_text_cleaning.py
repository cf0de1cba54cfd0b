"""The desk's data migration removing control characters from the demands already kept, in a station's schema."""

import importlib

import pytest
from django.db import connection
from django_tenants.utils import schema_context

from core.desk.models import Demand
from tests.core.desk.builders import new_enterprise, take_demand

pytestmark = pytest.mark.django_db

migration = importlib.import_module("core.desk.migrations.0005_clean_control_characters")


def test_the_migration_cleans_a_stations_demands(city):
    enterprise = new_enterprise()
    with schema_context(city.alpha.schema_name):
        demand = take_demand(city, enterprise)
        Demand.objects.filter(pk=demand.pk).update(
            enterprise_name="铃声\x07企业", address="银州区\r\n工业园", opinions="第一行\n第二行\x08"
        )
        with connection.cursor() as cursor:
            for sql in migration.CLEANING:
                cursor.execute(sql)
        demand.refresh_from_db()
    assert (demand.enterprise_name, demand.address, demand.opinions) == ("铃声企业", "银州区 工业园", "第一行\n第二行")

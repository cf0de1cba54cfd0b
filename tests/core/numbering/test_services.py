"""Gap-free document numbers of a station (clause 7.4), taken under concurrent creation."""

import threading

import pytest
from django.db import connection, transaction
from django_tenants.utils import schema_context

from core.numbering.services import document_number, number_next
from tests.core.desk.builders import RNG


@pytest.mark.clause("7.4")
def test_numbers_are_gap_free_under_concurrent_creation(city):
    # Threads have their own connections and commit for real; each takes a number in its own transaction and every
    # third one rolls back, giving its number back to whoever waits on the sequence's row lock.
    kind, taken, errors = f"t{RNG.randrange(10**8)}", [], []
    start = threading.Barrier(9)

    def take(index: int):
        try:
            start.wait()
            with schema_context(city.alpha.schema_name), transaction.atomic():
                number = number_next(kind=kind, year=2026)
                if index % 3 == 0:
                    transaction.set_rollback(True)
                else:
                    taken.append(number)
        except Exception as error:  # noqa: BLE001  (reported below)
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=take, args=(index,)) for index in range(9)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sorted(taken) == list(range(1, 7))


def test_document_numbers_carry_the_station_the_kind_and_the_year(city):
    with schema_context(city.alpha.schema_name):
        assert document_number(station=city.alpha, kind="jl", year=2031) == "ALPHA-JL-2031-000001"
        assert document_number(station=city.alpha, kind="demand", year=2031) == "ALPHA-2031-000001"

"""The restore drill (issue 21): a station with real work is exported, damaged and imported, and every count and
checksum is as before; moved (deleted entirely, then imported) it comes back the same; other stations are untouched.

pg_dump reads what is committed, so the drill runs on a connection of its own (`on_own_connection`) with stations of
its own, which it removes afterwards, whatever happens.
"""

import io
import json
import random
import tarfile
from types import SimpleNamespace

import pytest
from django.db import connection
from django.utils import timezone
from django_tenants.utils import schema_context

from core.backups.selectors import rows_checksum, schema_checksums, station_row_table, station_tables
from core.backups.services import BackupError, station_export, station_import
from core.common.shared_rows import shared_row_delete
from core.directory import uscc
from core.directory.models import Enterprise
from core.districts import District
from core.operations.demo import pre_duty_training_record
from core.stats.models import CaseFact
from core.stats.services import day_counts_rebuild
from tenants.models import MemberRole, Station, StationStatus, StationWork, User
from tenants.selectors import PLATFORM
from tenants.services import membership_create, station_create
from tests.committed import on_own_connection
from tests.core.desk.builders import case_completed, take_demand
from tests.core.referrals.builders import deliver_all, refer
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def _station(code: str, name: str) -> Station:
    station = station_create(
        actor=PLATFORM,
        code=code,
        name=name,
        district=District.YINZHOU,
        address=f"铁岭市{name}路1号",
        service_phone="024-70000001",
        complaint_phone="024-70000002",
        head_full_name=f"{name}站长",
        head_email=f"{code}-head@example.test",
    )
    Station.objects.filter(pk=station.pk).update(status=StationStatus.PUBLISHED)
    station.refresh_from_db()
    return station


def _crew(code: str, name: str, partner_code: str, partner_name: str) -> SimpleNamespace:
    """Two published stations with trained staff, in the shape the desk and referral builders take (`alpha` works,
    `beta` is the partner)."""
    alpha, beta = _station(code, name), _station(partner_code, partner_name)
    crew = SimpleNamespace(alpha=alpha, beta=beta)
    for role, station in (("alpha", alpha), ("beta", beta)):
        # Found again when an earlier run (`--reuse-db`) made it: users outlive the stations removed afterwards.
        staff = User.objects.filter(username=f"{station.code}-staff").first() or UserFactory(
            username=f"{station.code}-staff"
        )
        membership_create(actor=PLATFORM, user=staff, station=station, role=MemberRole.STAFF)
        head = station.memberships.get(role=MemberRole.HEAD).user
        pre_duty_training_record(station=station, members=[head, staff])
        setattr(crew, f"{role}_staff", staff)
    connection.set_schema_to_public()
    return crew


DRILL_ENTERPRISE = "备份测试机械有限公司"


def _work(crew, *, referral: bool) -> None:
    """Demands and cases of every kind at `alpha` (one referred to `beta` when asked), delivered: the facts too."""
    # Not the builders' seeded USCC: this enterprise is committed (and removed with the drill's stations).
    enterprise = Enterprise.objects.create(
        uscc=uscc.generate(random.Random()),  # noqa: S311  (test data)
        name=f"{crew.alpha.name}{DRILL_ENTERPRISE}",
        district="yinzhou",
        contact_person="王经理",
        email="wang@example.test",
        source_station=crew.alpha,
    )
    with schema_context(crew.alpha.schema_name):
        take_demand(crew, enterprise)
        case_completed(crew, enterprise)
        if referral:
            refer(crew, take_demand(crew, enterprise).cases.get(), station=crew.beta)
    deliver_all(crew)
    connection.set_schema_to_public()


def _public_checksums(station_id: int) -> dict[str, tuple[int, str]]:
    return {
        table.label: rows_checksum(table=table, station_id=station_id)
        for table in [station_row_table(), *station_tables()]
    }


def _picture(station: Station) -> dict:
    station = Station.objects.get(pk=station.pk)
    return {"schema": schema_checksums(schema_name=station.schema_name), "public": _public_checksums(station.pk)}


def _remove(*codes: str) -> None:
    """Drop stations entirely, schemas first (other stations' schemas point at the Station rows), then their public
    rows, children first; the links of the city's rows to them set to null."""
    stations = list(Station.objects.filter(code__in=codes))
    station_ids = [station.pk for station in stations]
    tables = station_tables()
    with shared_row_delete(), connection.cursor() as cursor:
        for station in stations:
            cursor.execute(f"DROP SCHEMA IF EXISTS {connection.ops.quote_name(station.schema_name)} CASCADE")
        for station in stations:
            for table in reversed(tables):
                where = table.where.format(station=station.pk)
                if table.linked:
                    for column in table.station_columns:
                        sql = f"UPDATE {table.table} SET {column} = NULL WHERE {column} = %s"  # noqa: S608
                        cursor.execute(sql, [station.pk])
                else:
                    cursor.execute(f"DELETE FROM {table.table} WHERE {where}")  # noqa: S608  (test's own SQL)
        cursor.execute("DELETE FROM tenants_station WHERE id = ANY(%s)", [station_ids])


def _remove_drill(*codes: str) -> None:
    """The end of a drill: its stations, and its enterprises (the directory's searches are tested on a city without
    them; a move keeps them until the end, since the imported schema points at them), and its share of the city's
    counts."""
    _remove(*codes)
    with shared_row_delete():
        Enterprise.objects.filter(name__endswith=DRILL_ENTERPRISE).delete()
    # The city-wide counts (per category) held the drill's cases: counted again from the facts that remain.
    day_counts_rebuild()


def _tampered(path, tmp_path, change) -> str:
    """A copy of the export `path` whose manifest `change` edited."""
    copy = tmp_path / f"tampered-{change.__name__}.tar"
    with tarfile.open(path) as source, tarfile.open(copy, "w") as target:
        for member in source.getmembers():
            data = source.extractfile(member).read()
            if member.name == "manifest.json":
                manifest = json.loads(data)
                change(manifest)
                data = json.dumps(manifest).encode()
                member.size = len(data)
            target.addfile(member, io.BytesIO(data))
    return copy


def _drill(tmp_path) -> dict:
    _remove("bkdrill", "bkpartner")  # left by an interrupted run
    try:
        crew = _crew("bkdrill", "备份演练站", "bkpartner", "备份伙伴站")
        _work(crew, referral=True)
        before = _picture(crew.alpha)
        partner_before = _picture(crew.beta)
        path = tmp_path / "drill.tar"
        summary = station_export(station=crew.alpha, path=path)

        # Refused before anything is touched: the station is here and --replace was not given; other migrations.
        refusals = []
        for attempt in (
            lambda: station_import(path=path),
            lambda: station_import(path=_tampered(path, tmp_path, _other_migrations), replace=True),
        ):
            try:
                attempt()
            except BackupError as error:
                refusals.append(str(error))

        # Damage: rows deleted in the schema and in the read model, then the schema dropped.
        with connection.cursor() as cursor:
            cursor.execute(f"DELETE FROM {crew.alpha.schema_name}.activity_activityentry")  # noqa: S608
            CaseFact.objects.filter(station=crew.alpha).delete()
        damaged = _picture(crew.alpha)
        with connection.cursor() as cursor:
            cursor.execute(f"DROP SCHEMA {crew.alpha.schema_name} CASCADE")

        imported = station_import(path=path, replace=True)
        after = _picture(crew.alpha)
        # The sweeps will look in the restored schema: what it held undelivered goes out.
        marked = set(
            StationWork.objects.filter(schema_name=crew.alpha.schema_name, due_at__lte=timezone.now()).values_list(
                "kind", flat=True
            )
        )

        # A restore whose result does not match its manifest fails and leaves the station as it was.
        try:
            station_import(path=_tampered(path, tmp_path, _wrong_checksum), replace=True)
        except BackupError as error:
            refusals.append(str(error))
        after_failed = _picture(crew.alpha)
        return {
            "summary": summary,
            "imported": imported,
            "before": before,
            "damaged": damaged,
            "after": after,
            "after_failed": after_failed,
            "partner_before": partner_before,
            "partner_after": _picture(crew.beta),
            "refusals": refusals,
            "marked": marked,
        }
    finally:
        _remove_drill("bkdrill", "bkpartner")


def _other_migrations(manifest: dict) -> None:
    manifest["template_state"] = "0" * 32


def _wrong_checksum(manifest: dict) -> None:
    manifest["schema"]["desk_demand"]["md5"] = "0" * 32


def test_a_damaged_station_is_restored_alone_and_the_others_are_untouched(tmp_path):
    drill = on_own_connection(_drill, tmp_path)
    before, after = drill["before"], drill["after"]
    # The drill had real work to restore: demands, cases, a referral to the partner, the facts of the read model.
    assert before["schema"]["desk_demand"][0] == 3
    assert before["schema"]["referrals_referral"][0] == 1
    assert before["public"]["stats.CaseFact"][0] == 3
    assert before["public"]["network.ReferralFlow"][0] == 1
    assert before["public"]["tenants.Membership"][0] == 2
    assert drill["damaged"] != before
    assert after == before
    assert drill["after_failed"] == before
    assert drill["partner_after"] == drill["partner_before"]
    assert drill["marked"] == {"messaging.outbox", "deliveries", "referrals.overdue"}
    assert drill["imported"].moved is False
    assert drill["imported"].public_rows == drill["summary"].public_rows
    assert "--replace" in drill["refusals"][0]
    assert "template_state" in drill["refusals"][1]
    assert "desk_demand" in drill["refusals"][2]


def _move(tmp_path) -> dict:
    _remove("bkmove", "bkstay")  # left by an interrupted run
    try:
        crew = _crew("bkmove", "备份迁移站", "bkstay", "备份留守站")
        _work(crew, referral=False)
        before = _picture(crew.alpha)
        partner_before = _picture(crew.beta)
        staff_username = crew.alpha_staff.username
        path = tmp_path / "move.tar"
        station_export(station=crew.alpha, path=path)
        mode = path.stat().st_mode & 0o777
        _remove("bkmove")
        gone = not Station.objects.filter(pk=crew.alpha.pk).exists()
        imported = station_import(path=path)
        return {
            "before": before,
            "after": _picture(crew.alpha),
            "partner_before": partner_before,
            "partner_after": _picture(crew.beta),
            "gone": gone,
            "moved": imported.moved,
            "mode": mode,
            "staff_member": Station.objects.get(pk=crew.alpha.pk)
            .memberships.filter(user__username=staff_username)
            .exists(),
            "user_count": User.objects.filter(username=staff_username).count(),
        }
    finally:
        _remove_drill("bkmove", "bkstay")


def test_a_station_deleted_entirely_comes_back_the_same(tmp_path):
    moved = on_own_connection(_move, tmp_path)
    assert moved["gone"]
    assert moved["moved"] is True
    assert moved["after"] == moved["before"]
    assert moved["before"]["schema"]["desk_demand"][0] == 2
    assert moved["partner_after"] == moved["partner_before"]
    assert moved["staff_member"]
    assert moved["user_count"] == 1
    assert moved["mode"] == 0o600

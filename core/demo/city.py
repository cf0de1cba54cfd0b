"""The demo city: a bureau and three stations with their people, loaded by ``make demo``. Idempotent."""

from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from core.catalog.selectors import service_item_list
from core.directory.demo import directory_demo_load
from core.districts import District
from core.evaluation.demo import round_approve_all
from core.evaluation.services import evaluation_start, station_publish
from core.operations.demo import operations_demo_load
from tenants.models import BureauRole, MemberRole, Station, StationStatus, User
from tenants.selectors import DEMO, station_heads
from tenants.services import (
    membership_create,
    station_create,
    station_items_set,
    user_create,
)

DEMO_PASSWORD = "Demo-2026"  # noqa: S105  (printed on the demo banner on purpose; demo data only)


@dataclass(frozen=True)
class DemoStation:
    code: str
    name: str
    district: str
    address: str
    service_phone: str
    complaint_phone: str
    head: tuple[str, str]  # username, full name
    staff: tuple[str, str]
    # The catalog categories (clause 5.1) whose items the station serves itself: every station trains and helps with
    # standards; the rest differs, so that referring between them makes sense.
    serves: tuple[str, ...] = ("5.1.1", "5.1.5")


DEMO_BUREAU = (
    ("bureau", "刘局", BureauRole.ADMIN),
    ("bureau-viewer", "周科员", BureauRole.VIEWER),
    # The separated duties (docs/security.md): accounts and roles; the audit trail.
    ("bureau-security", "吴安全", BureauRole.SECURITY),
    ("bureau-auditor", "郑审计", BureauRole.AUDITOR),
)
DEMO_STATIONS = (
    DemoStation(
        "yinzhou",
        "银州区工业园区一站式质量服务站",
        District.YINZHOU,
        "铁岭市银州区工业园区科技路8号",
        "024-72100001",
        "024-72100002",
        ("yinzhou-head", "王建国"),
        ("yinzhou-staff", "李晓梅"),
        ("5.1.1", "5.1.5", "5.1.6", "5.1.7", "5.1.9"),  # metrology, product testing and certification
    ),
    DemoStation(
        "kaiyuan",
        "开原市经济开发区一站式质量服务站",
        District.KAIYUAN,
        "开原市经济开发区兴开大街18号",
        "024-73100001",
        "024-73100002",
        ("kaiyuan-head", "张志强"),
        ("kaiyuan-staff", "赵丽娜"),
        ("5.1.1", "5.1.4", "5.1.5", "5.1.8"),  # special equipment, quality management
    ),
    DemoStation(
        "diaobingshan",
        "调兵山市一站式质量服务站",
        District.DIAOBINGSHAN,
        "调兵山市人民大街66号",
        "024-76100001",
        "024-76100002",
        ("diaobingshan-head", "陈卫东"),
        ("diaobingshan-staff", "孙雪"),
        ("5.1.1", "5.1.2", "5.1.3", "5.1.5", "5.1.10", "5.1.11"),  # registration, diagnosis, intellectual property
    ),
)


def _user(username: str, full_name: str, bureau_role: str = "") -> User:
    user = User.objects.filter(username=username).first()
    if user is None:
        user = user_create(
            actor=DEMO,
            username=username,
            full_name=full_name,
            email=f"{username}@demo.stationnet.invalid",
            password=DEMO_PASSWORD,
            bureau_role=bureau_role,
        )
    return user


def demo_passwords_fresh() -> int:
    """The demo accounts' passwords count as set today: the city is opened under a clock moved back to the start of
    its history, which would make them look older than `PASSWORD_MAX_AGE_DAYS` at the first sign-in."""
    demo = User.objects.filter(email__endswith="@demo.stationnet.invalid")
    return demo.update(password_changed_at=timezone.now())


@transaction.atomic
def demo_city_load() -> list[Station]:
    for username, full_name, role in DEMO_BUREAU:
        _user(username, full_name, role)
    admin = User.objects.get(username=DEMO_BUREAU[0][0])
    stations = []
    for spec in DEMO_STATIONS:
        station = Station.objects.filter(code=spec.code).first()
        if station is None:
            head = _user(*spec.head)
            station = station_create(
                actor=DEMO,
                name=spec.name,
                code=spec.code,
                district=spec.district,
                address=spec.address,
                service_phone=spec.service_phone,
                complaint_phone=spec.complaint_phone,
                head_full_name=head.full_name,
                head_email=head.email,
            )
            membership_create(user=_user(*spec.staff), station=station, role=MemberRole.STAFF, actor=DEMO)
            evaluation_start(station=station, user=admin)  # its first evaluation round opens
            station.refresh_from_db()
        if not station.items.exists():  # a head's own choice is never overwritten
            station_items_set(
                station=station,
                user=station_heads(station=station)[0],
                items=service_item_list().filter(category__clause__in=spec.serves),
            )
        operations_demo_load(station=station)  # its members trained before duty (clause 4.4.1), its equipment
        if station.status == StationStatus.EVALUATING:
            # Evaluated (every requirement of clause 4 met, the operations figures attached as evidence where they
            # apply) and published (公示) by the bureau's administrator once its items are set, so the portal shows them.
            round_approve_all(station=station, admin=admin, note="演示数据")
            station_publish(station=station, user=admin)
            station.refresh_from_db()
        stations.append(station)
    directory_demo_load()
    return stations

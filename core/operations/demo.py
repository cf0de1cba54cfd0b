"""Operations of a station for the demo city and for tests, through the real services: its members trained before
duty (clause 4.4.1: only they are assigned cases) and, for the demo, a few items of the equipment register."""

import datetime
from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from django_tenants.utils import schema_context

from core.operations import services
from core.operations.models import Equipment, EquipmentKind, TrainingAttendance, TrainingKind
from tenants.models import Station, User
from tenants.selectors import station_heads, station_members

PRE_DUTY_TITLE = "上岗前质量服务专业知识培训"


@transaction.atomic
def pre_duty_training_record(
    *, station: Station, members: list[User] | None = None, held_on: datetime.date = datetime.date(2000, 1, 3)
) -> None:
    """The station's head records the pre-duty training its members (all active ones by default) took, unless each
    has one already. Idempotent."""
    head = station_heads(station=station)[0]
    if members is None:
        members = list(station_members(station=station))
    with schema_context(station.schema_name):
        trained = set(
            TrainingAttendance.objects.filter(training__kind=TrainingKind.PRE_DUTY, completed=True).values_list(
                "user_id", flat=True
            )
        )
        untrained = [member for member in members if member.pk not in trained]
        if untrained:
            services.training_create(
                user=head,
                title=PRE_DUTY_TITLE,
                held_on=held_on,
                hours=Decimal("8"),
                kind=TrainingKind.PRE_DUTY,
                attendees=untrained,
            )


@transaction.atomic
def operations_demo_load(*, station: Station) -> None:
    # Trained on the day the station opens, before anyone takes duty (the demo city opens its stations before their
    # history starts: core.demo).
    pre_duty_training_record(station=station, held_on=timezone.localdate())
    head = station_heads(station=station)[0]
    with schema_context(station.schema_name):
        if Equipment.objects.exists():
            return
        for kind, name, location, days in (
            (EquipmentKind.OFFICE, "联网电脑、打印机、复印机", "服务受理窗口", 180),
            (EquipmentKind.FIRE, "灭火器、应急照明灯和疏散标志", "大厅及安全出口", 30),
            (EquipmentKind.SCREENS, "电子屏幕和电子触摸屏", "大厅", 90),
            (EquipmentKind.ACCESSIBILITY, "无障碍通道、座椅、饮水机", "入口及等候区", 90),
        ):
            services.equipment_create(
                user=head, kind=kind, name=name, location=location, maintenance_interval_days=days
            )

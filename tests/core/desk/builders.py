"""Builders of desk data for tests: demands taken through the services, and cases walked along their states."""

import datetime
import random

from django.utils import timezone

from core.catalog.models import FormBox
from core.desk import services
from core.desk.models import CaseState, Demand, PlanKind, ServiceCase
from core.directory import uscc
from core.directory.models import Enterprise

RNG = random.Random(23)  # noqa: S311  (test data)


def new_enterprise(**extra) -> Enterprise:
    values = {
        "name": "铁岭市银州区前台测试机械有限公司",
        "district": "yinzhou",
        "contact_person": "王经理",
        "email": "wang@example.test",
    } | extra
    return Enterprise.objects.create(uscc=uscc.generate(RNG), **values)


def boxes(*labels: str) -> list[FormBox]:
    return [FormBox.objects.get(form="A", label=label) for label in labels]


def take_demand(city, enterprise, **extra) -> Demand:
    values = {
        "boxes": boxes("计量检定、校准", "计量器具溯源途径"),
        "tables": {"instruments": [{"name": "压力表", "measuring_range": "0-1.6MPa", "accuracy_class": "1.6级"}]},
    } | extra
    return services.demand_create(
        station=city.alpha, user=city.alpha_staff, enterprise=enterprise, channel="visit", **values
    )


def case_in_service(city, enterprise) -> ServiceCase:
    """A case planned to be served by the station (alpha_staff) and now in service."""
    case = take_demand(city, enterprise).cases.get()
    services.case_plan(
        case=case,
        user=city.alpha_staff,
        kind=PlanKind.SELF,
        evaluation="企业自有压力表需送检",
        appointment_at=timezone.now() + datetime.timedelta(days=1),
        staff=city.alpha_staff,
    )
    return services.case_transition(case=case, to=CaseState.IN_SERVICE, user=city.alpha_staff)


def case_completed(city, enterprise) -> ServiceCase:
    """A case served, recorded (ended an hour ago) and completed."""
    case = case_in_service(city, enterprise)
    case = services.case_transition(case=case, to=CaseState.FOLLOWING_UP, user=city.alpha_staff)
    now = timezone.now()
    services.record_save(
        case=case,
        user=city.alpha_staff,
        requested_at=now - datetime.timedelta(hours=5),
        received_at=now - datetime.timedelta(hours=4),
        answered_at=now - datetime.timedelta(hours=3),
        on_site_at=now - datetime.timedelta(hours=2),
        ended_at=now - datetime.timedelta(hours=1),
        resolution="上门检定压力表 3 块，均合格",
    )
    return services.case_transition(case=case, to=CaseState.COMPLETED, user=city.alpha_staff)

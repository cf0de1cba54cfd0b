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


def full_demand(enterprise) -> dict:
    """Every field of Appendix A filled in, as the API takes it."""
    return {
        "enterprise": enterprise.pk,
        "channel": "visit",
        "filled_on": "2026-03-02",
        "boxes": [box.pk for box in boxes("计量检定、校准", "产品检验检测")],
        "enterprise_name": "接口测试阀门（填表时的名称）",
        "legal_representative": "赵法人",
        "uscc": enterprise.uscc,
        "contact_person": "钱联系",
        "email": "contact@example.test",
        "phone": "024-72345678",
        "address": "铁岭市银州区测试路8号",
        "inspection_materials": ["notification", "last_report"],
        "exam_categories": ["boiler", "welding"],
        "training_mode": "institution",
        "other_needs": "想了解出口认证",
        "opinions": "希望上门服务",
        "signatory": "孙负责",
        "signed_on": "2026-03-03",
        "tables": {
            "product_standards": [
                {
                    "product": "闸阀",
                    "standard_name": "通用阀门 法兰连接铁制闸阀",
                    "standard_number": "GB/T 12232-2005",
                    "adoption": "无",
                    "published": True,
                },
                {"product": "球阀", "standard_name": "", "standard_number": "", "adoption": "", "published": None},
            ],
            "instruments": [
                {
                    "name": "压力表",
                    "measuring_range": "0-1.6MPa",
                    "accuracy_class": "1.6级",
                    "serial_number": "P-001",
                    "purpose": "出厂试压",
                    "traceability_method": "检定",
                    "last_traceability_body": "铁岭市计量所",
                    "last_traceability_on": "2025-04-01",
                    "valid_until": "2026-03-31",
                }
            ],
            "products": [{"name": "闸阀", "standard": "GB/T 12232-2005", "remark": "主导产品"}],
            "special_equipment": [
                {"category": "锅炉", "count": 1, "valid_until": "2026-09-30", "remark": ""},
                {"category": "压力容器", "count": 3, "valid_until": None, "remark": "储气罐"},
            ],
            "operator_staffing": [
                {"trade": "司炉工", "staffing": 2, "needed": 1, "certificates_held": "G1×1"},
            ],
        },
    }

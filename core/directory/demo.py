"""Demo data for the shared directory: enterprises across Tieling and the institutions stations refer work to."""

import datetime
import random

from django.db import transaction
from django.utils import timezone

from core.catalog.models import ServiceItem
from core.directory import uscc
from core.directory.models import Enterprise, Institution, Qualification
from core.directory.pinyin import search_names_fill
from core.districts import District

PLACES = {
    District.YINZHOU: "银州",
    District.QINGHE: "清河",
    District.TIELING_COUNTY: "铁岭县",
    District.XIFENG: "西丰",
    District.CHANGTU: "昌图",
    District.DIAOBINGSHAN: "调兵山",
    District.KAIYUAN: "开原",
}
TRADES = [
    ("机械制造", "C"),
    ("食品", "C"),
    ("建材", "C"),
    ("农业科技", "A"),
    ("电子", "C"),
    ("商贸", "F"),
    ("物流", "G"),
]
INSTITUTIONS = [
    ("铁岭市计量测试所", "metrology", ["5.1.6.1", "5.1.6.2", "5.1.6.3", "5.1.1.5"], "cma"),
    ("铁岭市产品质量检验检测中心", "testing", ["5.1.7.1", "5.1.7.2", "5.1.7.3", "5.1.7.4"], "cma"),
    ("辽宁省特种设备检验研究院铁岭分院", "special_equipment", ["5.1.8.1", "5.1.8.2"], "authorisation"),
    ("铁岭市标准化服务中心", "standardisation", ["5.1.5.1", "5.1.5.2", "5.1.5.4", "5.1.5.5"], "other"),
    ("铁岭知识产权服务有限公司", "ip", ["5.1.10.1", "5.1.10.2", "5.1.10.3"], "other"),
]


@transaction.atomic
def directory_demo_load() -> None:
    if Institution.objects.filter(name=INSTITUTIONS[0][0]).exists():
        return  # loaded before
    rng = random.Random(2112)  # noqa: S311  (demo data, reproducible)
    enterprises = []
    for district, place in PLACES.items():
        region = uscc.TIELING_DISTRICT_REGIONS.get(district, uscc.TIELING_REGION)
        for n, (trade, industry) in enumerate(TRADES):
            enterprises.append(
                Enterprise(
                    name=f"铁岭市{place}{trade}有限公司" if n % 2 else f"{place}{trade}有限责任公司",
                    uscc=uscc.generate(rng, region=region),
                    legal_representative=rng.choice(["王", "李", "张", "刘", "陈"])
                    + rng.choice(["伟", "芳", "强", "磊"]),
                    district=district,
                    industry=industry,
                    scale=rng.choice(["micro", "small", "small", "medium"]),
                    phone=f"024-7{rng.randint(1000000, 9999999)}",
                )
            )
    for enterprise in enterprises:
        search_names_fill(enterprise)
    Enterprise.objects.bulk_create(enterprises, ignore_conflicts=True)
    today = timezone.localdate()
    for index, (name, kind, clauses, qualification) in enumerate(INSTITUTIONS):
        institution = Institution(name=name, kind=kind, districts=list(District.values))
        search_names_fill(institution)
        institution.save()
        institution.items.set(ServiceItem.objects.filter(clause__in=clauses))
        certificate = Qualification.objects.create(
            institution=institution,
            kind=qualification,
            number=f"2100{index:02d}{rng.randint(100000, 999999)}",
            # the first one expires soon, so the registry shows an expiry warning
            valid_until=today + datetime.timedelta(days=45 if index == 0 else 700),
        )
        certificate.items.set(institution.items.all())  # it covers what the institution offers

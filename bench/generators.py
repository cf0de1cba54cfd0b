"""Synthetic but realistic directory data for the benchmarks: enterprises and institutions of Tieling.

Enterprise names follow the pattern of Chinese registered names, 行政区划 + 字号 + 行业 + 组织形式, for example
"开原市鑫达机械制造有限公司": a place (the district's or the city's name), a two-character trade name drawn from the
characters trade names really use, a trade, a kind of business and a legal form. Names are distinct, like names
registered with one authority. Codes are valid USCCs (``core.directory.uscc.generate``) with the district's
administrative division code; rows generated with ``city_level=True`` use the city's code (211200) instead, so a set
of such rows never shares a code with a set generated without it.

Everything is drawn from one ``random.Random``: the same seed gives the same data.
"""

import datetime
import random
from collections.abc import Iterator
from dataclasses import dataclass

from core.directory import uscc
from core.directory.models import EnterpriseScale, Industry, InstitutionKind

# The columns a generated enterprise fills are the services' own list (all NOT NULL in the table; blank is "").
from core.directory.services import ENTERPRISE_FIELDS
from core.districts import District

# District → (its formal prefix, its short form); names use either, or the city's name.
PLACES = {
    District.YINZHOU: ("铁岭市银州区", "银州"),
    District.QINGHE: ("铁岭市清河区", "清河"),
    District.TIELING_COUNTY: ("铁岭县", "铁岭"),
    District.XIFENG: ("西丰县", "西丰"),
    District.CHANGTU: ("昌图县", "昌图"),
    District.DIAOBINGSHAN: ("调兵山市", "调兵山"),
    District.KAIYUAN: ("开原市", "开原"),
}
CITY_PLACES = ("铁岭", "铁岭市")
# Roughly how many enterprises each district has (Yinzhou is the city centre; Changtu and Kaiyuan are the largest
# counties).
DISTRICT_WEIGHTS = {
    District.YINZHOU: 24,
    District.QINGHE: 8,
    District.TIELING_COUNTY: 12,
    District.XIFENG: 9,
    District.CHANGTU: 19,
    District.DIAOBINGSHAN: 10,
    District.KAIYUAN: 18,
}
# Characters common in trade names (字号).
BRAND_CHARS = (
    "鑫达华盛恒通宏远金泰隆兴昌源丰瑞祥利德信安康宇博创佳永新亿正天龙凯海辉明光振中成富美嘉威鼎腾飞伟俊志诚和顺"
    "福长荣旺发聚汇鸿晟铭睿翔益合众力强胜峰联广百万北辽东晨阳春秋宝银鹏程润泽锦绣星月云山川江河湖林森松柏"
)
TRADES = ("机械", "食品", "化工", "建材", "电子", "农业", "纺织", "汽车配件", "矿山设备")
BUSINESSES = ("制造", "科技", "贸易")
CORPORATE_FORMS = (("有限公司", 82), ("股份有限公司", 6))
COOPERATIVE_TRADES = ("农业", "食品")  # 合作社 are farmers' cooperatives
SCALES = ((EnterpriseScale.MICRO, 60), (EnterpriseScale.SMALL, 28), (EnterpriseScale.MEDIUM, 9))
SCALES += ((EnterpriseScale.LARGE, 1), ("", 2))  # some rows leave the scale blank
SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕苏卢蒋蔡贾丁魏薛叶阎余潘杜戴夏钟汪田任姜范方石姚谭廖邹熊金陆郝孔白崔康毛邱秦江史顾侯邵孟龙万段雷钱汤尹黎易常武乔贺赖龚文"
GIVEN_CHARS = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华玉兰萍红建国建华志强海燕桂兰丹玲凤林春梅晶琳宁鹏飞"
STREETS = ("工业园区", "银州路", "广裕街", "柴河街", "南马路", "北环路", "开发区", "兴业大街", "昌盛街", "人民路")
INSTITUTION_KINDS = {
    InstitutionKind.TESTING: ("产品质量检验检测中心", "检测技术有限公司", "检验检测有限公司"),
    InstitutionKind.METROLOGY: ("计量测试所", "计量检定有限公司", "计量技术服务中心"),
    InstitutionKind.SPECIAL_EQUIPMENT: ("特种设备检验所", "特种设备检测有限公司"),
    InstitutionKind.CERTIFICATION: ("认证有限公司", "质量认证中心"),
    InstitutionKind.STANDARDISATION: ("标准化研究院", "标准化服务有限公司"),
    InstitutionKind.IP: ("知识产权代理有限公司", "知识产权服务中心"),
    InstitutionKind.ASSOCIATION: ("机械行业协会", "食品行业协会", "建材行业协会", "质量协会"),
    InstitutionKind.OTHER: ("质量技术服务有限公司", "管理咨询有限公司"),
}
NOW = datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC)


@dataclass(frozen=True)
class EnterpriseRow:
    name: str
    uscc: str
    legal_representative: str
    address: str
    district: str
    industry: str
    scale: str
    contact_person: str
    phone: str
    email: str
    created_at: datetime.datetime

    def values(self) -> tuple[str, ...]:
        return tuple(getattr(self, name) for name in ENTERPRISE_FIELDS)


def _weighted(rng: random.Random, pairs) -> str:
    values, weights = zip(*pairs, strict=True)
    return rng.choices(values, weights)[0]


def person(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + "".join(rng.choices(GIVEN_CHARS, k=rng.choice((1, 2, 2))))


def phone(rng: random.Random) -> str:
    if rng.random() < 0.5:
        return f"024-7{rng.randrange(10**6, 10**7)}"  # Tieling's area code is 024
    return f"1{rng.choice('3589')}{rng.randrange(10**8, 10**9)}"


def _industry(rng: random.Random, trade: str, business: str) -> str:
    if rng.random() < 0.1:
        return rng.choice(Industry.values)
    if trade == "农业":
        return Industry.A
    if business == "贸易":
        return Industry.F
    if business == "科技":
        return Industry.I if trade == "电子" else Industry.M
    return Industry.B if trade == "矿山设备" and rng.random() < 0.3 else Industry.C


class EnterpriseGenerator:
    """Distinct enterprises: names and codes are never repeated across everything one generator makes."""

    def __init__(self, seed: int):
        self.rng = random.Random(seed)  # noqa: S311  (reproducible benchmark data, not secrets)
        self.names: set[str] = set()
        self.codes: set[str] = set()
        self.districts = list(DISTRICT_WEIGHTS)
        self.district_weights = list(DISTRICT_WEIGHTS.values())

    def _name(self, district: str) -> tuple[str, str, str, bool]:
        rng = self.rng
        formal, short = PLACES[district]
        roll = rng.random()
        place = formal if roll < 0.55 else short if roll < 0.8 else rng.choice(CITY_PLACES)
        brand = "".join(rng.choices(BRAND_CHARS, k=3 if rng.random() < 0.1 else 2))
        if rng.random() < 0.12:
            trade = rng.choice(COOPERATIVE_TRADES)
            return f"{place}{brand}{trade}{rng.choice(('专业合作社', '合作社'))}", trade, "", True
        trade, business = rng.choice(TRADES), rng.choice(BUSINESSES)
        form = _weighted(rng, CORPORATE_FORMS)
        return f"{place}{brand}{trade}{business}{form}", trade, business, False

    def enterprise(self, *, city_level: bool = False) -> EnterpriseRow:
        rng = self.rng
        district = rng.choices(self.districts, self.district_weights)[0]
        for _attempt in range(50):
            name, trade, business, cooperative = self._name(district)
            if name not in self.names:
                break
        else:
            raise RuntimeError("the name space is exhausted: add characters to BRAND_CHARS")
        self.names.add(name)
        region = uscc.TIELING_REGION if city_level else uscc.TIELING_DISTRICT_REGIONS[district]
        # 91: an enterprise registered by market regulation; 93: a farmers' cooperative.
        code = uscc.generate(rng, region=region, second="3" if cooperative else "1")
        while code in self.codes:
            code = uscc.generate(rng, region=region, second="3" if cooperative else "1")
        self.codes.add(code)
        district_name = PLACES[district][0]
        if not district_name.startswith("铁岭市"):
            district_name = "铁岭市" + district_name
        return EnterpriseRow(
            name=name,
            uscc=code,
            legal_representative=person(rng),
            address=f"{district_name}{rng.choice(STREETS)}{rng.randrange(1, 400)}号",
            district=district,
            industry=Industry.A if cooperative else _industry(rng, trade, business),
            scale=_weighted(rng, SCALES),
            contact_person=person(rng) if rng.random() < 0.8 else "",
            phone=phone(rng) if rng.random() < 0.9 else "",
            email=f"contact{rng.randrange(10**6)}@example.com" if rng.random() < 0.3 else "",
            created_at=NOW - datetime.timedelta(seconds=rng.randrange(5 * 365 * 86400)),
        )

    def enterprises(self, count: int, *, city_level: bool = False) -> Iterator[EnterpriseRow]:
        for _index in range(count):
            yield self.enterprise(city_level=city_level)


def institutions(seed: int, count: int) -> Iterator[dict]:
    """Institutions with distinct names (the table has a unique constraint on the upper-cased name)."""
    rng = random.Random(seed)  # noqa: S311  (reproducible benchmark data, not secrets)
    names: set[str] = set()
    kinds = list(INSTITUTION_KINDS)
    for _index in range(count):
        district = rng.choice(list(PLACES))
        kind = rng.choice(kinds)
        while True:
            place = rng.choice((PLACES[district][0], PLACES[district][1], *CITY_PLACES))
            brand = "".join(rng.choices(BRAND_CHARS, k=2))
            name = f"{place}{brand}{rng.choice(INSTITUTION_KINDS[kind])}"
            if name not in names:
                break
        names.add(name)
        covered = sorted({district, *rng.sample(list(PLACES), rng.randrange(0, 3))})
        yield {
            "name": name,
            "kind": kind,
            "uscc": uscc.generate(rng, region=uscc.TIELING_DISTRICT_REGIONS[district], first="1", second="2")
            if rng.random() < 0.3
            else uscc.generate(rng, region=uscc.TIELING_DISTRICT_REGIONS[district]),
            "address": f"铁岭市{rng.choice(STREETS)}{rng.randrange(1, 400)}号",
            "districts": covered,
            "contact_person": person(rng),
            "phone": phone(rng),
            "email": f"lab{rng.randrange(10**6)}@example.com",
            "is_active": rng.random() < 0.95,
            "created_at": NOW - datetime.timedelta(seconds=rng.randrange(5 * 365 * 86400)),
        }


_PLACE_PREFIXES = sorted({*CITY_PLACES, *(form for forms in PLACES.values() for form in forms)}, key=len, reverse=True)


def without_place(name: str) -> str:
    """The name without its leading place: the trade name (字号) comes first, as people type it when they search."""
    for prefix in _PLACE_PREFIXES:
        if name.startswith(prefix):
            return name[len(prefix) :]
    return name

"""The columns of the directory's spreadsheets: one definition serves import, export and the sample files.

Headers are Chinese, as the people who fill the sheets read them. Choice columns accept the Chinese label or the
code (银州区 or yinzhou); exports write the Chinese label.
"""

import random
from collections.abc import Callable
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.utils import translation
from django.utils.translation import gettext as _

from core.directory import uscc
from core.directory.models import EnterpriseScale, Industry, InstitutionKind, QualificationKind
from core.districts import District

# How the sheets name a qualification's kind in the "kind|number|valid until" cells, both ways.
QUALIFICATION_CODES = {
    QualificationKind.CMA: "CMA",
    QualificationKind.CNAS: "CNAS",
    QualificationKind.AUTHORISATION: "授权",
    QualificationKind.OTHER: "其他",
}
LIST_SEPARATORS = ("、", "，", ",", ";", "；", " ")


def _labels(choices) -> dict[str, str]:
    """Every spelling a sheet may use for a choice (code, Chinese label) → the code."""
    with translation.override("zh-hans"):
        mapping = {str(label): value for value, label in choices.choices}
    mapping.update({value: value for value in choices.values})
    mapping.update({value.upper(): value for value in choices.values})
    return mapping


def choice(choices) -> Callable[[str], str]:
    def parse(text: str) -> str:
        if not text:
            return ""
        value = _labels(choices).get(text.strip())
        if value is None:
            raise ValidationError(_("“%(value)s” is not one of the allowed values.") % {"value": text})
        return value

    return parse


def choice_label(choices) -> Callable[[str], str]:
    def fmt(value: str) -> str:
        with translation.override("zh-hans"):
            return str(choices(value).label) if value else ""

    return fmt


def split_list(text: str) -> list[str]:
    for separator in LIST_SEPARATORS[1:]:
        text = text.replace(separator, LIST_SEPARATORS[0])
    return [part.strip() for part in text.split(LIST_SEPARATORS[0]) if part.strip()]


def choice_list(choices) -> Callable[[str], list[str]]:
    parse_one = choice(choices)

    def parse(text: str) -> list[str]:
        return [parse_one(part) for part in split_list(text or "")]

    return parse


def choice_list_label(choices) -> Callable[[list[str]], str]:
    fmt_one = choice_label(choices)
    return lambda values: "、".join(fmt_one(value) for value in values)


def boolean(text: str) -> bool:
    return (text or "").strip() not in {"否", "停用", "0", "false", "False", "no"}


def plain(text: str) -> str:
    return (text or "").strip()


@dataclass(frozen=True)
class Column:
    header: str
    field: str
    parse: Callable = plain
    fmt: Callable = str
    required: bool = False
    sample: str = ""


ENTERPRISE_COLUMNS = (
    Column("企业名称", "name", required=True, sample="铁岭市示例机械制造有限公司"),
    Column("统一社会信用代码", "uscc", uscc.compact, required=True, sample=uscc.generate(random.Random(1))),  # noqa: S311  (a sample, not a secret)
    Column("法定代表人", "legal_representative", sample="张三"),
    Column("企业地址", "address", sample="铁岭市银州区工业园区科技路1号"),
    Column("所在区县", "district", choice(District), choice_label(District), required=True, sample="银州区"),
    Column("行业门类", "industry", choice(Industry), choice_label(Industry), sample="制造业"),
    Column("企业规模", "scale", choice(EnterpriseScale), choice_label(EnterpriseScale), sample="小型"),
    Column("联系人", "contact_person", sample="李四"),
    Column("电话", "phone", sample="024-72000000"),
    Column("电子邮箱", "email", sample="contact@example.com"),
)

INSTITUTION_COLUMNS = (
    Column("机构名称", "name", required=True, sample="铁岭市示例计量检测中心"),
    Column(
        "机构类别", "kind", choice(InstitutionKind), choice_label(InstitutionKind), required=True, sample="计量技术机构"
    ),
    Column("统一社会信用代码", "uscc", uscc.compact, sample=""),
    Column("地址", "address", sample="铁岭市银州区示例路2号"),
    Column("服务区县", "districts", choice_list(District), choice_list_label(District), sample="银州区、开原市"),
    Column("服务项目（条款号）", "items", split_list, "、".join, sample="5.1.6.1、5.1.6.2"),
    Column("联系人", "contact_person", sample="王五"),
    Column("电话", "phone", sample="024-72000001"),
    Column("电子邮箱", "email", sample="lab@example.com"),
    Column("是否在用", "is_active", boolean, lambda active: "是" if active else "否", sample="是"),
    Column("资质证书（类型|编号|有效期至）", "qualifications", plain, str, sample="CMA|210012345678|2027-12-31"),
)

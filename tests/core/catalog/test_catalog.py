"""The service catalog (clause 5.1) and the check boxes of Appendix A and Appendix B, checked against the text of the
standard itself, not against a copy of the data."""

import re
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.db import DatabaseError, connection, transaction
from django.db.models import ProtectedError
from django.test.utils import CaptureQueriesContext

from core.catalog.models import FormBox, FormKind, ServiceCategory, ServiceItem
from core.catalog.selectors import (
    form_box_list,
    service_category_list,
    service_item_get,
    service_item_list,
    service_items_for_boxes,
)
from core.catalog.services import service_item_restore, service_item_retire
from tenants.selectors import PLATFORM

STANDARD = Path(__file__).resolve().parents[3].parent / "shared" / "spec" / "standard.zh.txt"

CATEGORIES = [
    ("5.1.1", "质量教育和培训"),
    ("5.1.2", "“放管服”"),
    ("5.1.3", "质量诊断"),
    ("5.1.4", "质量管理"),
    ("5.1.5", "标准化"),
    ("5.1.6", "计量"),
    ("5.1.7", "产品检验检测"),
    ("5.1.8", "特种设备"),
    ("5.1.9", "认证认可"),
    ("5.1.10", "知识产权"),
    ("5.1.11", "其他服务"),
]

# Items the catalog holds that carry no number in the text: 5.1.1.3 (missing; worded from Appendix A) and 5.1.11.1
# (the unnumbered sentence of 5.1.11).
UNNUMBERED = {"5.1.1": {"5.1.1.3": "质量主题培训"}, "5.1.11": {"5.1.11.1": "开展与市场监管工作相关业务的咨询服务。"}}

# Printed boxes whose wording the catalog corrects (conversion errors in the text).
CORRECTED = {"计最器具台账建立": "计量器具台账建立"}

BOX = re.compile(r"口([^\s口]+(?: [^\s口]+)*)")


def standard_text() -> str:
    if not STANDARD.exists():
        pytest.skip(f"the text of the standard is not at {STANDARD}")
    return STANDARD.read_text(encoding="utf-8")


def numbered_items(text: str) -> dict[str, str]:
    """clause → the first printed line of every numbered item 5.1.x.y."""
    return {m.group(1): m.group(2).strip() for m in re.finditer(r"^(5\.1\.\d+\.\d+)\s*(.*)$", text, re.MULTILINE)}


def squeeze(text: str) -> str:
    return re.sub(r"\s+", "", text)


def appendix(text: str, start: str, end: str | None) -> str:
    """The text from the line that is exactly `start` (a heading, not a mention) to the line that is exactly `end`."""
    begin = re.search(rf"^{start}$", text, re.MULTILINE).start()
    return text[begin : re.search(rf"^{end}$", text[begin:], re.MULTILINE).start() + begin if end else None]


@pytest.mark.django_db
def test_the_eleven_categories_of_clause_5_1_in_order():
    assert [(c.clause, c.name) for c in service_category_list()] == CATEGORIES


@pytest.mark.django_db
@pytest.mark.parametrize(
    "category_clause", [pytest.param(clause, marks=pytest.mark.clause(clause), id=clause) for clause, _ in CATEGORIES]
)
def test_every_item_of_the_standard_is_in_the_catalog(category_clause):
    printed = {
        clause: line
        for clause, line in numbered_items(standard_text()).items()
        if clause.rsplit(".", 1)[0] == category_clause
    }
    expected = set(printed) | set(UNNUMBERED.get(category_clause, {}))
    assert expected, f"no items for {category_clause}"

    category = ServiceCategory.objects.get(clause=category_clause)
    items = {item.clause: item for item in service_item_list(category=category)}
    assert set(items) == expected
    for clause, item in items.items():
        assert item.category == category
        assert item.name and item.position == int(clause.rsplit(".", 1)[1])
        if clause in printed:  # the catalog holds the clause's sentence, lines the conversion broke joined
            assert squeeze(item.text).startswith(squeeze(printed[clause])), clause
        else:
            assert item.text == UNNUMBERED[category_clause][clause]


@pytest.mark.django_db
@pytest.mark.clause("5.1.1")
def test_item_5_1_1_3_missing_from_the_text_takes_appendix_a_wording():
    text = standard_text()
    assert "5.1.1.3" not in numbered_items(text)
    assert "口质量主题培训" in appendix(text, "附录A", "附录B")
    item = service_item_get(clause="5.1.1.3")
    assert item is not None and item.category.clause == "5.1.1" and item.name == "质量主题培训"


@pytest.mark.django_db
@pytest.mark.clause("5.1.11")
def test_other_services_is_one_item():
    text = standard_text()
    item = service_item_get(clause="5.1.11.1")
    assert item is not None and item.category.clause == "5.1.11"
    assert item.text in text
    assert list(service_item_list(category=item.category)) == [item]


def appendix_a_service_boxes(text: str) -> list[str]:
    """The printed boxes of Appendix A that denote a service need, in printed order. Left out: 八.3, the materials to
    bring for an inspection, and section 九's exam categories and training mode (form fields of the desk)."""
    form = appendix(text, "附录A", "附录B")
    form = form[: form.index("3、特种设备检验检测申报材料")] + form[form.index("十、认证认可服务") :]
    return [CORRECTED.get(label, label) for label in BOX.findall(form)]


@pytest.mark.django_db
@pytest.mark.clause("Appendix A")
def test_every_service_box_of_appendix_a_is_in_the_catalog_in_printed_order():
    boxes = list(form_box_list(form=FormKind.DEMAND))
    assert [box.label for box in boxes] == appendix_a_service_boxes(standard_text())
    assert len(boxes) == 66


@pytest.mark.django_db
@pytest.mark.clause("Appendix A")
def test_every_service_box_of_appendix_a_maps_to_active_items():
    for box in form_box_list(form=FormKind.DEMAND):
        items = list(box.items.all())
        if box.label == "其他":  # only the enterprise's own words say what it is; the station picks items (5.2.2)
            assert items == [], box
        else:
            assert items, box
            assert all(item.is_active for item in items), box
            # a box maps within its section's categories (section 四 spans 5.1.3 and 5.1.4)
            assert {item.category.clause for item in items} <= {
                "二": {"5.1.1"},
                "三": {"5.1.2"},
                "四": {"5.1.3", "5.1.4"},
                "五": {"5.1.5"},
                "六": {"5.1.6"},
                "七": {"5.1.7"},
                "八": {"5.1.8"},
                "十": {"5.1.9"},
                "十一": {"5.1.10"},
            }[box.section.split("、")[0]], box
    assert FormBox.objects.filter(form=FormKind.DEMAND, label="其他").count() == 8


@pytest.mark.django_db
@pytest.mark.clause("Appendix A")
def test_ticked_boxes_become_catalog_items():
    items = service_items_for_boxes(form=FormKind.DEMAND, labels=["质量诊断", "QC小组", "质量提升", "其他"])
    assert [item.clause for item in items] == ["5.1.3.1", "5.1.3.4", "5.1.4.1"]
    personal = service_items_for_boxes(form=FormKind.DEMAND, labels=["“个性化”定制服务"])
    assert [item.clause for item in personal] == ["5.1.2.3"]
    in_one_section = service_items_for_boxes(form=FormKind.DEMAND, labels=["其他"], section="四、质量管理服务")
    assert list(in_one_section) == []


@pytest.mark.django_db
@pytest.mark.clause("Appendix B")
def test_the_ten_category_boxes_of_appendix_b_map_to_their_categories_items():
    record = appendix(standard_text(), "附录B", None)
    printed = BOX.findall(record[record.index("服务类别") : record.index("具体要求")])
    boxes = list(form_box_list(form=FormKind.RECORD))
    assert [box.label for box in boxes] == printed
    assert len(boxes) == 10

    by_name = {name.removesuffix("服务"): clause for clause, name in CATEGORIES}
    covered = set()
    for box in boxes:
        categories = {by_name[box.label.removesuffix("服务")]}
        if box.label == "质量管理服务":  # Appendix B has no box for 5.1.3 质量诊断
            categories.add("5.1.3")
        expected = set(ServiceItem.objects.filter(category__clause__in=categories).values_list("clause", flat=True))
        assert {item.clause for item in box.items.all()} == expected, box
        covered |= expected
    assert covered == set(ServiceItem.objects.values_list("clause", flat=True))


@pytest.mark.django_db
def test_an_item_is_retired_and_restored():
    item = service_item_get(clause="5.1.4.3")
    retired = service_item_retire(user=PLATFORM, item=item)
    assert retired.retired_at is not None and not retired.is_active
    assert item not in service_item_list()
    assert item in service_item_list(include_retired=True)
    management = next(c for c in service_category_list() if c.clause == "5.1.4")
    assert "5.1.4.3" not in [i.clause for i in management.items.all()]
    assert not service_items_for_boxes(form=FormKind.DEMAND, labels=["中小微企业质量信用等级评定咨询"]).exists()
    with pytest.raises(ValidationError):
        service_item_retire(user=PLATFORM, item=item)

    restored = service_item_restore(user=PLATFORM, item=item)
    assert restored.retired_at is None
    assert item in service_item_list()
    with pytest.raises(ValidationError):
        service_item_restore(user=PLATFORM, item=item)


@pytest.mark.django_db
def test_categories_come_with_their_items_in_two_queries():
    with CaptureQueriesContext(connection) as queries:
        counts = {c.clause: len(c.items.all()) for c in service_category_list()}
    assert len([q for q in queries.captured_queries if q["sql"].startswith("SELECT")]) == 2
    assert sum(counts.values()) == ServiceItem.objects.count() == 44
    assert counts["5.1.1"] == 9 and counts["5.1.11"] == 1


@pytest.mark.django_db
def test_items_are_never_deleted():
    with pytest.raises(DatabaseError, match="retired, never deleted"), transaction.atomic():
        ServiceItem.objects.filter(clause="5.1.10.3").delete()
    with pytest.raises(DatabaseError, match="retired, never deleted"), transaction.atomic():
        service_item_get(clause="5.1.9.1").delete()
    with pytest.raises(DatabaseError, match="retired, never deleted"), transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("DELETE FROM catalog_serviceitem")
    with pytest.raises(ProtectedError), transaction.atomic():
        ServiceCategory.objects.get(clause="5.1.10").delete()
    assert ServiceItem.objects.count() == 44
    assert service_item_get(clause="5.1.10.3").form_boxes.count() == 1  # Appendix B's 知识产权服务

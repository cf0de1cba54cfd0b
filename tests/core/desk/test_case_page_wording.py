"""The case page as a civil servant reads it (issue 15): the plan's items by name in clause order, the state buttons
named by what they do (their posted values unchanged), the record's durations in words; the demand form's boxes
without the form's codes."""

import datetime
import re

import pytest
from django.utils import timezone
from django_tenants.utils import schema_context

from core.catalog.models import ServiceCategory
from core.desk import services
from core.desk.models import CaseState, PlanKind
from tests.conftest import host_client
from tests.core.catalog.selects import catalog_groups, page_select
from tests.core.desk.builders import case_completed, take_demand


@pytest.fixture
def staff(city, alpha_host):
    return host_client(alpha_host, city.alpha_staff)


def page(client, case) -> str:
    response = client.get(f"/desk/cases/{case.pk}/")
    assert response.status_code == 200
    return response.content.decode()


def buttons(html: str) -> list[tuple[str, str]]:
    """The state buttons of the case page: (posted value, label)."""
    section = re.search(r'<section class="card" id="state">.*?</section>', html, re.S)
    assert section, "no state buttons"
    return re.findall(r'<button type="submit" name="to" value="([^"]+)"[^>]*>([^<]*)</button>', section.group(0))


def test_the_plan_offers_the_catalog_by_name_grouped_by_category_in_clause_order(city, staff, enterprise):
    with schema_context(city.alpha.schema_name):
        case = take_demand(city, enterprise).cases.get()
        wanted = {str(pk) for pk in case.items.values_list("pk", flat=True)}
    html, select = page_select(page(staff, case), "agreed_items")
    assert select.groups == catalog_groups()  # 11 categories, 44 items, by name: no "5.1.x.y", no "A:"
    assert not re.search(r">\s*(5\.1\.|A:)", html)
    assert set(re.findall(r'<option value="(\d+)" selected', html)) == wanted  # the case's items come chosen


def test_the_state_buttons_say_what_they_do(city, staff, enterprise):
    with schema_context(city.alpha.schema_name):
        case = take_demand(city, enterprise).cases.get()
    assert buttons(page(staff, case)) == [
        ("evaluating", "开始评估"),
        ("on_hold", "暂停服务"),
        ("cancelled", "取消办理"),
    ]
    with schema_context(city.alpha.schema_name):
        case = services.case_transition(case=case, to=CaseState.EVALUATING, user=city.alpha_staff)
    assert buttons(page(staff, case))[0] == ("planned", "确认服务方案")
    with schema_context(city.alpha.schema_name):
        services.case_plan(
            case=case,
            user=city.alpha_staff,
            kind=PlanKind.SELF,
            evaluation="上门检定",
            appointment_at=timezone.now() + datetime.timedelta(days=1),
            staff=city.alpha_staff,
        )
        case.refresh_from_db()
    assert buttons(page(staff, case))[:2] == [("in_service", "开始服务"), ("evaluating", "重新评估")]
    # The buttons post the same values as before.
    url = f"/desk/cases/{case.pk}/"
    assert staff.post(url, {"action": "transition", "to": "in_service", "version": case.version}).status_code == 302
    with schema_context(city.alpha.schema_name):
        case.refresh_from_db()
    assert buttons(page(staff, case)) == [
        ("following_up", "开始跟进"),
        ("evaluating", "重新评估"),
        ("on_hold", "暂停服务"),
        ("cancelled", "取消办理"),
    ]
    held = staff.post(url, {"action": "transition", "to": "on_hold", "version": case.version, "reason": "企业停产"})
    assert held.status_code == 302
    with schema_context(city.alpha.schema_name):
        case.refresh_from_db()
    assert buttons(page(staff, case)) == [("in_service", "恢复服务")]
    assert staff.post(url, {"action": "transition", "to": "in_service", "version": case.version}).status_code == 302
    with schema_context(city.alpha.schema_name):
        case.refresh_from_db()
        assert case.state == CaseState.IN_SERVICE
        case = services.case_transition(case=case, to=CaseState.FOLLOWING_UP, user=city.alpha_staff)
    assert buttons(page(staff, case))[:2] == [("completed", "完成服务"), ("in_service", "继续服务")]


def test_a_completed_case_shows_its_durations_in_words(city, staff, enterprise):
    with schema_context(city.alpha.schema_name):
        case = case_completed(city, enterprise)  # requested 5 h ago, answered 3 h ago, on site 2 h ago, ended 1 h ago
    html = page(staff, case)
    assert "响应时长：2 小时 · 处理时长：1 小时 · 总时长：4 小时" in html
    assert not re.search(r"\d:\d\d:\d\d", html)
    assert buttons(html) == [("evaluated", "确认已评价")]


def test_the_demand_form_labels_its_boxes_by_their_own_words(staff):
    response = staff.get("/desk/demands/new/")
    assert response.status_code == 200
    labels = [
        re.sub(r"<[^>]+>", "", label).strip()
        for label in re.findall(r'<label class="box">(.*?)</label>', response.content.decode(), re.S)
    ]
    assert "计量检定、校准" in labels and "质量方面法律法规宣传培训" in labels
    assert not [label for label in labels if label.startswith("A:") or " / " in label]


def test_the_case_list_filters_by_category_name_in_clause_order(city, staff):
    response = staff.get("/desk/cases/")
    assert response.status_code == 200
    _html, select = page_select(response.content.decode(), "category")
    assert select.loose == [
        ("", "—"),
        *ServiceCategory.objects.order_by("position").values_list("clause", "name"),
    ]

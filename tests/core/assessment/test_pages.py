"""Pages under /assessment/ (clauses 6.3, 6.4, 6.6): members read what is theirs, only the head writes, nobody else
gets in, the desk's case page links to the review, lists in a fixed number of queries."""

import pytest
from django_tenants.utils import schema_context

from core.assessment import services
from core.assessment.models import CaseReview, StaffAssessment
from tests.conftest import host_client
from tests.core.assessment.dataset import NOVEMBER, at, build, clock
from tests.core.desk.builders import case_in_service, new_enterprise

pytestmark = pytest.mark.django_db

PAGES = ["/assessment/", "/assessment/reviews/", "/assessment/staff/"]


def in_alpha(the_city, call, **kwargs):
    with schema_context(the_city.alpha.schema_name):
        return call(**kwargs)


@pytest.mark.parametrize("who", ["alpha_head", "alpha_staff"])
def test_members_read_the_pages(city, alpha_host, who):
    client = host_client(alpha_host, getattr(city, who))
    for page in PAGES:
        assert client.get(page).status_code == 200, page
    html = client.get("/assessment/staff/").content.decode()
    assert ('id="open-form"' in html) == (who == "alpha_head")


@pytest.mark.parametrize("who", ["beta_head", "beta_staff", "bureau_admin", "outsider"])
def test_nobody_else_reaches_the_pages(city, alpha_host, public_host, who):
    client = host_client(alpha_host, getattr(city, who))
    for page in [*PAGES, "/assessment/reviews/cases/1/", "/assessment/staff/1/"]:
        assert client.get(page).status_code == 403, page
        assert client.post(page, {"action": "mark"}).status_code == 403, page
    assert host_client(alpha_host).get(PAGES[0]).status_code == 302
    assert host_client(public_host, city.bureau_admin).get(PAGES[0]).status_code == 404


@pytest.mark.clause("6.3")
def test_the_head_marks_from_the_case_page_and_the_assignee_reads_the_written_review(city, alpha_host):
    case = in_alpha(city, case_in_service, city=city, enterprise=new_enterprise())
    head = host_client(alpha_host, city.alpha_head)
    staff = host_client(alpha_host, city.alpha_staff)
    page = f"/assessment/reviews/cases/{case.pk}/"
    assert page in head.get(f"/desk/cases/{case.pk}/").content.decode()
    assert page in staff.get(f"/desk/cases/{case.pk}/").content.decode()  # their own case
    assert staff.get(page).status_code == 404  # not reviewed yet: nothing to read
    assert staff.post(page, {"action": "mark", "mark-reason": "x"}).status_code == 403
    refused = head.post(page, {"action": "mark", "mark-reason": ""})
    assert refused.status_code == 400
    assert head.post(page, {"action": "mark", "mark-reason": "重点企业"}).status_code == 302
    assert 'id="write-form"' in head.get(page).content.decode()
    written = head.post(page, {"action": "write", "write-findings": "服务规范", "write-conclusion": "sound"})
    assert written.status_code == 302
    html = staff.get(page).content.decode()
    assert "服务规范" in html and 'id="write-form"' not in html
    assert case.number in staff.get("/assessment/reviews/").content.decode()
    with schema_context(city.alpha.schema_name):
        assert CaseReview.objects.get(case=case).reviewed_by == city.alpha_head


@pytest.mark.clause("6.4")
def test_the_head_adjusts_and_confirms_and_then_it_is_frozen(city, alpha_host, settings):
    settings.ASSESSMENT_LEVEL_THRESHOLDS = {"excellent": 0.9, "good": 0.6, "pass": 0.3}
    in_alpha(city, build, city=city)
    head = host_client(alpha_host, city.alpha_head)
    staff = host_client(alpha_host, city.alpha_staff)
    with clock(at(12, 2, 9)):
        opened = head.post("/assessment/staff/", {"period_kind": "month", "day": "2026-11-17", "member": ""})
    assert opened.status_code == 302
    with schema_context(city.alpha.schema_name):
        assessment = StaffAssessment.objects.get(member=city.alpha_staff, period_start=NOVEMBER)
    page = f"/assessment/staff/{assessment.pk}/"
    html = head.get(page).content.decode()
    assert "66.7%" in html and "33.3%" in html and assessment.figures["timeliness"]["late"][0] in html
    assert staff.get(page).status_code == 404  # a draft is the head's
    assert staff.post(page, {"action": "confirm", "confirm-version": 1}).status_code == 403
    no_remark = head.post(page, {"action": "adjust", "adjust-version": 1, "adjust-civility": "good",
                                 "adjust-timeliness": "good", "adjust-accuracy": "pass"})  # fmt: skip
    assert no_remark.status_code == 400 and "adjust-civility_remark" in no_remark.content.decode()
    adjusted = head.post(page, {"action": "adjust", "adjust-version": 1, "adjust-civility": "good",
                                "adjust-civility_remark": "核实后上调", "adjust-timeliness": "good",
                                "adjust-accuracy": "pass"})  # fmt: skip
    assert adjusted.status_code == 302
    assert head.post(page, {"action": "confirm", "confirm-version": 2}).status_code == 302
    html = head.get(page).content.decode()
    assert 'id="adjust-form"' not in html and "核实后上调" in html
    again = head.post(page, {"action": "adjust", "adjust-version": 3, "adjust-civility": "excellent"})
    assert again.status_code == 400
    assert staff.get(page).status_code == 200  # confirmed: the member reads their own
    with schema_context(city.alpha.schema_name):
        assert StaffAssessment.objects.get(pk=assessment.pk).civility == "good"


@pytest.mark.clause("6.6")
def test_the_summary_page_shows_the_period(city, alpha_host):
    in_alpha(city, build, city=city)
    html = host_client(alpha_host, city.alpha_head).get("/assessment/?period_kind=month&day=2026-11-05").content
    html = html.decode()
    assert "2026-11-01 – 2026-11-30" in html
    assert 'data-figure="received">5<' in html and 'data-figure="overall">80%<' in html


def test_lists_in_a_fixed_number_of_queries(city, alpha_host, django_assert_num_queries, django_assert_max_num_queries):
    head = host_client(alpha_host, city.alpha_head)

    def mark(n):
        with schema_context(city.alpha.schema_name):
            for _i in range(n):
                case = case_in_service(city, new_enterprise())
                services.case_review_mark(case=case, user=city.alpha_head, reason="抽查")

    mark(1)
    head.get("/assessment/reviews/")
    with django_assert_max_num_queries(20) as captured:
        head.get("/assessment/reviews/")
    mark(3)
    with django_assert_num_queries(len(captured.captured_queries)):
        assert head.get("/assessment/reviews/").content.decode().count("data-review=") == 4
    with schema_context(city.alpha.schema_name), clock(at(12, 2, 9)):
        services.staff_assessments_open(user=city.alpha_head, period_kind="month", period_start=NOVEMBER)
    head.get("/assessment/staff/")
    with django_assert_max_num_queries(20) as captured:
        head.get("/assessment/staff/")
    with schema_context(city.alpha.schema_name), clock(at(12, 2, 9)):
        services.staff_assessments_open(
            user=city.alpha_head, period_kind="month", period_start=NOVEMBER.replace(month=10)
        )
    with django_assert_num_queries(len(captured.captured_queries)):
        assert head.get("/assessment/staff/").content.decode().count("data-assessment=") >= 2

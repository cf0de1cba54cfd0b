"""API of the head's reviews, the staff assessment and the period summary (/api/v1/assessment/…, clauses 6.3, 6.4,
6.6): members read what is theirs, only the head writes, nobody else gets in, lists in a fixed number of queries."""

import pytest
from django_tenants.utils import schema_context

from core.assessment import services
from tests.conftest import host_client
from tests.core.assessment.dataset import NOVEMBER, at, build, clock
from tests.core.desk.builders import case_in_service, new_enterprise

pytestmark = pytest.mark.django_db

API = "/api/v1/assessment/"
READS = ["summary/", "reviews/", "staff/", "reviews/1/", "staff/1/"]


@pytest.mark.parametrize("who", ["beta_head", "beta_staff", "bureau_admin", "outsider"])
def test_nobody_else_reads_or_writes(city, alpha_host, who):
    client = host_client(alpha_host, getattr(city, who))
    for path in READS:
        assert client.get(API + path).status_code == 403, path
    assert client.post(API + "staff/", {"period_kind": "month", "period_start": "2026-11-01"}).status_code == 403
    assert host_client(alpha_host).get(API + "staff/").status_code in (401, 403)


@pytest.mark.clause("6.4")
def test_the_head_opens_adjusts_and_confirms_and_the_member_reads_it_then(city, alpha_host, settings):
    settings.ASSESSMENT_LEVEL_THRESHOLDS = {"excellent": 0.9, "good": 0.6, "pass": 0.3}
    build(city)
    head = host_client(alpha_host, city.alpha_head)
    staff = host_client(alpha_host, city.alpha_staff)
    body = {"member": city.alpha_staff.pk, "period_kind": "month", "period_start": "2026-11-01"}
    assert staff.post(API + "staff/", body, content_type="application/json").status_code == 403
    with clock(at(12, 2, 9)):
        created = head.post(API + "staff/", body, content_type="application/json")
    assert created.status_code == 201
    row = created.json()[0]
    assert row["figures"]["accuracy"]["rate"] == 0.3333 and row["timeliness"] == "good"
    path = f"{API}staff/{row['id']}/"
    assert staff.get(path).status_code == 404  # a draft is the head's
    refused = head.patch(path, {"accuracy": "good"}, content_type="application/json")
    assert refused.status_code == 400 and "accuracy_remark" in refused.json()
    adjusted = head.patch(path, {"accuracy": "good", "accuracy_remark": "复核"}, content_type="application/json")
    assert adjusted.status_code == 200 and adjusted.json()["accuracy"] == "good"
    confirmed = head.post(path + "confirm/", {}, content_type="application/json")
    assert confirmed.status_code == 200 and confirmed.json()["confirmed"] is True
    frozen = head.patch(path, {"remark": "改"}, content_type="application/json")
    assert frozen.status_code == 400
    assert staff.get(path).json()["accuracy"] == "good"
    assert [r["id"] for r in staff.get(API + "staff/").json()["results"]] == [row["id"]]


@pytest.mark.clause("6.3")
def test_the_head_marks_and_reviews_and_the_assignee_reads_it(city, alpha_host):
    with schema_context(city.alpha.schema_name):
        case = case_in_service(city, new_enterprise())
    head = host_client(alpha_host, city.alpha_head)
    staff = host_client(alpha_host, city.alpha_staff)
    mark = {"case": case.pk, "reason": "重点企业"}
    assert staff.post(API + "reviews/", mark, content_type="application/json").status_code == 403
    assert head.post(API + "reviews/", {"case": 999999, "reason": "x"}).status_code == 404
    assert head.post(API + "reviews/", mark, content_type="application/json").status_code == 201
    assert staff.get(f"{API}reviews/{case.pk}/").status_code == 404  # not written yet
    review = {"findings": "规范", "conclusion": "sound"}
    written = head.post(f"{API}reviews/{case.pk}/", review, content_type="application/json")
    assert written.status_code == 200 and written.json()["reviewed_by"]["id"] == city.alpha_head.pk
    assert head.post(f"{API}reviews/{case.pk}/", review, content_type="application/json").status_code == 400
    assert staff.get(f"{API}reviews/{case.pk}/").json()["conclusion"] == "sound"


@pytest.mark.clause("6.6")
def test_the_summary(city, alpha_host):
    build(city)
    summary = host_client(alpha_host, city.alpha_staff).get(API + "summary/?period_kind=month&day=2026-11-30").json()
    assert summary["start"] == "2026-11-01" and summary["end"] == "2026-11-30"
    assert summary["services"]["received"] == 5 and summary["services"]["on_time"] == 3
    assert summary["complaints"]["received"] == 1
    bad = host_client(alpha_host, city.alpha_staff).get(API + "summary/?period_kind=week")
    assert bad.status_code == 400


def test_lists_in_a_fixed_number_of_queries(city, alpha_host, django_assert_num_queries, django_assert_max_num_queries):
    head = host_client(alpha_host, city.alpha_head)

    def mark(n):
        with schema_context(city.alpha.schema_name):
            for _i in range(n):
                services.case_review_mark(
                    case=case_in_service(city, new_enterprise()), user=city.alpha_head, reason="抽查"
                )

    mark(1)
    with django_assert_max_num_queries(20) as captured:
        assert head.get(API + "reviews/").json()["count"] == 1
    mark(3)
    with django_assert_num_queries(len(captured.captured_queries)):
        assert head.get(API + "reviews/").json()["count"] == 4
    with schema_context(city.alpha.schema_name), clock(at(12, 2, 9)):
        services.staff_assessments_open(user=city.alpha_head, period_kind="month", period_start=NOVEMBER)
    with django_assert_max_num_queries(20) as captured:
        head.get(API + "staff/")
    with schema_context(city.alpha.schema_name), clock(at(12, 2, 9)):
        services.staff_assessments_open(
            user=city.alpha_head, period_kind="quarter", period_start=NOVEMBER.replace(month=10)
        )
    with django_assert_num_queries(len(captured.captured_queries)):
        assert head.get(API + "staff/").json()["count"] >= 2

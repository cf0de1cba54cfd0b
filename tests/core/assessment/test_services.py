"""The head's reviews, the staff assessment and the period summary (clauses 6.3, 6.4, 6.6): the pre-fill against a
fixed data set with figures worked out by hand (`dataset.py`), the scoring rule, head-only writes, and confirmed
assessments and written reviews frozen."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, InternalError, transaction
from django_tenants.utils import schema_context

from core.assessment import selectors, services
from core.assessment.models import CaseReview, Level, StaffAssessment
from tests.core.assessment.dataset import NOVEMBER, at, build, clock

pytestmark = pytest.mark.django_db

THRESHOLDS = {"excellent": 0.9, "good": 0.6, "pass": 0.3}


@pytest.fixture
def alpha(city):
    with schema_context(city.alpha.schema_name):
        yield city.alpha


@pytest.fixture
def cases(city, alpha, settings):
    settings.ASSESSMENT_LEVEL_THRESHOLDS = THRESHOLDS
    return build(city)


def open_november(city, member=None) -> StaffAssessment:
    with clock(at(12, 2, 9)):
        return services.staff_assessment_open(
            user=city.alpha_head, member=member or city.alpha_staff, period_kind="month", period_start=NOVEMBER
        )


@pytest.mark.clause("6.4")
def test_the_prefill_matches_the_figures_worked_out_by_hand(city, cases):
    assessment = open_november(city)
    figures = assessment.figures
    assert (assessment.period_start, assessment.period_end) == (NOVEMBER, datetime.date(2026, 11, 30))
    assert figures["civility"] == {
        "surveys": 4,
        "q4_satisfied": 3,
        "q8_satisfied": 3,
        "both_satisfied": 2,
        "rate": 0.5,
        "level": Level.PASS,
    }
    assert figures["timeliness"] == {
        "completed": 3,
        "on_time": 2,
        "late": [cases["c2"].number],
        "rate": 0.6667,
        "level": Level.GOOD,
    }
    assert figures["accuracy"] == {
        "completed": 3,
        "replans": 1,
        "replanned_cases": [cases["c3"].number],
        "complaints": 1,
        "complained_cases": [cases["c2"].number],
        "without_either": 1,
        "rate": 0.3333,
        "level": Level.PASS,
    }
    # The levels start from what the data suggests.
    assert (assessment.civility, assessment.timeliness, assessment.accuracy) == ("pass", "good", "pass")
    assert (assessment.prefilled_civility, assessment.prefilled_timeliness) == ("pass", "good")


@pytest.mark.clause("6.4")
def test_the_other_members_cases_and_a_quarter(city, cases):
    head = open_november(city, member=city.alpha_staff)  # only the staff are assessed
    assert head.figures["civility"]["surveys"] == 4
    with pytest.raises(ValidationError) as refused:
        open_november(city, member=city.alpha_head)
    assert "member" in refused.value.message_dict
    with clock(at(12, 2, 9)):
        quarter = services.staff_assessment_open(
            user=city.alpha_head,
            member=city.alpha_staff,
            period_kind="quarter",
            period_start=datetime.date(2026, 10, 1),
        )
    assert quarter.period_end == datetime.date(2026, 12, 31)
    # October to December: c4 (Oct 30) and c6 (Dec 1) now count too; c6 has no survey.
    assert quarter.figures["timeliness"]["completed"] == 5
    assert quarter.figures["accuracy"]["without_either"] == 3


def test_the_scoring_rule_uses_the_settings(settings):
    settings.ASSESSMENT_LEVEL_THRESHOLDS = {"excellent": 0.95, "good": 0.85, "pass": 0.70}
    assert [selectors.level_for(r) for r in (1, 0.95, 0.9, 0.85, 0.7, 0.69, 0)] == [
        "excellent",
        "excellent",
        "good",
        "good",
        "pass",
        "improve",
        "improve",
    ]
    assert selectors.level_for(None) == ""
    assert selectors.period_bounds(kind="quarter", start=datetime.date(2026, 11, 17)) == (
        datetime.date(2026, 10, 1),
        datetime.date(2026, 12, 31),
    )
    assert selectors.period_bounds(kind="month", start=datetime.date(2026, 12, 17))[1] == datetime.date(2026, 12, 31)


@pytest.mark.clause("6.4")
def test_a_period_is_whole_and_opened_once(city, alpha):
    with clock(at(12, 2, 9)):
        with pytest.raises(ValidationError) as refused:
            services.staff_assessment_open(
                user=city.alpha_head,
                member=city.alpha_staff,
                period_kind="month",
                period_start=datetime.date(2026, 11, 2),
            )
        assert "period_start" in refused.value.message_dict
        empty = services.staff_assessment_open(
            user=city.alpha_head, member=city.alpha_staff, period_kind="month", period_start=NOVEMBER
        )
        with pytest.raises(ValidationError):
            services.staff_assessment_open(
                user=city.alpha_head, member=city.alpha_staff, period_kind="month", period_start=NOVEMBER
            )
    # Nothing to measure: no level suggested; the head sets one and says why.
    assert empty.figures["civility"]["rate"] is None and empty.civility == ""
    with pytest.raises(ValidationError) as refused:
        services.staff_assessment_confirm(assessment=empty, user=city.alpha_head)
    assert set(refused.value.message_dict) == {"civility", "timeliness", "accuracy"}


@pytest.mark.clause("6.4")
def test_only_the_head_assesses_and_a_confirmed_assessment_is_frozen(city, cases):
    with pytest.raises(PermissionDenied), clock(at(12, 2, 9)):
        services.staff_assessment_open(
            user=city.alpha_staff, member=city.alpha_staff, period_kind="month", period_start=NOVEMBER
        )
    assessment = open_november(city)
    with pytest.raises(PermissionDenied):
        services.staff_assessment_adjust(assessment=assessment, user=city.alpha_staff, civility="excellent")
    with pytest.raises(PermissionDenied):
        services.staff_assessment_confirm(assessment=assessment, user=city.alpha_staff)
    # Changing a pre-filled level needs a remark.
    with pytest.raises(ValidationError) as refused:
        services.staff_assessment_adjust(assessment=assessment, user=city.alpha_head, civility="good")
    assert "civility_remark" in refused.value.message_dict
    assessment = services.staff_assessment_adjust(
        assessment=assessment,
        user=city.alpha_head,
        expected_version=assessment.version,
        civility="good",
        civility_remark="投诉已核实为企业误解",
    )
    with pytest.raises(ValidationError) as stale:
        services.staff_assessment_confirm(assessment=assessment, user=city.alpha_head, expected_version=1)
    assert "version" in stale.value.message_dict
    confirmed = services.staff_assessment_confirm(
        assessment=assessment, user=city.alpha_head, expected_version=assessment.version
    )
    assert confirmed.confirmed_by == city.alpha_head and confirmed.civility == "good"
    for call, kwargs in (
        (services.staff_assessment_adjust, {"accuracy": "excellent", "accuracy_remark": "x"}),
        (services.staff_assessment_refresh, {}),
        (services.staff_assessment_confirm, {}),
    ):
        with pytest.raises(ValidationError) as frozen:
            call(assessment=confirmed, user=city.alpha_head, **kwargs)
        assert "已确认" in frozen.value.message_dict["__all__"][0]
    # The database refuses too, whatever the code does.
    for change in (
        lambda: StaffAssessment.objects.filter(pk=confirmed.pk).update(civility="improve"),
        lambda: StaffAssessment.objects.filter(pk=confirmed.pk).delete(),
    ):
        with pytest.raises((InternalError, IntegrityError)), transaction.atomic():
            change()
    assert StaffAssessment.objects.get(pk=confirmed.pk).civility == "good"


@pytest.mark.clause("6.4")
def test_the_head_opens_every_staff_members_assessment_and_refreshes_a_draft(city, cases):
    with clock(at(11, 20, 9)):
        opened = services.staff_assessments_open(user=city.alpha_head, period_kind="month", period_start=NOVEMBER)
    members = {a.member_id for a in opened}
    assert city.alpha_staff.pk in members and city.alpha_head.pk not in members
    draft = next(a for a in opened if a.member_id == city.alpha_staff.pk)
    assert draft.figures["timeliness"]["completed"] == 3  # c6 not completed by 20 Nov either way
    with clock(at(12, 2, 9)):
        again = services.staff_assessments_open(user=city.alpha_head, period_kind="month", period_start=NOVEMBER)
        assert again == []
        refreshed = services.staff_assessment_refresh(assessment=draft, user=city.alpha_head)
    assert refreshed.figures == open_figures(city)


def open_figures(city):
    return selectors.assessment_prefill(member=city.alpha_staff, start=NOVEMBER, end=datetime.date(2026, 11, 30))


@pytest.mark.clause("6.3")
def test_the_head_marks_a_case_and_writes_its_review_once(city, cases):
    case = cases["c2"]
    with pytest.raises(PermissionDenied):
        services.case_review_mark(case=case, user=city.alpha_staff, reason="x")
    with clock(at(11, 12, 9)):
        review = services.case_review_mark(case=case, user=city.alpha_head, reason="超时且被投诉")
    with pytest.raises(ValidationError):
        services.case_review_mark(case=case, user=city.alpha_head, reason="again")
    with pytest.raises(ValidationError) as refused:
        services.case_review_write(review=review, user=city.alpha_head, findings=" ", conclusion="")
    assert set(refused.value.message_dict) == {"findings", "conclusion"}
    with pytest.raises(PermissionDenied):
        services.case_review_write(review=review, user=city.alpha_staff, findings="x", conclusion="sound")
    with clock(at(11, 13, 9)):
        review = services.case_review_write(
            review=review, user=city.alpha_head, findings="计划未考虑企业停产", conclusion="improve", follow_up="培训"
        )
    assert review.reviewed_by == city.alpha_head
    with pytest.raises(ValidationError):
        services.case_review_write(review=review, user=city.alpha_head, findings="改", conclusion="sound")
    with pytest.raises((InternalError, IntegrityError)), transaction.atomic():
        CaseReview.objects.filter(pk=review.pk).update(findings="改")
    # The member reads the written review of their case; another member does not.
    assert selectors.review_of_case(case_id=case.pk, viewer=city.alpha_staff, head=False) == review
    assert selectors.review_of_case(case_id=cases["c5"].pk, viewer=city.alpha_staff, head=False) is None


@pytest.mark.clause("6.6")
def test_the_period_summary_matches_the_figures_worked_out_by_hand(city, cases):
    with clock(at(11, 12, 9)):
        review = services.case_review_mark(case=cases["c1"], user=city.alpha_head, reason="首单")
        services.case_review_write(review=review, user=city.alpha_head, findings="规范", conclusion="sound")
    with clock(at(12, 2, 9)):
        services.staff_assessment_confirm(assessment=open_november(city), user=city.alpha_head)
    summary = selectors.period_summary(start=NOVEMBER, end=datetime.date(2026, 11, 30))
    figures = summary.figures
    assert (figures.demands, figures.received, figures.completed, figures.on_time) == (5, 5, 4, 3)
    assert (figures.surveys, figures.satisfied["q10"], figures.solved) == (5, 4, 3)
    assert figures.overall_satisfaction == 0.8 and figures.on_time_rate == 0.75
    assert summary.complaints == {"received": 1, "linked_to_cases": 1, "closed": 0, "escalated": 0}
    assert summary.reviews == {"marked": 1, "reviewed": 1, "sound": 1, "improve": 0, "unsatisfactory": 0}
    assert summary.assessments["confirmed"] == 1 and summary.assessments["timeliness_good"] == 1
    october = selectors.period_summary(start=datetime.date(2026, 10, 1), end=datetime.date(2026, 10, 31))
    assert (october.figures.received, october.figures.completed, october.figures.surveys) == (1, 1, 0)

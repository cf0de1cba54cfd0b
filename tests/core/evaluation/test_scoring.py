"""Weights and scores (issue 20, clause 3 against the requirements of clause 4): each item weighs in a round's total
by the weight of the bureau's round template (an 应 item more than a 宜 item by default), the reviewer scores it from
0 to its weight, and the weighted total with the round's pass mark proposes the conclusion the reviewer confirms; an
approval the scores do not allow is refused, a rectification they do not call for needs its reason. The bureau's
administrators set the templates; an open round keeps the weights it opened with."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from core.evaluation import selectors, services
from core.evaluation.checklist import CHECKLIST, PASS_MARK, RECOMMENDED_WEIGHT, REQUIRED_WEIGHT
from core.evaluation.models import ChecklistTemplate, Conclusion, EvaluationItem, RoundKind
from tests.conftest import host_client
from tests.core.evaluation.builders import CODES, open_round, review, self_assess, submitted_round

pytestmark = pytest.mark.django_db

TOTAL_WEIGHT = REQUIRED_WEIGHT * 22 + RECOMMENDED_WEIGHT * 2  # 22 应 items, 2 宜 items: 46


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def template(kind=RoundKind.INITIAL) -> ChecklistTemplate:
    return ChecklistTemplate.objects.get(kind=kind)


def weights_of(kind=RoundKind.INITIAL) -> dict[str, int]:
    return selectors.template_weights(template=template(kind))


def scored(evaluation_round, city, scores: dict[str, int]) -> None:
    """Every item reviewed met, but those in `scores` (code: score below the weight, with a remark)."""
    services.round_review_save(
        evaluation_round=evaluation_round,
        user=city.bureau_admin,
        reviews=[
            services.Review(code=code, met=True)
            if code not in scores
            else services.Review(code=code, score=scores[code], remark="部分符合")
            for code in CODES
        ],
    )


def conclude(city, evaluation_round, conclusion, **extra):
    return services.round_conclude(
        evaluation_round=evaluation_round, user=city.bureau_admin, conclusion=conclusion, **extra
    )


# --- Default weights ----------------------------------------------------------------------------------------------


@pytest.mark.clause("3")
@pytest.mark.clause("4.3.2")
@pytest.mark.clause("4.3.3")
def test_a_required_item_weighs_more_than_a_recommended_one_by_default(city):
    assert REQUIRED_WEIGHT > RECOMMENDED_WEIGHT
    for kind in (RoundKind.INITIAL, RoundKind.REEVALUATION):  # seeded by the migration
        weights = weights_of(kind)
        assert {weights[entry.code] for entry in CHECKLIST if entry.required} == {REQUIRED_WEIGHT}
        assert {weights[entry.code] for entry in CHECKLIST if not entry.required} == {RECOMMENDED_WEIGHT}
        assert template(kind).pass_mark == PASS_MARK
    evaluation_round = open_round(city)
    items = {item.code: item for item in evaluation_round.items.all()}
    assert items["4.1.1"].weight == REQUIRED_WEIGHT and items["4.3.2"].weight == RECOMMENDED_WEIGHT
    assert evaluation_round.pass_mark == PASS_MARK


# --- Scores, the total and the proposal ---------------------------------------------------------------------------


@pytest.mark.clause("3")
def test_the_weighted_total_and_the_pass_mark_propose_approval(city):
    evaluation_round = submitted_round(city)
    scored(evaluation_round, city, {"4.1.3": 1, "4.3.2": 0})  # an 应 item in part, a 宜 item not at all
    items = {item.code: item for item in EvaluationItem.objects.filter(evaluation_round=evaluation_round)}
    assert (items["4.1.3"].review_score, items["4.1.3"].review_met) == (1, False)  # in part: not met
    assert (items["4.3.2"].review_score, items["4.3.2"].review_met) == (0, False)
    assert (items["4.1.1"].review_score, items["4.1.1"].review_met) == (REQUIRED_WEIGHT, True)
    proposal = selectors.round_proposal(evaluation_round=evaluation_round)
    assert (proposal.total, proposal.pass_mark, proposal.conclusion) == (
        100 * (TOTAL_WEIGHT - 2) // TOTAL_WEIGHT,  # 44 of 46: 95
        80,
        Conclusion.APPROVED,
    )
    approved = conclude(city, evaluation_round, Conclusion.APPROVED)
    assert (approved.conclusion, approved.score) == (Conclusion.APPROVED, 95)


@pytest.mark.clause("3")
def test_a_total_below_the_pass_mark_proposes_rectification_and_refuses_approval(city):
    services.template_update(
        template=template(), user=city.bureau_admin, pass_mark=96, weights=weights_of()
    )  # a stricter bureau
    evaluation_round = submitted_round(city)
    assert evaluation_round.pass_mark == 96
    scored(evaluation_round, city, {"4.1.3": 1, "4.3.2": 0})  # 95
    proposal = selectors.round_proposal(evaluation_round=evaluation_round)
    assert (proposal.total, proposal.conclusion, proposal.required_zero) == (95, Conclusion.RECTIFY, ())
    with pytest.raises(ValidationError) as refused:
        conclude(city, evaluation_round, Conclusion.APPROVED)
    assert list(refused.value.message_dict) == ["conclusion"]
    assert "总分 95 低于合格分 96" in refused.value.message_dict["conclusion"][0]  # in Chinese
    due = timezone.localdate() + datetime.timedelta(days=30)
    rectify = conclude(city, evaluation_round, Conclusion.RECTIFY, rectify_by=due)  # as proposed: no reason needed
    assert (rectify.conclusion, rectify.score) == (Conclusion.RECTIFY, 95)


@pytest.mark.clause("3")
@pytest.mark.clause("4.1.2")
def test_a_required_item_scored_0_refuses_approval_whatever_the_total(city):
    evaluation_round = submitted_round(city)
    scored(evaluation_round, city, {"4.1.2": 0})  # 44 of 46: above the pass mark
    proposal = selectors.round_proposal(evaluation_round=evaluation_round)
    assert (proposal.total, proposal.conclusion, proposal.required_zero) == (95, Conclusion.RECTIFY, ("4.1.2",))
    with pytest.raises(ValidationError) as refused:
        conclude(city, evaluation_round, Conclusion.APPROVED)
    assert "4.1.2" in refused.value.message_dict["conclusion"][0] and "得 0 分" in str(refused.value)


@pytest.mark.clause("3")
def test_rectification_where_approval_is_proposed_needs_its_reason(city):
    evaluation_round = submitted_round(city)
    scored(evaluation_round, city, {"4.3.3": 0})  # a 宜 item: approval proposed
    assert selectors.round_proposal(evaluation_round=evaluation_round).conclusion == Conclusion.APPROVED
    due = timezone.localdate() + datetime.timedelta(days=20)
    with pytest.raises(ValidationError) as refused:
        conclude(city, evaluation_round, Conclusion.RECTIFY, rectify_by=due)
    assert list(refused.value.message_dict) == ["summary"] and "合格分" in refused.value.message_dict["summary"][0]
    overridden = conclude(city, evaluation_round, Conclusion.RECTIFY, rectify_by=due, summary="监控设备须补齐")
    assert (overridden.conclusion, overridden.summary) == (Conclusion.RECTIFY, "监控设备须补齐")


@pytest.mark.clause("3")
def test_a_score_is_within_the_weight_and_agrees_with_met(city):
    evaluation_round = submitted_round(city)
    item = evaluation_round.items.get(code="4.1.1")
    for kwargs, message in (
        ({"score": REQUIRED_WEIGHT + 1}, "0 至该项权重"),
        ({"score": 1, "met": True}, "满分"),
        ({"score": REQUIRED_WEIGHT, "met": False, "remark": "x"}, "低于其权重"),
    ):
        with pytest.raises(ValidationError) as refused:
            services.item_review(item=item, user=city.bureau_admin, **kwargs)
        assert list(refused.value.message_dict) == ["score"] and message in refused.value.message_dict["score"][0]
    with pytest.raises(ValidationError) as refused:
        services.item_review(item=item, user=city.bureau_admin, score=1)  # in part: not met, so a remark
    assert list(refused.value.message_dict) == ["remark"]
    reviewed = services.item_review(item=item, user=city.bureau_admin, score=REQUIRED_WEIGHT)
    assert (reviewed.review_score, reviewed.review_met) == (REQUIRED_WEIGHT, True)
    cleared = services.item_review(item=item, user=city.bureau_admin)
    assert (cleared.review_score, cleared.review_met, cleared.reviewed_by) == (None, None, None)


# --- Round templates ----------------------------------------------------------------------------------------------


@pytest.mark.clause("3")
def test_the_bureaus_administrators_set_a_template_and_nobody_else(city):
    weights = weights_of() | {"4.1.1": 5, "4.3.2": 3}
    for who in (city.bureau_viewer, city.alpha_head, city.outsider):
        with pytest.raises(PermissionDenied):
            services.template_update(template=template(), user=who, pass_mark=70, weights=weights)
    with pytest.raises(ValidationError) as refused:
        services.template_update(
            template=template(), user=city.bureau_admin, pass_mark=0, weights=weights | {"4.1.2": 0, "9.9": 1}
        )
    assert set(refused.value.message_dict) == {"pass_mark", "4.1.2", "weights"}
    updated = services.template_update(template=template(), user=city.bureau_admin, pass_mark=70, weights=weights)
    assert (updated.pass_mark, updated.updated_by) == (70, city.bureau_admin)
    assert weights_of()["4.1.1"] == 5 and weights_of()["4.3.2"] == 3
    assert weights_of(RoundKind.REEVALUATION)["4.1.1"] == REQUIRED_WEIGHT  # the other kind's template is its own


@pytest.mark.clause("3")
def test_an_open_round_keeps_its_weights_when_the_template_changes(city):
    evaluation_round = open_round(city)
    services.template_update(
        template=template(), user=city.bureau_admin, pass_mark=90, weights=weights_of() | {"4.1.1": 7}
    )
    evaluation_round.refresh_from_db()
    assert evaluation_round.pass_mark == PASS_MARK
    assert evaluation_round.items.get(code="4.1.1").weight == REQUIRED_WEIGHT
    later = open_round(city, city.beta)  # the next round opens with the template as it is now
    assert later.pass_mark == 90 and later.items.get(code="4.1.1").weight == 7
    # The open round is scored and concluded by what it opened with.
    self_assess(evaluation_round, city.alpha_head)
    services.round_submit(evaluation_round=evaluation_round, user=city.alpha_head)
    review(evaluation_round, city.bureau_admin)
    assert conclude(city, evaluation_round, Conclusion.APPROVED).score == 100


@pytest.mark.clause("3")
def test_a_follow_up_keeps_the_weights_and_pass_mark_of_the_round_it_follows(city):
    services.template_update(
        template=template(), user=city.bureau_admin, pass_mark=85, weights=weights_of() | {"4.2.1": 4}
    )
    evaluation_round = submitted_round(city)
    scored(evaluation_round, city, {"4.2.1": 2})  # in part
    services.template_update(template=template(), user=city.bureau_admin, pass_mark=60, weights=weights_of())
    due = timezone.localdate() + datetime.timedelta(days=15)
    conclude(city, evaluation_round, Conclusion.RECTIFY, rectify_by=due, summary="标识须规范")
    follow_up = selectors.round_current(station=city.alpha)
    assert (follow_up.kind, follow_up.pass_mark) == (RoundKind.FOLLOW_UP, 85)
    items = {item.code: item for item in follow_up.items.all()}
    assert (items["4.2.1"].weight, items["4.2.1"].review_score, items["4.2.1"].previous_met) == (4, None, False)
    assert (items["4.1.1"].weight, items["4.1.1"].review_score) == (REQUIRED_WEIGHT, REQUIRED_WEIGHT)


# --- The console and the API --------------------------------------------------------------------------------------


@pytest.mark.clause("3")
def test_the_console_template_page_is_edited_by_administrators_only(city, public_host):
    path = "/console/evaluation/templates/initial/"
    viewer = host_client(public_host, city.bureau_viewer)
    html = viewer.get(path).content.decode()
    assert 'id="read-only"' in html and 'id="template-form"' not in html
    data = {"pass_mark": "75", **{code: str(weight) for code, weight in weights_of().items()}}
    assert viewer.post(path, data).status_code == 403
    admin = host_client(public_host, city.bureau_admin)
    assert 'id="template-form"' in admin.get(path).content.decode()
    refused = admin.post(path, data | {"pass_mark": "120", "4.1.1": "0"})
    html = refused.content.decode()
    assert refused.status_code == 400 and 'data-field="pass_mark"' in html and 'data-field="4.1.1"' in html
    assert 'value="120"' in html  # what was typed stays
    assert admin.post(path, data | {"4.1.1": "4"}).status_code == 302
    assert (template().pass_mark, weights_of()["4.1.1"]) == (75, 4)
    assert host_client(public_host, city.outsider).get(path).status_code == 403
    assert admin.get("/console/evaluation/templates/follow_up/").status_code == 404


@pytest.mark.clause("3")
def test_the_console_review_takes_scores_and_shows_the_proposal(city, public_host):
    evaluation_round = submitted_round(city)
    page = f"/console/stations/{city.alpha.pk}/evaluations/{evaluation_round.number}/"
    admin = host_client(public_host, city.bureau_admin)
    html = admin.get(page).content.decode()
    assert 'name="4.1.1-score"' in html and 'max="2"' in html and 'data-weight="2"' in html
    data = {f"{code}-met": "yes" for code in CODES} | {"action": "review"}
    data |= {"4.1.3-met": "no", "4.1.3-score": "1", "4.1.3-remark": "面积略小"}
    assert admin.post(page, data).status_code == 302
    html = admin.get(page).content.decode()
    assert 'id="proposal" data-conclusion="approved" data-total="97"' in html
    refused = admin.post(page, data | {"4.1.1-score": "3"})  # above the weight
    assert refused.status_code == 400 and 'data-field="4.1.1.score"' in refused.content.decode()


@pytest.mark.clause("3")
def test_the_api_takes_a_score_and_gives_weights_and_the_proposal(city, public_host):
    evaluation_round = submitted_round(city)
    base = f"/api/v1/evaluation/stations/{city.alpha.pk}/rounds/{evaluation_round.number}/"
    admin = host_client(public_host, city.bureau_admin)
    response = admin.patch(f"{base}items/4.1.3/", {"score": 1, "remark": "面积略小"}, content_type="application/json")
    assert response.status_code == 200
    assert (response.json()["weight"], response.json()["review_score"], response.json()["review_met"]) == (2, 1, False)
    response = admin.patch(f"{base}items/4.1.3/", {"score": 9}, content_type="application/json")
    assert response.status_code == 400 and "score" in response.json()
    review(evaluation_round, city.bureau_admin, not_met=("4.3.2",))
    body = admin.get(base).json()
    assert (body["pass_mark"], body["proposed_conclusion"]) == (80, "approved")
    viewer = host_client(public_host, city.bureau_viewer)
    assert viewer.patch(f"{base}items/4.1.3/", {"score": 2}, content_type="application/json").status_code == 403

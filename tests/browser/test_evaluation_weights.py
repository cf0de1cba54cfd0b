"""Weights and scores in a real browser (issue 20, clause 3): a bureau administrator sets a round template's pass mark
and weights (refused, with what was typed kept, then saved), then reviews a submitted round with a score in part and
a score out of range (refused on the item), sees the conclusion the scores propose and confirms it.

The web server runs in its own process and sees only committed data: the round is made through the services on a
connection of the test's own; afterwards the rows added are removed, alpha is a draft again, the template is put back
as it was and the evidence files are removed."""

import os
import shutil
from pathlib import Path

import pytest
from django.conf import settings
from django_tenants.utils import get_public_schema_name

from core.evaluation.models import ChecklistTemplate, ChecklistTemplateWeight, RoundKind
from tests.browser.test_referral import high_water_marks, remove_rows_added_since, sign_in
from tests.committed import on_own_connection, set_status
from tests.core.evaluation.builders import CODES, submitted_round

pytestmark = [pytest.mark.browser]


def _screens() -> Path:
    path = Path(os.environ.get("STATIONNET_VAR_DIR", "var")) / "screens"
    path.mkdir(parents=True, exist_ok=True)
    return path


def _template_state():
    template = ChecklistTemplate.objects.get(kind=RoundKind.INITIAL)
    weights = dict(template.weights.values_list("code", "weight"))
    return template.pass_mark, weights


def _template_restore(state) -> None:
    pass_mark, weights = state
    ChecklistTemplate.objects.filter(kind=RoundKind.INITIAL).update(
        pass_mark=pass_mark, updated_by=None, updated_at=None
    )
    for code, weight in weights.items():
        ChecklistTemplateWeight.objects.filter(template__kind=RoundKind.INITIAL, code=code).update(weight=weight)


@pytest.mark.clause("3")
def test_an_administrator_sets_the_weights_and_reviews_with_scores(city, web_server, browser):
    marks = high_water_marks([get_public_schema_name(), city.alpha.schema_name])
    template_was = on_own_connection(_template_state)
    try:
        evaluation_round = on_own_connection(submitted_round, city)
        public = f"http://localhost:{web_server}"
        admin = browser.new_page()
        sign_in(admin, public, city.bureau_admin.username, "/console/evaluation/")
        admin.click("#round-templates a[href$='/templates/initial/']")
        admin.wait_for_selector("#template-form")

        # The template: a pass mark out of range and a weight of 0 are refused on their fields, as typed.
        admin.fill("#id_pass_mark", "120")
        admin.fill("input[name='4.1.1']", "0")
        admin.fill("input[name='4.3.2']", "2")
        admin.click("#save-template")
        admin.wait_for_selector("p.field-error[data-field='pass_mark']")
        assert admin.locator("p.field-error[data-field='4.1.1']").count() == 1
        assert admin.input_value("#id_pass_mark") == "120" and admin.input_value("input[name='4.3.2']") == "2"
        admin.screenshot(path=str(_screens() / "evaluation-template-refused.png"), full_page=True)
        admin.fill("#id_pass_mark", "85")
        admin.fill("input[name='4.1.1']", "3")
        admin.click("#save-template")
        admin.wait_for_selector("p.notice[role=status]")
        assert admin.input_value("#id_pass_mark") == "85" and admin.input_value("input[name='4.1.1']") == "3"
        admin.screenshot(path=str(_screens() / "evaluation-template-saved.png"), full_page=True)
        assert on_own_connection(_template_state)[0] == 85

        # The round (opened before the change: its weights stay) is reviewed with scores.
        admin.goto(f"{public}/console/stations/{city.alpha.pk}/evaluations/{evaluation_round.number}/")
        admin.wait_for_selector("#review")
        assert admin.get_attribute("#item-4\\.1\\.1 [data-weight]", "data-weight") == "2"
        for code in CODES:
            admin.check(f"#review input[name='{code}-met'][value=yes]")
        admin.check("#review input[name='4.1.3-met'][value=no]")
        admin.fill("input[name='4.1.3-score']", "1")
        admin.fill("textarea[name='4.1.3-remark']", "建筑面积略小")
        admin.fill("input[name='4.1.1-score']", "5")  # above its weight
        admin.click("#save-review")
        admin.wait_for_selector("p.field-error[data-field='4.1.1.score']")
        assert admin.input_value("textarea[name='4.1.3-remark']") == "建筑面积略小"
        admin.locator("#item-4\\.1\\.1").screenshot(path=str(_screens() / "evaluation-score-refused.png"))
        admin.fill("input[name='4.1.1-score']", "")
        admin.click("#save-review")
        admin.wait_for_selector("#proposal[data-conclusion=approved]")
        assert admin.get_attribute("#proposal", "data-total") == "97"  # 45 of 46
        admin.locator("#conclude").screenshot(path=str(_screens() / "evaluation-proposal.png"))
        admin.check("input[name=conclusion][value=approved]")
        admin.click("#conclude-round")
        admin.wait_for_selector("#round-conclusion[data-conclusion=approved]")
        assert admin.get_attribute("#round-score", "data-score") == "97"
        assert admin.text_content("#round-pass-mark") == "80"
        assert "1 / 2" in admin.text_content("#item-4\\.1\\.3 [data-field=score]")
        admin.screenshot(path=str(_screens() / "evaluation-concluded.png"), full_page=True)
        admin.close()
    finally:
        remove_rows_added_since(marks)
        on_own_connection(_template_restore, template_was)
        set_status(city.alpha.pk, "draft")
        shutil.rmtree(settings.MEDIA_ROOT / "evaluation" / city.alpha.code, ignore_errors=True)

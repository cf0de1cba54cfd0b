"""Evaluation rounds in the bureau console: the station page lists them and schedules a re-evaluation, a round's page
shows the self-assessment and its evidence, and an administrator reviews item by item and concludes. Viewers read
but change nothing (no buttons, and refused when they try); station members never see the console."""

import datetime
import re

import pytest
from django.utils import timezone

from core.evaluation.models import EvaluationRound, RoundStatus
from core.evaluation.services import evidence_add, figures_attach, round_submit, station_publish
from tenants.models import StationStatus
from tenants.selectors import PLATFORM
from tenants.services import station_change_status
from tests.conftest import host_client
from tests.core.evaluation.builders import CODES, PDF, conclude, open_round, self_assess, submitted_round, upload

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def round_page(city, number=1) -> str:
    return f"/console/stations/{city.alpha.pk}/evaluations/{number}/"


def review_data(*, not_met=(), **extra) -> dict:
    data = {}
    for code in CODES:
        data[f"{code}-met"] = "no" if code in not_met else "yes"
        data[f"{code}-remark"] = "现场未见" if code in not_met else ""
    return data | extra


@pytest.mark.clause("3")
def test_starting_the_evaluation_from_the_console_opens_round_1(city, public_host):
    admin = host_client(public_host, city.bureau_admin)
    response = admin.post(f"/console/stations/{city.alpha.pk}/evaluate/")
    assert response.status_code == 302
    evaluation_round = EvaluationRound.objects.get(station=city.alpha)
    assert (evaluation_round.number, evaluation_round.status) == (1, RoundStatus.OPEN)
    html = admin.get(f"/console/stations/{city.alpha.pk}/").content.decode()
    assert '<tr data-round="1" data-status="open" data-conclusion="">' in html
    assert f'href="{round_page(city)}"' in html and 'id="publish-needs-approval"' in html
    page = admin.get(round_page(city)).content.decode()
    assert 'id="awaiting-self-assessment"' in page and 'id="review"' not in page


@pytest.mark.clause("3")
def test_an_admin_reviews_and_approves_then_publishes(city, public_host):
    evaluation_round = open_round(city)
    evidence_add(item=evaluation_round.items.get(code="4.5a"), user=city.alpha_head, file=upload("岗位职责.pdf", PDF))
    self_assess(evaluation_round, city.alpha_head)
    round_submit(evaluation_round=evaluation_round, user=city.alpha_head)
    admin = host_client(public_host, city.bureau_admin)
    html = admin.get(round_page(city)).content.decode()
    assert 'id="review"' in html and 'name="4.1.1-met"' in html and 'id="conclude-round"' in html
    assert "岗位职责.pdf" in html

    # Saving part of the review keeps it; concluding is refused while an item is unreviewed.
    partial = review_data() | {"4.5h-met": "", "action": "review"}
    assert admin.post(round_page(city), partial).status_code == 302
    assert evaluation_round.items.filter(review_met=True).count() == len(CODES) - 1
    response = admin.post(round_page(city), partial | {"action": "conclude", "conclusion": "approved"})
    assert response.status_code == 400 and 'data-field="4.5h.met"' in response.content.decode()

    response = admin.post(round_page(city), review_data(action="conclude", conclusion="approved"))
    assert response.status_code == 302
    evaluation_round.refresh_from_db()
    assert (evaluation_round.conclusion, evaluation_round.score) == ("approved", 100)
    html = admin.get(f"/console/stations/{city.alpha.pk}/").content.decode()
    assert 'id="publish"' in html and 'id="next-evaluation"' in html
    assert admin.post(f"/console/stations/{city.alpha.pk}/publish/").status_code == 302
    city.alpha.refresh_from_db()
    assert city.alpha.status == StationStatus.PUBLISHED


def test_a_conclusion_refused_is_told_on_its_field_with_the_review_kept(city, public_host):
    submitted_round(city)
    admin = host_client(public_host, city.bureau_admin)
    data = review_data(not_met=("4.3.4",), action="conclude", conclusion="rectify", summary="请整改消防器材")
    response = admin.post(round_page(city), data)
    assert response.status_code == 400
    html = response.content.decode()
    assert 'data-field="rectify_by"' in html and "请整改消防器材</textarea>" in html
    due = timezone.localdate() + datetime.timedelta(days=14)
    response = admin.post(round_page(city), data | {"rectify_by": due.isoformat()})
    assert response.status_code == 302
    follow_up = EvaluationRound.objects.get(station=city.alpha, number=2)
    assert (follow_up.status, follow_up.due_on) == (RoundStatus.OPEN, due)


def test_rejecting_from_the_console_sends_the_station_back_to_draft(city, public_host):
    submitted_round(city)
    admin = host_client(public_host, city.bureau_admin)
    data = review_data(not_met=("4.1.3",), action="conclude", conclusion="rejected", summary="建筑面积不足")
    assert admin.post(round_page(city), data).status_code == 302
    city.alpha.refresh_from_db()
    assert city.alpha.status == StationStatus.DRAFT
    html = admin.get(f"/console/stations/{city.alpha.pk}/").content.decode()
    assert 'data-change="evaluating:draft"' in html and "建筑面积不足" in html
    assert 'id="start-evaluation"' in html  # it may be evaluated again


def test_a_viewer_reads_everything_and_changes_nothing(city, public_host):
    evaluation_round = submitted_round(city)
    viewer = host_client(public_host, city.bureau_viewer)
    html = viewer.get(round_page(city)).content.decode()
    assert 'id="read-only"' in html and 'id="review"' not in html and 'name="4.1.1-met"' not in html
    data = review_data(action="conclude", conclusion="approved")
    assert viewer.post(round_page(city), data).status_code == 403
    assert (
        viewer.post(f"/console/stations/{city.alpha.pk}/evaluations/schedule/", {"due_on": "2030-01-01"}).status_code
        == 403
    )
    evaluation_round.refresh_from_db()
    assert evaluation_round.status == RoundStatus.SUBMITTED
    assert not evaluation_round.items.filter(review_met__isnull=False).exists()


@pytest.mark.parametrize("who", ["alpha_head", "alpha_staff", "beta_head", "outsider"])
def test_station_members_and_outsiders_never_see_the_console_pages(city, public_host, alpha_host, who):
    evaluation_round = submitted_round(city)
    client = host_client(public_host, getattr(city, who))
    for path in (round_page(city), f"/console/stations/{city.alpha.pk}/"):
        assert client.get(path).status_code == 403
    assert client.post(round_page(city), review_data(action="conclude", conclusion="approved")).status_code == 403
    assert (
        client.post(f"/console/stations/{city.alpha.pk}/evaluations/schedule/", {"due_on": "2030-01-01"}).status_code
        == 403
    )
    anonymous = host_client(public_host).get(round_page(city))
    assert anonymous.status_code == 302 and "/accounts/login/" in anonymous["Location"]
    assert host_client(alpha_host, city.alpha_head).get(round_page(city)).status_code == 404  # not on station hosts
    evaluation_round.refresh_from_db()
    assert evaluation_round.status == RoundStatus.SUBMITTED


def test_evidence_downloads_for_bureau_roles_under_its_own_station_only(city, public_host):
    evaluation_round = open_round(city)
    evidence = evidence_add(item=evaluation_round.items.first(), user=city.alpha_head, file=upload("a.pdf", PDF))
    path = f"/console/stations/{city.alpha.pk}/evaluations/evidence/{evidence.pk}/"
    download = host_client(public_host, city.bureau_viewer).get(path)
    assert download.status_code == 200 and download["Content-Type"] == "application/pdf"
    assert 'filename="a.pdf"' in download["Content-Disposition"] and b"".join(download.streaming_content) == PDF
    other = f"/console/stations/{city.beta.pk}/evaluations/evidence/{evidence.pk}/"
    assert host_client(public_host, city.bureau_admin).get(other).status_code == 404
    assert host_client(public_host, city.alpha_head).get(path).status_code == 403
    assert host_client(public_host, city.bureau_admin).get(round_page(city, 7)).status_code == 404


@pytest.mark.clause("3")
def test_an_admin_schedules_a_reevaluation_of_a_published_station(city, public_host):
    conclude(city, submitted_round(city))
    station_publish(station=city.alpha, user=city.bureau_admin)
    admin = host_client(public_host, city.bureau_admin)
    html = admin.get(f"/console/stations/{city.alpha.pk}/").content.decode()
    assert 'id="evaluation-schedule"' in html
    assert (
        'id="evaluation-schedule"'
        not in host_client(public_host, city.bureau_viewer).get(f"/console/stations/{city.alpha.pk}/").content.decode()
    )
    due = timezone.localdate() + datetime.timedelta(days=60)
    response = admin.post(f"/console/stations/{city.alpha.pk}/evaluations/schedule/", {"due_on": due.isoformat()})
    assert response.status_code == 302
    scheduled = EvaluationRound.objects.get(station=city.alpha, status=RoundStatus.SCHEDULED)
    assert scheduled.due_on == due
    html = admin.get(f"/console/stations/{city.alpha.pk}/").content.decode()
    assert f'data-due-on="{due:%Y-%m-%d}"' in html
    response = admin.post(f"/console/stations/{city.alpha.pk}/evaluations/schedule/", {"due_on": "2000-01-01"})
    assert response.status_code == 400  # refused on its field of the station's page, the date as typed
    schedule = re.search(
        r'<section class="card" id="evaluation-schedule">(.*?)</section>', response.content.decode(), re.S
    )
    assert 'class="field-error"' in schedule.group(1) and 'value="2000-01-01"' in schedule.group(1)
    assert f'action="/console/stations/{city.alpha.pk}/"' in response.content.decode()  # the page's other forms
    scheduled.refresh_from_db()
    assert scheduled.due_on == due


def test_a_station_put_under_evaluation_without_a_round_gets_one_from_the_console(city, public_host):
    # by the platform, before rounds
    station_change_status(user=PLATFORM, station=city.alpha, status=StationStatus.EVALUATING)
    admin = host_client(public_host, city.bureau_admin)
    html = admin.get(f"/console/stations/{city.alpha.pk}/").content.decode()
    assert 'id="start-evaluation"' in html and 'id="publish"' not in html
    assert admin.post(f"/console/stations/{city.alpha.pk}/evaluate/").status_code == 302
    assert EvaluationRound.objects.get(station=city.alpha).status == RoundStatus.OPEN
    html = admin.get(f"/console/stations/{city.alpha.pk}/").content.decode()
    assert 'id="start-evaluation"' not in html


@pytest.mark.clause("3")
@pytest.mark.clause("4.4.1")
def test_the_reviewer_sees_the_operations_figures_next_to_the_files(city, public_host):
    evaluation_round = open_round(city)
    staff = evaluation_round.items.get(code="4.4.1")
    evidence_add(item=staff, user=city.alpha_head, file=upload("人员台账.pdf", PDF))
    figures_attach(item=staff, user=city.alpha_head)
    self_assess(evaluation_round, city.alpha_head)
    round_submit(evaluation_round=evaluation_round, user=city.alpha_head)

    for who in (city.bureau_admin, city.bureau_viewer):
        html = host_client(public_host, who).get(round_page(city)).content.decode()
        assert 'id="evidence-note"' in html
        start = html.index('id="item-4.4.1"')
        block = html[start : html.index('id="item-4.4.2"')]
        assert "人员台账.pdf" in block and 'data-figures="staff"' in block
        assert "已完成上岗前培训的人员：3 人中 2 人" in block and "尚未完成上岗前培训：新同事" in block
        assert f"站长：{city.alpha_head.display_name}" in block
        assert 'form="figures-remove-' not in block  # the console never takes evidence off
        assert "须提供证明材料：人员台账及上岗前培训记录" in block

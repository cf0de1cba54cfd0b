"""The evaluation API. Station host: the current round, an item's self-assessment, an evidence upload, the submission
(the head writes, the staff read, nobody else gets in). Public host: a station's rounds, a round, an item's review,
the conclusion and the scheduling (bureau roles read, administrators write)."""

import datetime

import pytest
from django.utils import timezone
from drf_spectacular.drainage import GENERATOR_STATS
from drf_spectacular.generators import SchemaGenerator

from core.evaluation.models import EvaluationEvidence, EvaluationRound, RoundStatus
from core.evaluation.services import station_publish
from tenants.models import StationStatus
from tests.conftest import host_client
from tests.core.evaluation.builders import CODES, PDF, PNG, conclude, open_round, self_assess, submitted_round, upload

pytestmark = pytest.mark.django_db

CURRENT = "/api/v1/evaluation/"


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def rounds_path(station) -> str:
    return f"/api/v1/evaluation/stations/{station.pk}/rounds/"


# --- Station host -------------------------------------------------------------------------------------------------


def test_members_read_the_current_round_with_its_items(city, alpha_host):
    assert host_client(alpha_host, city.alpha_head).get(CURRENT).status_code == 404  # none yet
    open_round(city)
    for who in ("alpha_head", "alpha_staff"):
        body = host_client(alpha_host, getattr(city, who)).get(CURRENT).json()
        assert (body["number"], body["kind"], body["status"]) == (1, "initial", "open")
        assert [item["code"] for item in body["items"]] == CODES
        assert body["items"][0]["section_title"] == "选址要求" and body["score"] is None


@pytest.mark.clause("4.4.2")
def test_the_head_answers_uploads_and_submits(city, alpha_host, media):
    evaluation_round = open_round(city)
    head = host_client(alpha_host, city.alpha_head)
    response = head.post(f"{CURRENT}items/4.5a/evidence/", {"file": upload("岗位职责.pdf", PDF)})
    assert response.status_code == 201
    assert (response.json()["original_name"], response.json()["kind"]) == ("岗位职责.pdf", "pdf")
    stored = EvaluationEvidence.objects.get(pk=response.json()["id"]).file.name
    assert stored.startswith("evaluation/alpha/round-1/") and (media / stored).read_bytes() == PDF

    response = head.patch(
        f"{CURRENT}items/4.5a/", {"met": True, "note": "岗位职责已上墙"}, content_type="application/json"
    )
    assert response.status_code == 200
    assert (response.json()["self_met"], response.json()["self_note"]) == (True, "岗位职责已上墙")
    response = head.patch(f"{CURRENT}items/4.5a/", {"note": "已更新"}, content_type="application/json")
    assert (response.json()["self_met"], response.json()["self_note"]) == (True, "已更新")  # met left as it was

    response = head.post(f"{CURRENT}items/4.5a/evidence/", {"file": upload("fake.pdf", b"text, not a PDF")})
    assert response.status_code == 400 and list(response.json()) == ["file"]
    assert EvaluationEvidence.objects.count() == 1

    response = head.post(f"{CURRENT}submit/")
    assert response.status_code == 400
    assert set(response.json()) == {f"{code}.met" for code in CODES if code != "4.5a"}

    self_assess(evaluation_round, city.alpha_head)
    response = head.post(f"{CURRENT}submit/")
    assert response.status_code == 200 and response.json()["status"] == "submitted"
    response = head.patch(f"{CURRENT}items/4.5a/", {"met": False}, content_type="application/json")
    assert response.status_code == 400 and list(response.json()) == ["status"]


def test_an_oversize_upload_is_refused(city, alpha_host, settings):
    settings.EVALUATION_EVIDENCE_MAX_BYTES = 64
    open_round(city)
    response = host_client(alpha_host, city.alpha_head).post(
        f"{CURRENT}items/4.1.1/evidence/", {"file": upload("big.png", PNG + b"0" * 100)}
    )
    assert response.status_code == 400 and list(response.json()) == ["file"]


def test_the_staff_do_not_write(city, alpha_host):
    open_round(city)
    staff = host_client(alpha_host, city.alpha_staff)
    assert staff.patch(f"{CURRENT}items/4.1.1/", {"met": True}, content_type="application/json").status_code == 403
    assert staff.post(f"{CURRENT}items/4.1.1/evidence/", {"file": upload("a.pdf", PDF)}).status_code == 403
    assert staff.post(f"{CURRENT}submit/").status_code == 403
    assert not EvaluationEvidence.objects.exists()


@pytest.mark.parametrize("who", ["beta_head", "beta_staff", "bureau_admin", "outsider"])
def test_nobody_else_reaches_the_station_endpoints(city, alpha_host, who):
    open_round(city)
    client = host_client(alpha_host, getattr(city, who))
    assert client.get(CURRENT).status_code == 403
    assert client.patch(f"{CURRENT}items/4.1.1/", {"met": True}, content_type="application/json").status_code == 403
    assert client.post(f"{CURRENT}items/4.1.1/evidence/", {"file": upload("a.pdf", PDF)}).status_code == 403
    assert client.post(f"{CURRENT}submit/").status_code == 403
    assert host_client(alpha_host).get(CURRENT).status_code == 401


def test_an_item_not_of_the_round_does_not_exist(city, alpha_host):
    open_round(city)
    head = host_client(alpha_host, city.alpha_head)
    assert head.patch(f"{CURRENT}items/9.9.9/", {"met": True}, content_type="application/json").status_code == 404


# --- Public host --------------------------------------------------------------------------------------------------


def test_bureau_roles_list_a_stations_rounds_in_a_fixed_number_of_queries(city, public_host, django_assert_num_queries):
    conclude(
        city,
        submitted_round(city),
        "rectify",
        not_met=("4.2.1",),
        rectify_by=timezone.localdate() + datetime.timedelta(days=9),
    )
    viewer = host_client(public_host, city.bureau_viewer)
    viewer.get(rounds_path(city.alpha))  # the session and the user, loaded once
    with django_assert_num_queries(
        8
    ):  # session, user, the second factor, station (+ hosts), count, page; never per round
        body = viewer.get(rounds_path(city.alpha)).json()
    assert body["count"] == 2
    assert [(r["number"], r["kind"], r["status"], r["previous"]) for r in body["results"]] == [
        (2, "follow_up", "open", 1),
        (1, "initial", "concluded", None),
    ]
    assert (body["results"][1]["conclusion"], body["results"][1]["score"]) == (
        "rectify",
        95,
    )  # 44 of 46: an 应 item weighs 2
    detail = viewer.get(f"{rounds_path(city.alpha)}1/").json()
    assert [item["code"] for item in detail["items"]] == CODES
    not_met = next(item for item in detail["items"] if item["code"] == "4.2.1")
    assert (not_met["review_met"], not_met["remark"]) == (False, "未见相关材料")
    assert not_met["reviewed_by"] == city.bureau_admin.display_name
    assert viewer.get(f"{rounds_path(city.alpha)}5/").status_code == 404
    assert viewer.get("/api/v1/evaluation/stations/999999/rounds/").status_code == 404


@pytest.mark.clause("3")
def test_an_admin_reviews_concludes_and_schedules(city, public_host):
    evaluation_round = submitted_round(city)
    admin = host_client(public_host, city.bureau_admin)
    path = f"{rounds_path(city.alpha)}1/"
    response = admin.post(f"{path}conclude/", {"conclusion": "approved"}, content_type="application/json")
    assert response.status_code == 400 and set(response.json()) == {f"{code}.met" for code in CODES}
    response = admin.patch(f"{path}items/4.3.1/", {"met": False}, content_type="application/json")
    assert response.status_code == 400 and list(response.json()) == ["remark"]
    for code in CODES:
        response = admin.patch(f"{path}items/{code}/", {"met": True}, content_type="application/json")
        assert response.status_code == 200 and response.json()["review_met"] is True
    response = admin.post(
        f"{path}conclude/", {"conclusion": "approved", "summary": "符合"}, content_type="application/json"
    )
    assert response.status_code == 200
    assert (response.json()["conclusion"], response.json()["score"]) == ("approved", 100)
    evaluation_round.refresh_from_db()
    assert evaluation_round.status == RoundStatus.CONCLUDED

    station_publish(station=city.alpha, user=city.bureau_admin)
    due = timezone.localdate() + datetime.timedelta(days=30)
    response = admin.post(rounds_path(city.alpha), {"due_on": due.isoformat()}, content_type="application/json")
    assert response.status_code == 201 and response.json()["due_on"] == due.isoformat()
    assert EvaluationRound.objects.get(station=city.alpha, status=RoundStatus.SCHEDULED).due_on == due
    response = admin.post(rounds_path(city.alpha), {"due_on": "2001-01-01"}, content_type="application/json")
    assert response.status_code == 400 and list(response.json()) == ["due_on"]


def test_a_rejection_needs_its_reason_and_sends_the_station_back_to_draft(city, public_host):
    evaluation_round = submitted_round(city)
    admin = host_client(public_host, city.bureau_admin)
    path = f"{rounds_path(city.alpha)}1/"
    for code in CODES:
        admin.patch(
            f"{path}items/{code}/", {"met": code != "4.1.2", "remark": "不符合"}, content_type="application/json"
        )
    response = admin.post(f"{path}conclude/", {"conclusion": "rejected"}, content_type="application/json")
    assert response.status_code == 400 and list(response.json()) == ["summary"]
    response = admin.post(
        f"{path}conclude/", {"conclusion": "rejected", "summary": "消防不达标"}, content_type="application/json"
    )
    assert response.status_code == 200 and response.json()["conclusion"] == "rejected"
    city.alpha.refresh_from_db()
    assert city.alpha.status == StationStatus.DRAFT
    evaluation_round.refresh_from_db()
    assert evaluation_round.summary == "消防不达标"


def test_a_viewer_reads_but_does_not_write(city, public_host):
    evaluation_round = submitted_round(city)
    viewer = host_client(public_host, city.bureau_viewer)
    path = f"{rounds_path(city.alpha)}1/"
    assert viewer.get(path).status_code == 200
    assert viewer.patch(f"{path}items/4.1.1/", {"met": True}, content_type="application/json").status_code == 403
    assert (
        viewer.post(f"{path}conclude/", {"conclusion": "approved"}, content_type="application/json").status_code == 403
    )
    assert (
        viewer.post(rounds_path(city.alpha), {"due_on": "2030-01-01"}, content_type="application/json").status_code
        == 403
    )
    evaluation_round.refresh_from_db()
    assert evaluation_round.status == RoundStatus.SUBMITTED
    assert not evaluation_round.items.filter(review_met__isnull=False).exists()


@pytest.mark.parametrize("who", ["alpha_head", "alpha_staff", "outsider"])
def test_station_members_and_outsiders_get_nothing_of_the_bureau_endpoints(city, public_host, alpha_host, who):
    submitted_round(city)
    client = host_client(public_host, getattr(city, who))
    path = f"{rounds_path(city.alpha)}1/"
    assert client.get(rounds_path(city.alpha)).status_code == 403
    assert client.get(path).status_code == 403
    assert client.patch(f"{path}items/4.1.1/", {"met": True}, content_type="application/json").status_code == 403
    assert (
        client.post(f"{path}conclude/", {"conclusion": "approved"}, content_type="application/json").status_code == 403
    )
    assert host_client(public_host).get(rounds_path(city.alpha)).status_code in {401, 403}
    assert (
        host_client(alpha_host, getattr(city, who) if who != "outsider" else city.alpha_head)
        .get(rounds_path(city.alpha))
        .status_code
        == 404
    )  # not an endpoint of station hosts


def test_the_schemas_describe_the_evaluation_endpoints_without_warnings():
    with GENERATOR_STATS.silence():
        public = SchemaGenerator(urlconf="stationnet.urls_public").get_schema(request=None, public=True)
        station = SchemaGenerator(urlconf="stationnet.urls_station").get_schema(request=None, public=True)
    assert not GENERATOR_STATS, (dict(GENERATOR_STATS._warn_cache), dict(GENERATOR_STATS._error_cache))
    assert {
        "/api/v1/evaluation/stations/{id}/rounds/",
        "/api/v1/evaluation/stations/{id}/rounds/{number}/",
        "/api/v1/evaluation/stations/{id}/rounds/{number}/items/{code}/",
        "/api/v1/evaluation/stations/{id}/rounds/{number}/conclude/",
    } <= set(public["paths"])
    assert {
        "/api/v1/evaluation/",
        "/api/v1/evaluation/items/{code}/",
        "/api/v1/evaluation/items/{code}/evidence/",
        "/api/v1/evaluation/items/{code}/figures/",
        "/api/v1/evaluation/submit/",
    } <= set(station["paths"])


@pytest.mark.clause("4.4.1")
@pytest.mark.clause("4.2.1")
def test_met_needs_evidence_and_the_head_attaches_the_operations_figures(city, alpha_host, public_host):
    open_round(city)
    head = host_client(alpha_host, city.alpha_head)
    item = next(item for item in head.get(CURRENT).json()["items"] if item["code"] == "4.2.1")
    assert (item["evidence_required"], item["evidence_kind"], item["evidence_kind_display"]) == (
        True,
        "photos",
        "现场照片",
    )
    assert (item["figures_source"], item["figures"], item["figures_summary"]) == ("", None, [])

    response = head.patch(f"{CURRENT}items/4.2.1/", {"met": True}, content_type="application/json")
    assert response.status_code == 400 and list(response.json()) == ["met"]
    assert "现场照片" in response.json()["met"][0]
    response = head.post(f"{CURRENT}items/4.2.1/figures/")
    assert response.status_code == 400 and list(response.json()) == ["figures"]

    response = head.patch(f"{CURRENT}items/4.4.1/", {"met": True}, content_type="application/json")
    assert response.status_code == 400 and list(response.json()) == ["met"]
    assert host_client(alpha_host, city.alpha_staff).post(f"{CURRENT}items/4.4.1/figures/").status_code == 403
    response = head.post(f"{CURRENT}items/4.4.1/figures/")
    assert response.status_code == 200
    body = response.json()
    assert (body["figures"]["source"], body["figures"]["cleared"], body["figures"]["members"]) == ("staff", 2, 3)
    assert body["figures_summary"][0] == "已完成上岗前培训的人员：3 人中 2 人"
    assert body["figures_taken_by"] == city.alpha_head.display_name and body["figures_taken_at"]
    response = head.patch(f"{CURRENT}items/4.4.1/", {"met": True}, content_type="application/json")
    assert response.status_code == 200 and response.json()["self_met"] is True

    # The bureau reads the same snapshot; the head takes it off only once the item no longer needs it.
    detail = host_client(public_host, city.bureau_viewer).get(f"{rounds_path(city.alpha)}1/").json()
    staff = next(item for item in detail["items"] if item["code"] == "4.4.1")
    assert staff["figures"] == body["figures"] and staff["figures_summary"] == body["figures_summary"]
    response = head.delete(f"{CURRENT}items/4.4.1/figures/")
    assert response.status_code == 400 and list(response.json()) == ["figures"]
    head.patch(f"{CURRENT}items/4.4.1/", {"met": False}, content_type="application/json")
    response = head.delete(f"{CURRENT}items/4.4.1/figures/")
    assert response.status_code == 200 and response.json()["figures"] is None

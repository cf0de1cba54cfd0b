"""Objections to a publication seen from outside (公示异议, clause 3, issue 20): the form on the station's portal page
while the notice runs (what was typed kept on a refusal, a thanks page), the console's list and handling form for the
bureau, and what the portal and the open data publish of the outcomes — never who objected."""

import csv
import datetime
import io
import json

import pytest
from django.utils import timezone

from core.evaluation.models import ObjectionState, PublicationObjection, PublicationOutcome, PublicationState
from core.evaluation.services import objection_create, objection_form_stamp, objection_handle, station_publish
from tenants.models import StationPublication, StationStatus
from tests.conftest import host_client
from tests.core.evaluation.test_publication import prepare
from tests.factories import approved_round

pytestmark = pytest.mark.django_db

CONTACT = {"name": "王五", "phone": "13987654321", "email": "wangwu@example.test"}


@pytest.fixture(autouse=True)
def quick_forms(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.SUPERVISION_FORM_MIN_SECONDS = 0  # the test sends the form at once


@pytest.fixture
def publication(city) -> StationPublication:
    return station_publish(station=prepare(city.alpha, approved_by=city.bureau_admin), user=city.bureau_admin)


def form(**fields) -> dict:
    return {**CONTACT, "text": "公示的服务项目该站并不提供。", "website": "", "stamp": objection_form_stamp()} | fields


def raise_objection(publication, **fields) -> PublicationObjection:
    values = {**CONTACT, "text": "公示的服务项目该站并不提供。"} | fields
    return objection_create(publication=publication, client_address="203.0.113.9", **values)


@pytest.mark.clause("3")
def test_a_visitor_objects_on_the_station_page_during_the_notice(city, public_host, publication):
    client = host_client(public_host)
    page = client.get("/stations/alpha/").content.decode()
    assert 'id="objection-form"' in page and 'data-publication-state="notice"' in page

    response = client.post("/stations/alpha/", form())
    assert response.status_code == 302 and response["Location"] == "/stations/alpha/objection/thanks/"
    raised = PublicationObjection.objects.get()
    assert (raised.publication, raised.name, raised.phone, raised.state) == (
        publication,
        "王五",
        "13987654321",
        ObjectionState.RECEIVED,
    )
    thanks = client.get(response["Location"]).content.decode()
    assert 'id="objection-thanks"' in thanks and 'href="/stations/alpha/"' in thanks
    # The page counts it (being handled), but shows nobody's name or contact.
    page = client.get("/stations/alpha/").content.decode()
    assert "王五" not in page and "13987654321" not in page and "wangwu@" not in page
    assert 'class="muted objection-counts"' in page


@pytest.mark.clause("3")
def test_a_refused_objection_comes_back_in_chinese_with_what_was_typed(city, public_host, publication):
    client = host_client(public_host)
    response = client.post("/stations/alpha/", form(phone="12345", email="", text="所公示地址与实际不符"))
    assert response.status_code == 400
    page = response.content.decode()
    assert "所公示地址与实际不符" in page and 'value="王五"' in page and 'value="12345"' in page
    assert 'id="id_phone_error"' in page and "不是可以联系到的电话号码" in page
    assert not PublicationObjection.objects.exists()


@pytest.mark.clause("3")
def test_the_objection_form_is_rate_limited(city, public_host, publication, settings):
    settings.PUBLICATION_OBJECTIONS_PER_HOUR = 1
    client = host_client(public_host)
    assert client.post("/stations/alpha/", form()).status_code == 302
    response = client.post("/stations/alpha/", form(text="第二条异议"))
    assert response.status_code == 400
    page = response.content.decode()
    assert 'id="objection-errors"' in page and "过去一小时" in page and "第二条异议" in page
    assert PublicationObjection.objects.count() == 1


@pytest.mark.clause("3")
def test_after_the_notice_there_is_no_form_and_a_late_objection_is_refused(city, public_host, publication):
    client = host_client(public_host)
    stamp = form()
    StationPublication.objects.filter(pk=publication.pk).update(
        notice_until=timezone.now() - datetime.timedelta(minutes=1)
    )
    page = client.get("/stations/alpha/").content.decode()
    assert 'id="objection-form"' not in page and 'data-publication-state="closing"' in page
    response = client.post("/stations/alpha/", stamp)
    assert response.status_code == 400 and "不再受理异议" in response.content.decode()
    assert not PublicationObjection.objects.exists()


@pytest.mark.clause("3")
def test_the_portal_shows_handled_outcomes_with_their_reasons_and_the_state(city, public_host, publication):
    dismissed = raise_objection(publication)
    objection_handle(
        objection=dismissed, user=city.bureau_admin, state="dismissed", reason="经现场核查，服务项目属实。"
    )
    StationPublication.objects.filter(pk=publication.pk).update(
        notice_until=timezone.now() - datetime.timedelta(minutes=1)
    )
    PublicationOutcome.objects.filter(publication=publication).update(
        state=PublicationState.FINAL, final_at=timezone.now() - datetime.timedelta(minutes=1)
    )
    page = host_client(public_host).get("/stations/alpha/").content.decode()
    assert 'data-publication-state="final"' in page and "已生效" in page
    assert 'data-objection-state="dismissed"' in page and "经现场核查，服务项目属实。" in page
    assert "王五" not in page and "13987654321" not in page


@pytest.mark.clause("3")
def test_the_open_data_carries_every_publication_with_its_outcomes_and_no_contact(city, public_host, publication):
    upheld = raise_objection(publication)
    objection_handle(objection=upheld, user=city.bureau_admin, state="upheld", reason="设备未到位。")
    # Evaluated again, approved and published anew (the withdrawn publication stays in the history).
    approved_round(city.alpha, city.bureau_admin)
    latest = station_publish(station=city.alpha, user=city.bureau_admin)
    dismissed = raise_objection(latest, name="赵六", phone="024-72345678", email="")
    objection_handle(objection=dismissed, user=city.bureau_admin, state="dismissed", reason="异议不属实。")
    raise_objection(latest, name="钱七", email="qian@example.test", phone="")  # still waiting

    client = host_client(public_host)
    text = client.get("/open-data/stations.json").content.decode()
    for contact in ("王五", "赵六", "钱七", "13987654321", "024-72345678", "wangwu@", "qian@"):
        assert contact not in text
    (alpha,) = [row for row in json.loads(text)["stations"] if row["code"] == "alpha"]
    assert alpha["publication_state"] == "notice"
    assert (alpha["objections_received"], alpha["objections_dismissed"], alpha["objections_pending"]) == (2, 1, 1)
    newest, withdrawn = alpha["publication_history"]
    assert newest["state"] == "notice" and newest["objections"] == {
        "received": 2,
        "upheld": 0,
        "dismissed": 1,
        "pending": 1,
    }
    assert [(o["outcome"], o["reason"]) for o in newest["outcomes"]] == [("dismissed", "异议不属实。")]
    assert withdrawn["state"] == "withdrawn" and withdrawn["withdrawn_at"] and not withdrawn["final_at"]
    assert [(o["outcome"], o["reason"]) for o in withdrawn["outcomes"]] == [("upheld", "设备未到位。")]
    assert set(withdrawn["outcomes"][0]) == {"received_at", "outcome", "reason", "handled_at"}

    csv_text = client.get("/open-data/stations.csv").content.decode("utf-8-sig")
    for contact in ("王五", "赵六", "钱七", "13987654321", "wangwu@", "qian@"):
        assert contact not in csv_text
    (row,) = [row for row in csv.DictReader(io.StringIO(csv_text)) if row["code"] == "alpha"]
    assert json.loads(row["publication_history"]) == alpha["publication_history"]
    assert (row["publication_state"], row["objections_upheld"]) == ("notice", "0")


# --- The console -----------------------------------------------------------------------------------------------------


@pytest.mark.clause("3")
def test_the_bureau_lists_objections_waiting_first_and_an_admin_upholds_one(city, public_host, publication):
    first = raise_objection(publication)
    objection_handle(objection=first, user=city.bureau_admin, state="dismissed", reason="不成立。")
    waiting = raise_objection(publication, name="孙八")
    admin = host_client(public_host, city.bureau_admin)
    listing = admin.get("/console/objections/").content.decode()
    assert listing.index(f'data-objection="{waiting.pk}"') < listing.index(f'data-objection="{first.pk}"')

    page = admin.get(f"/console/objections/{waiting.pk}/").content.decode()
    assert 'id="objection-handling-form"' in page and "孙八" in page and "13987654321" in page
    refused = admin.post(f"/console/objections/{waiting.pk}/", {"state": "upheld", "reason": ""})
    assert refused.status_code == 400 and "理由将与处理结果一并公开" in refused.content.decode()
    response = admin.post(f"/console/objections/{waiting.pk}/", {"state": "upheld", "reason": "公示内容不实。"})
    assert response.status_code == 302
    waiting.refresh_from_db()
    city.alpha.refresh_from_db()
    assert waiting.state == ObjectionState.UPHELD and city.alpha.status == StationStatus.EVALUATING
    # The station left the portal (under evaluation again).
    assert host_client(public_host).get("/stations/alpha/").status_code == 404


@pytest.mark.clause("3")
def test_the_viewer_reads_but_does_not_handle_and_others_are_refused(city, public_host, publication):
    raised = raise_objection(publication)
    viewer = host_client(public_host, city.bureau_viewer)
    page = viewer.get(f"/console/objections/{raised.pk}/").content.decode()
    assert 'id="objection-handling-form"' not in page and 'id="handling-read-only"' in page
    assert viewer.post(f"/console/objections/{raised.pk}/", {"state": "upheld", "reason": "x"}).status_code == 403
    for user in (city.alpha_head, city.outsider):
        client = host_client(public_host, user)
        assert client.get("/console/objections/").status_code == 403
        assert client.get(f"/console/objections/{raised.pk}/").status_code == 403
    assert host_client(public_host).get("/console/objections/")["Location"].startswith("/accounts/login/")
    raised.refresh_from_db()
    assert raised.state == ObjectionState.RECEIVED
    assert host_client(public_host, city.bureau_admin).get("/console/objections/999999/").status_code == 404

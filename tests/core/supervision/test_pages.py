"""Public supervision's pages (clause 6.1): the public opinion page open to anyone (spam guard, rate limit, photo
refusal keeping what was typed, published results), the staff pages for members only, the QR code, the portal link."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django_tenants.utils import schema_context

from core.supervision import services
from core.supervision.models import Opinion
from tests.conftest import host_client
from tests.core.supervision.builders import PNG, public_form, stamp_ago


def text(response) -> str:
    return response.content.decode()


def opinions(city) -> list[Opinion]:
    with schema_context(city.alpha.schema_name):
        return list(Opinion.objects.order_by("id"))


@pytest.mark.clause("6.1")
def test_anyone_sends_an_opinion_anonymously_on_the_public_page(city, published, alpha_host):
    visitor = host_client(alpha_host)
    page = visitor.get("/feedback/")
    assert page.status_code == 200 and 'name="stamp"' in text(page) and 'name="website"' in text(page)
    response = visitor.post("/feedback/", public_form())
    # A complaint: the thanks page gives its reference and tracking link (tests/platform/portal/test_complaint_tracking.py).
    assert response.status_code == 302 and response["Location"].startswith("/feedback/thanks/?complaint=")
    (opinion,) = opinions(city)
    assert (opinion.channel, opinion.kind, opinion.anonymous) == ("web", "complaint", True)
    assert visitor.get("/feedback/thanks/").status_code == 200


def test_the_honeypot_and_a_too_fast_form_are_refused_and_what_was_typed_stays(city, published, alpha_host):
    visitor = host_client(alpha_host)
    response = visitor.post("/feedback/", public_form(website="http://spam.example"))
    assert response.status_code == 400 and "窗口人员态度生硬" in text(response)
    response = visitor.post("/feedback/", public_form(stamp=stamp_ago(0)))
    assert response.status_code == 400 and "窗口人员态度生硬" in text(response)
    response = visitor.post("/feedback/", public_form(stamp="forged"))
    assert response.status_code == 400
    assert opinions(city) == []


def test_the_rate_limit_refuses_in_chinese_and_keeps_the_text(city, published, alpha_host, settings):
    settings.SUPERVISION_SUBMISSIONS_PER_HOUR = 1
    visitor = host_client(alpha_host)
    assert visitor.post("/feedback/", public_form()).status_code == 302
    response = visitor.post("/feedback/", public_form(text="第二条意见"))
    assert response.status_code == 400
    assert "过去一小时" in text(response) and "第二条意见" in text(response)
    assert len(opinions(city)) == 1


def test_behind_the_ingress_the_limit_counts_the_address_it_saw_not_one_the_client_wrote(
    city, published, alpha_host, settings
):
    settings.SUPERVISION_SUBMISSIONS_PER_HOUR = 1
    settings.TRUSTED_PROXY_HOPS = 1
    visitor = host_client(alpha_host)
    # Every request reaches the web pod from the Ingress (REMOTE_ADDR); the Ingress appends the client's address.
    ingress = {"REMOTE_ADDR": "10.0.0.5"}
    assert visitor.post("/feedback/", public_form(), HTTP_X_FORWARDED_FOR="203.0.113.7", **ingress).status_code == 302
    # Another visitor behind the same Ingress is not refused for the first one's opinion.
    other = visitor.post("/feedback/", public_form(), HTTP_X_FORWARDED_FOR="198.51.100.9", **ingress)
    assert other.status_code == 302
    # The first visitor cannot get round the limit by writing an address of their own in front.
    forged = visitor.post("/feedback/", public_form(), HTTP_X_FORWARDED_FOR="192.0.2.1, 203.0.113.7", **ingress)
    assert forged.status_code == 400
    assert len(opinions(city)) == 2


def test_a_refused_photo_is_said_on_its_field_and_the_rest_is_kept(city, published, alpha_host):
    visitor = host_client(alpha_host)
    script = SimpleUploadedFile("photo.jpg", b"MZ\x90\x00 not a photo", content_type="image/jpeg")
    response = visitor.post(
        "/feedback/", public_form(photo=script, anonymous="", name="王五", phone="13900000000", text="门口无坡道")
    )
    body = text(response)
    assert response.status_code == 400
    assert "photo.jpg" in body and "王五" in body and "13900000000" in body and "门口无坡道" in body
    assert opinions(city) == []
    photo = SimpleUploadedFile("photo.png", PNG, content_type="image/png")
    response = visitor.post("/feedback/", public_form(photo=photo))
    assert response.status_code == 302 and opinions(city)[0].photo_kind == "png"


@pytest.mark.clause("6.1")
def test_the_public_page_shows_published_results_only(city, published, alpha_host):
    with schema_context(city.alpha.schema_name):
        shown = services.opinion_submit_public(client_address="x", kind="suggestion", text="私密的意见内容")
        services.opinion_answer(opinion=shown, user=city.alpha_staff, answer="已采纳")
        services.opinion_publish(opinion=shown, user=city.alpha_staff, public_result="已增加周六值班")
        services.opinion_submit_public(client_address="x", kind="suggestion", text="未公开的意见")
    body = text(host_client(alpha_host).get("/feedback/"))
    assert "已增加周六值班" in body
    assert "私密的意见内容" not in body and "未公开的意见" not in body


def test_a_draft_station_has_no_public_page(city, alpha_host):
    assert host_client(alpha_host).get("/feedback/").status_code == 404


@pytest.mark.clause("6.1")
def test_staff_work_an_opinion_from_the_pages(city, published, alpha_host):
    with schema_context(city.alpha.schema_name):
        opinion = services.opinion_submit_public(client_address="x", kind="complaint", text="收费不透明")
    staff = host_client(alpha_host, city.alpha_staff)
    url = f"/supervision/{opinion.pk}/"
    assert staff.get(url).status_code == 200
    assert staff.post(url, {"action": "classify", "kind": "complaint", "topic": "information"}).status_code == 302
    response = staff.post(url, {"action": "answer", "answer": ""})
    assert response.status_code == 400
    assert staff.post(url, {"action": "answer", "answer": "本站服务免费"}).status_code == 302
    response = staff.post(
        url, {"action": "plan", "what": "公示免费标识", "owner": city.alpha_staff.pk, "due_on": "2099-01-01"}
    )
    assert response.status_code == 302
    with schema_context(city.alpha.schema_name):
        plan = opinion.plans.get()
    assert staff.post(url, {"action": "done", "plan": plan.pk, "result": "已张贴"}).status_code == 302
    assert staff.post(url, {"action": "publish", "public_result": ""}).status_code == 302
    assert staff.post(url, {"action": "close"}).status_code == 302
    response = staff.post(url, {"action": "complaint"})
    assert response.status_code == 302 and response["Location"].startswith("/complaints/")
    with schema_context(city.alpha.schema_name):
        opinion.refresh_from_db()
        assert (opinion.state, opinion.topic, opinion.public_result) == ("closed", "information", "已张贴")
        assert opinion.complaint.subject == "收费不透明"
    listing = staff.get("/supervision/?state=closed")
    assert listing.status_code == 200 and f'data-opinion="{opinion.pk}"' in text(listing)


@pytest.mark.clause("6.1")
def test_staff_log_an_opinion_taken_by_phone(city, alpha_host):
    staff = host_client(alpha_host, city.alpha_staff)
    response = staff.post(
        "/supervision/new/", {"channel": "phone", "kind": "suggestion", "text": "希望延长时间", "anonymous": "on"}
    )
    assert response.status_code == 302
    (opinion,) = opinions(city)
    assert (opinion.channel, opinion.logged_by_id) == ("phone", city.alpha_staff.pk)
    response = staff.post("/supervision/new/", {"channel": "phone", "kind": "suggestion", "text": "x", "case": "NO-1"})
    assert response.status_code == 400


@pytest.mark.clause("6.1")
def test_the_qr_code_holds_the_public_page_address(city, alpha_host):
    staff = host_client(alpha_host, city.alpha_staff)
    page = staff.get("/supervision/qr/")
    assert page.status_code == 200 and "<svg" in text(page) and f"{alpha_host}" in text(page)
    image = staff.get("/supervision/qr.svg")
    assert image.status_code == 200 and image["Content-Type"] == "image/svg+xml"


@pytest.mark.clause("6.1")
def test_the_portal_links_the_station_feedback_page(city, published, public_host):
    body = text(host_client(public_host).get(f"/stations/{city.alpha.code}/"))
    assert f"{city.alpha.code}." in body and "/feedback/" in body


def test_the_staff_pages_are_for_members_only(city, published, alpha_host):
    with schema_context(city.alpha.schema_name):
        opinion = services.opinion_submit_public(client_address="x", kind="other", text="x")
    paths = [
        "/supervision/",
        "/supervision/new/",
        "/supervision/qr/",
        "/supervision/qr.svg",
        f"/supervision/{opinion.pk}/",
    ]
    for path in paths:
        assert host_client(alpha_host).get(path).status_code == 302  # to sign-in
        for user in (city.outsider, city.beta_staff, city.bureau_admin):
            assert host_client(alpha_host, user).get(path).status_code == 403, (path, user)
    # "Not yours" answers like "does not exist": beta's members find no alpha opinion on their own host.
    beta = host_client(f"{city.beta.code}.{alpha_host.split('.', 1)[1]}", city.beta_staff)
    assert beta.get(f"/supervision/{opinion.pk}/").status_code == 404


def test_the_opinion_list_takes_a_fixed_number_of_queries(city, alpha_host, django_assert_max_num_queries):
    with schema_context(city.alpha.schema_name):
        for number in range(5):
            services.opinion_log(user=city.alpha_staff, channel="phone", kind="suggestion", text=f"意见{number}")
    staff = host_client(alpha_host, city.alpha_staff)
    staff.get("/supervision/")
    with django_assert_max_num_queries(12):
        assert staff.get("/supervision/").status_code == 200

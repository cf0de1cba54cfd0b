"""The complainant's tracking page (clause 6.5): on the station's host, no sign-in, a signed link; it shows the
complaint's reference, its state in plain words, its deadlines, the response once given and the escalation to the
bureau, and never the staff's names or another complaint. A link that is not right gets the demand tracking's plain
404 page. The public form's thanks page gives a complaint's reference number and link."""

from urllib.parse import urlsplit

import pytest
from django_tenants.utils import schema_context

from core.complaints import services, tracking
from core.complaints.models import Complaint
from core.desk import services as desk_services
from tenants.hosts import station_host
from tests.conftest import host_client
from tests.core.desk.builders import new_enterprise, take_demand
from tests.core.supervision.builders import public_form

SUBJECT = "窗口人员态度生硬，材料来回退了三次"


def _path(url: str) -> str:
    return urlsplit(url).path


@pytest.fixture
def complaint(city) -> Complaint:
    with schema_context(city.alpha.schema_name):
        return services.complaint_create(
            user=city.alpha_staff,
            channel="phone",
            subject=SUBJECT,
            complainant_name="赵六",
            complainant_phone="13912345678",
        )


def _link(city, complaint) -> str:
    with schema_context(city.alpha.schema_name):
        return _path(tracking.complaint_tracking_url(complaint=complaint))


def _step(city, complaint, to, **extra) -> Complaint:
    with schema_context(city.alpha.schema_name):
        complaint = Complaint.objects.get(pk=complaint.pk)
        return services.complaint_transition(complaint=complaint, user=city.alpha_staff, to=to, **extra)


@pytest.mark.clause("6.5")
def test_the_tracking_page_shows_the_state_deadlines_response_and_escalation(city, alpha_host, complaint):
    with schema_context(city.alpha.schema_name):
        other = services.complaint_create(user=city.alpha_staff, channel="phone", subject="另一件投诉不应出现")
    visitor = host_client(alpha_host)
    page = visitor.get(_link(city, complaint))
    text = page.content.decode()
    assert page.status_code == 200 and complaint.reference in text and SUBJECT in text
    assert 'data-state="received"' in text and "已收到" in text
    assert complaint.response_due_at.astimezone().strftime("%Y-%m-%d") in text
    assert other.subject not in text and other.reference not in text
    assert city.alpha_staff.display_name not in text and str(city.alpha_staff) not in text
    assert "no-cache" in page["Cache-Control"] or page["Cache-Control"].startswith("max-age=0")

    _step(city, complaint, "acknowledged")
    _step(city, complaint, "investigating", text="内部备注：调取监控")
    text = visitor.get(_link(city, complaint)).content.decode()
    assert 'data-state="investigating"' in text and "内部备注" not in text and 'id="complaint-response"' not in text
    _step(city, complaint, "responded", text="已向您致歉，并对窗口人员进行培训")
    with schema_context(city.alpha.schema_name):
        services.complaint_escalate(
            complaint=Complaint.objects.get(pk=complaint.pk), user=city.alpha_head, reason="内部原因：不满意"
        )
    text = visitor.get(_link(city, complaint)).content.decode()
    assert 'data-state="responded"' in text and "已向您致歉" in text
    assert 'id="complaint-escalated"' in text and "市场监督管理局" in text and "内部原因" not in text


@pytest.mark.clause("6.5")
def test_a_tampered_or_foreign_link_gets_the_plain_not_valid_page(city, alpha_host, public_host, complaint):
    path = _link(city, complaint)
    tampered = path[:-3] + ("a" if path[-3] != "a" else "b") + path[-2:]
    page = host_client(alpha_host).get(tampered)
    assert page.status_code == 404 and "链接无效" in page.content.decode()
    assert complaint.reference not in page.content.decode()
    # The same page as a tampered demand link.
    demand_page = host_client(alpha_host).get("/track/nothing:forged/")
    assert demand_page.status_code == 404 and page.content == demand_page.content
    # Another station's host, the public host, a demand's token on the complaint's path: the same.
    assert host_client(station_host(city.beta.code)).get(path).status_code == 404
    assert host_client(public_host).get(path).status_code == 404
    with schema_context(city.alpha.schema_name):
        demand = take_demand(city, new_enterprise(name="跟踪测试阀门有限公司"), phone="13800001111")
        demand_token = desk_services.tracking_token(demand=demand)
    assert host_client(alpha_host).get(f"/track/complaint/{demand_token}/").status_code == 404
    token = path.rstrip("/").rsplit("/", 1)[1]
    assert host_client(alpha_host).get(f"/track/{token}/").status_code == 404  # nor a complaint's on a demand's


@pytest.mark.clause("6.5")
def test_the_thanks_page_gives_a_complaints_reference_and_tracking_link(city, published, alpha_host):
    visitor = host_client(alpha_host)
    response = visitor.post("/feedback/", public_form())
    assert response.status_code == 302 and response["Location"].startswith("/feedback/thanks/?complaint=")
    with schema_context(city.alpha.schema_name):
        complaint = Complaint.objects.get()
        link = tracking.complaint_tracking_url(complaint=complaint)
    thanks = visitor.get(response["Location"]).content.decode()
    assert complaint.reference in thanks and link in thanks
    assert visitor.get(_path(link)).status_code == 200
    # A suggestion gets the plain thanks; a forged parameter shows nothing.
    response = visitor.post("/feedback/", public_form(kind="suggestion", text="建议增加座椅"))
    assert response["Location"] == "/feedback/thanks/"
    forged = visitor.get("/feedback/thanks/?complaint=forged").content.decode()
    assert 'id="complaint-reference"' not in forged and 'id="thanks"' in forged

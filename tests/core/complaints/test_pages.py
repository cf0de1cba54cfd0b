"""The complaint pages of a station host (clause 6.5) and the bureau's escalations in the console (GB/T 19013)."""

import pytest
from django_tenants.utils import schema_context

from core.complaints import services
from core.complaints.models import Complaint
from core.escalations.models import Escalation
from tests.conftest import host_client
from tests.core.referrals.builders import deliver_all


def text(response) -> str:
    return response.content.decode()


@pytest.mark.clause("6.5")
def test_staff_walk_a_complaint_through_its_steps_on_the_page(city, alpha_host):
    staff = host_client(alpha_host, city.alpha_staff)
    response = staff.post(
        "/complaints/new/", {"channel": "phone", "subject": "咨询无人回复", "complainant_name": "孙八"}
    )
    assert response.status_code == 302
    with schema_context(city.alpha.schema_name):
        complaint = Complaint.objects.get()
    url = f"/complaints/{complaint.pk}/"
    page = staff.get(url)
    assert page.status_code == 200 and 'id="step-acknowledged"' in text(page)
    for version, (to, extra) in enumerate(
        [("acknowledged", {}), ("investigating", {}), ("responded", {"text": "已安排专人回复"})], start=1
    ):
        assert staff.post(url, {"to": to, "version": version, **extra}).status_code == 302
    refused = staff.post(url, {"to": "closed", "version": 4, "feedback": ""})
    assert refused.status_code == 400
    assert staff.post(url, {"to": "closed", "version": 4, "feedback": "not_satisfied"}).status_code == 302
    assert staff.post(url, {"action": "escalate", "reason": ""}).status_code == 400
    assert staff.post(url, {"action": "escalate", "reason": "投诉人仍不满意"}).status_code == 302
    page = text(staff.get(url))
    assert 'data-state="closed"' in page and 'id="escalated"' in page
    listing = staff.get("/complaints/?escalated=true")
    assert f'data-complaint="{complaint.pk}"' in text(listing)


@pytest.mark.clause("6.5")
def test_the_bureau_sees_escalations_city_wide_and_an_administrator_records_the_handling(city, public_host):
    with schema_context(city.beta.schema_name):
        complaint = services.complaint_create(user=city.beta_staff, channel="phone", subject="开原的投诉")
        for to, extra in (("acknowledged", {}), ("investigating", {}), ("responded", {"text": "答复"})):
            complaint = services.complaint_transition(complaint=complaint, user=city.beta_staff, to=to, **extra)
        services.complaint_escalate(complaint=complaint, user=city.beta_head, reason="争议未解决")
    deliver_all(city)
    escalation = Escalation.objects.get(uid=complaint.uid)
    viewer = host_client(public_host, city.bureau_viewer)
    assert "开原的投诉" in text(viewer.get("/console/escalations/"))
    url = f"/console/escalations/{escalation.pk}/"
    assert viewer.get(url).status_code == 200
    assert viewer.post(url, {"handling": "x"}).status_code == 403
    admin = host_client(public_host, city.bureau_admin)
    assert admin.post(url, {"handling": ""}).status_code == 400
    assert admin.post(url, {"handling": "已调解，双方达成一致"}).status_code == 302
    deliver_all(city)
    with schema_context(city.beta.schema_name):
        complaint.refresh_from_db()
    assert complaint.bureau_handling == "已调解，双方达成一致"
    page = text(host_client(f"{city.beta.code}.{public_host}", city.beta_staff).get(f"/complaints/{complaint.pk}/"))
    assert "已调解，双方达成一致" in page


def test_complaint_pages_are_for_members_and_the_console_for_bureau_roles(city, alpha_host, public_host):
    with schema_context(city.alpha.schema_name):
        complaint = services.complaint_create(user=city.alpha_staff, channel="phone", subject="x")
    for path in ("/complaints/", "/complaints/new/", f"/complaints/{complaint.pk}/"):
        assert host_client(alpha_host).get(path).status_code == 302
        for user in (city.outsider, city.beta_staff, city.bureau_admin):
            assert host_client(alpha_host, user).get(path).status_code == 403
    beta = host_client(f"{city.beta.code}.{public_host}", city.beta_staff)
    assert beta.get(f"/complaints/{complaint.pk}/").status_code == 404
    for user in (city.outsider, city.alpha_head):
        assert host_client(public_host, user).get("/console/escalations/").status_code == 403
    assert host_client(alpha_host, city.alpha_head).get("/console/escalations/").status_code == 404


def test_the_complaint_list_takes_a_fixed_number_of_queries(city, alpha_host, django_assert_max_num_queries):
    with schema_context(city.alpha.schema_name):
        for number in range(5):
            services.complaint_create(user=city.alpha_staff, channel="phone", subject=f"投诉{number}")
    staff = host_client(alpha_host, city.alpha_staff)
    staff.get("/complaints/")
    with django_assert_max_num_queries(12):
        assert staff.get("/complaints/").status_code == 200

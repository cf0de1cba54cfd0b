"""API of public supervision (clause 6.1) and complaints (clause 6.5) on a station host: lists, details, actions,
and who is refused."""

import pytest
from django_tenants.utils import schema_context

from core.complaints import services as complaint_services
from core.supervision import services
from tests.conftest import host_client


@pytest.fixture
def opinion(city):
    with schema_context(city.alpha.schema_name):
        return services.opinion_submit_public(client_address="x", kind="complaint", text="办事效率低")


@pytest.fixture
def complaint(city):
    with schema_context(city.alpha.schema_name):
        return complaint_services.complaint_create(user=city.alpha_staff, channel="phone", subject="电话打不通")


@pytest.mark.clause("6.1")
def test_opinions_are_listed_read_and_worked_through_the_api(city, alpha_host, opinion):
    staff = host_client(alpha_host, city.alpha_staff)
    listing = staff.get("/api/v1/supervision/opinions/?kind=complaint")
    assert listing.status_code == 200 and [row["id"] for row in listing.json()["results"]] == [opinion.pk]
    url = f"/api/v1/supervision/opinions/{opinion.pk}/"
    assert staff.post(url, {"action": "answer", "answer": ""}, content_type="application/json").status_code == 400
    response = staff.post(url, {"action": "answer", "answer": "已改进"}, content_type="application/json")
    assert response.status_code == 200 and response.json()["state"] == "answered"
    response = staff.post(url, {"action": "publish"}, content_type="application/json")
    assert response.json()["published"] is True and response.json()["public_result"] == "已改进"


@pytest.mark.clause("6.5")
def test_complaints_move_through_the_api(city, alpha_host, complaint):
    staff = host_client(alpha_host, city.alpha_staff)
    url = f"/api/v1/complaints/{complaint.pk}/"
    body = staff.get(url).json()
    assert body["state"] == "received" and body["acknowledge_overdue"] is False and len(body["events"]) == 1
    response = staff.post(f"{url}transition/", {"to": "responded", "version": 1}, content_type="application/json")
    assert response.status_code == 400 and "to" in response.json()
    response = staff.post(f"{url}transition/", {"to": "acknowledged", "version": 1}, content_type="application/json")
    assert response.status_code == 200 and response.json()["state"] == "acknowledged"
    response = staff.post(f"{url}escalate/", {"reason": "x"}, content_type="application/json")
    assert response.status_code == 400 and "unresolvable" in response.json()  # not responded: staff must judge
    response = staff.post(
        f"{url}escalate/", {"reason": "对赔偿金额争议无法调和", "unresolvable": True}, content_type="application/json"
    )
    assert response.status_code == 200 and response.json()["escalated_at"] is not None
    response = staff.post(f"{url}escalate/", {"reason": "再次", "unresolvable": True}, content_type="application/json")
    assert response.status_code == 400 and "reason" in response.json()  # once per complaint
    assert staff.get("/api/v1/complaints/?state=acknowledged").json()["count"] == 1


@pytest.mark.clause("6.5")
def test_outsiders_and_other_stations_are_refused(city, alpha_host, beta_host, opinion, complaint):
    paths = [
        "/api/v1/supervision/opinions/",
        f"/api/v1/supervision/opinions/{opinion.pk}/",
        "/api/v1/complaints/",
        f"/api/v1/complaints/{complaint.pk}/",
    ]
    for path in paths:
        assert host_client(alpha_host).get(path).status_code == 401
        for user in (city.outsider, city.beta_staff, city.bureau_admin):
            assert host_client(alpha_host, user).get(path).status_code == 403
    beta = host_client(beta_host, city.beta_staff)
    assert beta.get(f"/api/v1/supervision/opinions/{opinion.pk}/").status_code == 404
    assert beta.get(f"/api/v1/complaints/{complaint.pk}/").status_code == 404
    response = host_client(alpha_host, city.outsider).post(
        f"/api/v1/complaints/{complaint.pk}/transition/", {"to": "acknowledged", "version": 1}
    )
    assert response.status_code == 403


def test_the_lists_take_a_fixed_number_of_queries(city, alpha_host, django_assert_max_num_queries):
    with schema_context(city.alpha.schema_name):
        for number in range(4):
            services.opinion_log(user=city.alpha_staff, channel="phone", kind="other", text=f"意见{number}")
            complaint_services.complaint_create(user=city.alpha_staff, channel="phone", subject=f"投诉{number}")
    staff = host_client(alpha_host, city.alpha_staff)
    for path in ("/api/v1/supervision/opinions/", "/api/v1/complaints/"):
        staff.get(path)
        with django_assert_max_num_queries(9):
            assert len(staff.get(path).json()["results"]) == 4

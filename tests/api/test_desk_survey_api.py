"""Staff key in the signed paper satisfaction survey through the API (clause 5.2.4, Appendix B), and read it back.
Only the station's members reach it; a case not yet completed, or rated already, is refused by field."""

import pytest
from django_tenants.utils import schema_context

from core.desk.models import CaseState, ServiceCase, Survey
from tests.conftest import host_client
from tests.core.desk.builders import case_completed, case_in_service, new_enterprise

ANSWERS = {
    "q1": "very_satisfied",
    "q2": "very_satisfied",
    "q3": "satisfied",
    "q4": "satisfied",
    "q5": False,
    "q6": "fair",
    "q7": "fair",
    "q8": "satisfied",
    "q9": "satisfied",
    "q10": "fair",
    "opinions": "问题尚未完全解决",
    "signatory": "王经理",
}
CJK = range(0x4E00, 0xA000)


def chinese(messages: list[str]) -> bool:
    return any(ord(char) in CJK for message in messages for char in message)


@pytest.fixture
def completed(city) -> ServiceCase:
    with schema_context(city.alpha.schema_name):
        return case_completed(city, new_enterprise())


def url(case: ServiceCase) -> str:
    return f"/api/v1/desk/cases/{case.pk}/survey/"


@pytest.mark.clause("5.2.4")
def test_staff_key_in_the_paper_survey_and_read_it_back(city, alpha_host, completed):
    client = host_client(alpha_host, city.alpha_staff)
    assert client.get(url(completed)).status_code == 404  # not answered yet
    response = client.post(url(completed), ANSWERS, content_type="application/json")
    assert response.status_code == 201
    body = response.json()
    assert {key: body[key] for key in ANSWERS} == ANSWERS
    assert body["channel"] == "paper" and body["keyed_in_by"]["id"] == city.alpha_staff.pk
    assert client.get(url(completed)).json() == body
    with schema_context(city.alpha.schema_name):
        completed.refresh_from_db()
        assert completed.state == CaseState.EVALUATED

    again = client.post(url(completed), ANSWERS | {"q10": "dissatisfied"}, content_type="application/json")
    assert again.status_code == 400 and chinese(again.json()["survey"])
    with schema_context(city.alpha.schema_name):
        assert Survey.objects.get().q10 == "fair"


def test_missing_answers_are_refused_by_field_in_chinese(city, alpha_host, completed):
    client = host_client(alpha_host, city.alpha_head)
    response = client.post(url(completed), {"q1": "very_satisfied"}, content_type="application/json")
    assert response.status_code == 400
    errors = response.json()
    assert {"q2", "q5", "q10"} <= set(errors) and "q1" not in errors
    assert chinese(errors["q2"]) and chinese(errors["q5"])
    wrong = client.post(url(completed), ANSWERS | {"q5": "maybe"}, content_type="application/json")
    assert wrong.status_code == 400 and chinese(wrong.json()["q5"])


def test_a_case_not_completed_is_refused_with_a_field_message(city, alpha_host):
    with schema_context(city.alpha.schema_name):
        case = case_in_service(city, new_enterprise())
    response = host_client(alpha_host, city.alpha_staff).post(url(case), ANSWERS, content_type="application/json")
    assert response.status_code == 400
    assert chinese(response.json()["state"])
    with schema_context(city.alpha.schema_name):
        assert not Survey.objects.exists()


@pytest.mark.parametrize("who", ["outsider", "bureau_admin", "beta_head", "beta_staff"])
def test_outsiders_and_other_stations_members_are_refused(city, alpha_host, completed, who):
    client = host_client(alpha_host, getattr(city, who))
    assert client.get(url(completed)).status_code == 403
    assert client.post(url(completed), ANSWERS, content_type="application/json").status_code == 403
    assert host_client(alpha_host).post(url(completed), ANSWERS, content_type="application/json").status_code == 401
    with schema_context(city.alpha.schema_name):
        assert not Survey.objects.exists()


def test_another_stations_case_is_not_found(city, beta_host, completed):
    # The beta schema has no case with this id (each test's rows are rolled back).
    client = host_client(beta_host, city.beta_staff)
    assert client.post(url(completed), ANSWERS, content_type="application/json").status_code == 404
    assert client.get(url(completed)).status_code == 404

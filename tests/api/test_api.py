"""The REST API on both kinds of host: authentication, OpenAPI schema, list endpoints' query counts."""

import pytest
import yaml
from django_tenants.utils import schema_context

from core.activity.services import activity_record
from tests.conftest import host_client
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db


def test_token_is_issued_on_the_public_host_and_works_in_the_member_station(city, public_host, alpha_host):
    issued = host_client(public_host).post(
        "/api/v1/auth/token/", {"username": city.alpha_staff.username, "password": PASSWORD}
    )
    assert issued.status_code == 200
    auth = {"HTTP_AUTHORIZATION": f"Token {issued.json()['token']}"}
    me = host_client(alpha_host).get("/api/v1/me/", **auth).json()
    assert me["username"] == "alpha-staff"
    assert [m["station"]["code"] for m in me["memberships"]] == ["alpha"]
    station = host_client(alpha_host).get("/api/v1/station/", **auth).json()
    assert station["code"] == "alpha"
    assert station["my_role"] == "staff"
    assert {member["username"] for member in station["team"]} >= {"alpha-staff", "alpha-head@example.test"}


def test_wrong_credentials_get_a_field_level_chinese_message(public_host):
    response = host_client(public_host).post("/api/v1/auth/token/", {"username": "nobody"})
    assert response.status_code == 400
    assert response.json() == {"password": ["该字段是必填项。"]}


@pytest.mark.parametrize(
    ("host_fixture", "expected"), [("public_host", "/api/v1/stations/"), ("alpha_host", "/api/v1/station/")]
)
def test_each_host_serves_an_openapi_3_schema_of_its_own_endpoints(request, city, host_fixture, expected):
    host = request.getfixturevalue(host_fixture)
    user = city.bureau_admin if host_fixture == "public_host" else city.alpha_head
    response = host_client(host, user).get("/api/v1/schema/")
    assert response.status_code == 200
    schema = yaml.safe_load(response.content)
    assert schema["openapi"].startswith("3.")
    assert expected in schema["paths"]
    docs = host_client(host, user).get("/api/v1/docs/")
    assert docs.status_code == 200
    assert b"swagger-ui" in docs.content


def test_activity_list_query_count_does_not_grow_with_rows(city, alpha_host, django_assert_num_queries):
    client = host_client(alpha_host, city.alpha_staff)
    with schema_context(city.alpha.schema_name):
        for n in range(30):
            activity_record(verb="member_signed_in", detail=f"#{n}")
    # search path x2, host, session, user, membership (middleware), count, page
    with django_assert_num_queries(9):
        response = client.get("/api/v1/activity/?limit=25")
    assert response.status_code == 200
    assert len(response.json()["results"]) == 25


def test_bureau_station_list_query_count(city, public_host, django_assert_num_queries):
    client = host_client(public_host, city.bureau_viewer)
    # search path, session, user, count, page, domains
    with django_assert_num_queries(7):
        response = client.get("/api/v1/stations/")
    assert response.status_code == 200
    stations = {s["code"]: s for s in response.json()["results"]}
    assert stations["alpha"]["member_count"] == 3
    assert stations["alpha"]["host"] == "alpha.localhost"

"""Bad input to the API is refused with a field-level answer in the user's language, never a 500 (issue 16): what was
found on the demo city, each case here.

The messages are read in English (the language cookie), their msgids; in Chinese they come from the project's catalogue.
"""

import json
import random

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation

from core.directory import uscc
from core.directory.models import Enterprise
from core.operations.models import Equipment
from tests.conftest import host_client
from tests.core.desk.builders import boxes, new_enterprise

pytestmark = pytest.mark.django_db
RNG = random.Random(1616)  # noqa: S311  (test data)

NUL_MESSAGE = "Null characters are not allowed."
DATE_RANGE_MESSAGE = "Enter a date between 1900-01-01 and 2100-12-31."


@pytest.fixture(autouse=True)
def _language_restored():
    """A request with the language cookie leaves its language active in this thread: the next tests get theirs."""
    yield
    translation.activate(settings.LANGUAGE_CODE)


def english(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    client.raise_request_exception = False  # a 500 is answered, as a browser would get it
    return client


def post_json(client, path, body):
    return client.post(path, json.dumps(body), content_type="application/json")


@pytest.fixture
def head(city, alpha_host):
    return english(host_client(alpha_host, city.alpha_head))


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/enterprises/?q=a%00b",
        "/api/v1/institutions/?q=a%00b",
        "/api/v1/enterprises/?uscc=%00",
        "/api/v1/archive/access-log/?enterprise=a%00b",
        "/api/v1/desk/cases/?q=%00",
    ],
)
def test_a_nul_in_a_query_parameter_is_refused_naming_the_parameter(head, path):
    response = head.get(path)
    assert response.status_code == 400
    name = path.split("?")[1].split("=")[0]
    assert response.json() == {name: [NUL_MESSAGE]}


def test_a_nul_in_a_query_parameter_is_refused_on_the_public_host_too(city, public_host):
    response = english(host_client(public_host, city.bureau_viewer)).get("/api/v1/institutions/?q=a%00b")
    assert response.status_code == 400
    assert response.json() == {"q": [NUL_MESSAGE]}


def test_a_null_row_in_a_demands_table_is_refused_on_that_row(city, head):
    enterprise = new_enterprise()
    body = {
        "enterprise": enterprise.pk,
        "channel": "visit",
        "tables": {"instruments": [{"name": "压力表"}, None], "products": None},
    }
    response = post_json(head, "/api/v1/desk/demands/", body)
    assert response.status_code == 400
    errors = response.json()
    assert set(errors) == {"instruments.2", "products"}
    assert errors["instruments.2"] == ["This field may not be null."]


@pytest.mark.parametrize("days", [2001112565555, 2_000_000_000, 3651])
def test_an_absurd_maintenance_interval_is_refused(head, days):
    body = {"kind": "fire", "name": "灭火器", "maintenance_interval_days": days}
    response = post_json(head, "/api/v1/operations/equipment/", body)
    assert response.status_code == 400
    assert list(response.json()) == ["maintenance_interval_days"]
    assert not Equipment.objects.exists()


def test_a_date_in_year_9999_is_refused_with_the_range(head):
    body = {"kind": "fire", "name": "灭火器", "maintenance_interval_days": 30, "acquired_on": "9999-12-31"}
    response = post_json(head, "/api/v1/operations/equipment/", body)
    assert response.status_code == 400
    assert response.json() == {"acquired_on": [DATE_RANGE_MESSAGE]}
    assert post_json(head, "/api/v1/operations/equipment/", body | {"acquired_on": "2100-12-31"}).status_code == 201


def test_an_assessment_period_in_9999_is_refused_with_the_range(city, head):
    body = {"member": city.alpha_staff.pk, "period_kind": "month", "period_start": "9999-12-01"}
    response = post_json(head, "/api/v1/assessment/staff/", body)
    assert response.status_code == 400
    assert response.json() == {"period_start": [DATE_RANGE_MESSAGE]}


def test_a_moment_outside_the_range_is_refused_in_a_query_too(head):
    response = head.get("/api/v1/assessment/summary/?period_kind=month&day=1899-12-31")
    assert response.status_code == 400
    assert response.json() == {"day": [DATE_RANGE_MESSAGE]}


def test_a_number_beyond_the_databases_integer_is_refused_where_no_range_was_given(city, head):
    enterprise = new_enterprise()
    body = {
        "enterprise": enterprise.pk,
        "channel": "visit",
        "tables": {"special_equipment": [{"category": "锅炉", "count": 2**31}]},
    }
    response = post_json(head, "/api/v1/desk/demands/", body)
    assert response.status_code == 400
    assert response.json() == {"special_equipment.1.count": ["Ensure this value is less than or equal to 2147483647."]}


@pytest.mark.parametrize("content", ["json", "multipart"])
def test_a_body_too_large_is_answered_413_in_json(head, content):
    body = {
        "name": "大" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE // 2),
        "uscc": uscc.generate(RNG),
        "district": "yinzhou",
    }
    if content == "json":
        response = post_json(head, "/api/v1/enterprises/", body)
    else:
        response = head.post("/api/v1/enterprises/", body)
    assert response.status_code == 413
    assert response["Content-Type"] == "application/json"
    assert response.json()["detail"].startswith("The request is too large: at most 2.5")
    assert not Enterprise.objects.filter(uscc=body["uscc"]).exists()


def test_files_are_not_counted_in_the_body_limit(city, head, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    pdf = b"%PDF-1.4\n" + b"%" * 5000
    upload = SimpleUploadedFile("制度.pdf", pdf, content_type="application/pdf")
    response = head.post("/api/v1/operations/systems/a/versions/", {"effective_on": "2026-01-01", "file": upload})
    assert response.status_code != 413


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("name", "铃声\x07控制字符企业"),
        ("address", "银州区\n工业园"),
        ("contact_person", "李\t经理"),
        ("name", "空\x00字符"),
    ],
)
def test_control_characters_are_refused_in_a_one_line_field(head, field, value):
    body = {"name": "铁岭控制字符测试企业", "uscc": uscc.generate(RNG), "district": "yinzhou", field: value}
    response = post_json(head, "/api/v1/enterprises/", body)
    assert response.status_code == 400
    assert list(response.json()) == [field]
    [message] = response.json()[field]
    if "\x00" in value:
        assert message == NUL_MESSAGE
    else:
        character = next(c for c in value if ord(c) < 32)
        assert message == (
            "Line breaks, tabs and other control characters are not allowed in this field "
            f"(found U+{ord(character):04X})."
        )
    assert not Enterprise.objects.filter(uscc=body["uscc"]).exists()


def test_a_multi_line_field_takes_line_breaks_and_tabs_but_no_other_control_character(city, head):
    enterprise = new_enterprise()
    body = {
        "enterprise": enterprise.pk,
        "channel": "visit",
        "boxes": [box.pk for box in boxes("计量检定、校准")],
        "opinions": "第一行\r\n第二行\t（附表）",
    }
    created = post_json(head, "/api/v1/desk/demands/", body)
    assert created.status_code == 201, created.json()
    assert created.json()["opinions"] == body["opinions"]
    refused = post_json(head, "/api/v1/desk/demands/", body | {"opinions": "响铃\x07"})
    assert refused.status_code == 400
    assert refused.json() == {"opinions": ["Control characters are not allowed (found U+0007)."]}


def test_control_characters_are_refused_in_the_items_of_a_list_and_of_a_dictionary(city, head):
    enterprise = new_enterprise()
    body = {"enterprise": enterprise.pk, "channel": "visit", "inspection_materials": ["a\x1bb"]}
    response = post_json(head, "/api/v1/desk/demands/", body)
    assert response.status_code == 400
    assert list(response.json()) == ["inspection_materials"]
    export = post_json(head, "/api/v1/directory/exports/", {"what": "enterprises", "filters": {"q": "a\x00b"}})
    assert export.status_code == 400
    assert "filters" in export.json()


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_the_nul_message_is_a_correct_one(city, alpha_host, language):
    """Django's Chinese catalogue says 不允许是用空字符串 ("using empty strings is not allowed"); the project's
    catalogue names the character. Needs the project's compiled catalogue."""
    client = host_client(alpha_host, city.alpha_head)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    body = {"name": "空\x00字符", "uscc": uscc.generate(RNG), "district": "yinzhou"}
    [message] = post_json(client, "/api/v1/enterprises/", body).json()["name"]
    assert message == {"zh-hans": "不允许包含空字符（NUL，U+0000）。", "en": NUL_MESSAGE}[language]

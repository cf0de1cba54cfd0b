"""Contact details in the API (个人信息保护, issue 18): a list answers a contact's phone and e-mail masked, the record's
own endpoint answers them whole; and the schema describes the masked fields as plain strings (no phone pattern a
masked value would break)."""

import pytest
import yaml
from django_tenants.utils import schema_context

from core.complaints import services as complaint_services
from core.directory.models import Institution
from core.supervision import services as supervision_services
from tests.conftest import host_client
from tests.core.desk.builders import new_enterprise, take_demand

pytestmark = pytest.mark.django_db

PHONE, EMAIL = "13912340000", "zhang@example.com"
MASKED_PHONE, MASKED_EMAIL = "139****0000", "z***@example.com"


def listed(client, path: str, pk: int) -> dict:
    [row] = [row for row in client.get(path).json()["results"] if row["id"] == pk]
    return row


def test_a_demand_is_masked_in_the_list_and_whole_on_its_own(city, alpha_host):
    with schema_context(city.alpha.schema_name):
        demand = take_demand(city, new_enterprise(phone=PHONE, email=EMAIL))
    staff = host_client(alpha_host, city.alpha_staff)
    row = listed(staff, "/api/v1/desk/demands/", demand.pk)
    assert (row["phone"], row["email"]) == (MASKED_PHONE, MASKED_EMAIL)
    assert row["contact_person"] == "王经理"  # the name stays: who to ask for
    whole = staff.get(f"/api/v1/desk/demands/{demand.pk}/").json()
    assert (whole["phone"], whole["email"]) == (PHONE, EMAIL)


def test_an_opinion_and_a_complaint_are_masked_in_their_lists(city, alpha_host):
    with schema_context(city.alpha.schema_name):
        opinion = supervision_services.opinion_log(
            user=city.alpha_staff,
            channel="phone",
            kind="suggestion",
            text="希望延长办公时间",
            anonymous=False,
            name="张先生",
            phone="024-70000001",
            email=EMAIL,
        )
        complaint = complaint_services.complaint_create(
            user=city.alpha_staff,
            channel="phone",
            subject="电话打不通",
            complainant_name="张先生",
            complainant_phone=PHONE,
            complainant_email=EMAIL,
        )
    staff = host_client(alpha_host, city.alpha_staff)
    row = listed(staff, "/api/v1/supervision/opinions/", opinion.pk)
    assert (row["phone"], row["email"]) == ("024-****0001", MASKED_EMAIL)
    whole = staff.get(f"/api/v1/supervision/opinions/{opinion.pk}/").json()
    assert (whole["phone"], whole["email"]) == ("024-70000001", EMAIL)
    row = listed(staff, "/api/v1/complaints/", complaint.pk)
    assert (row["complainant_phone"], row["complainant_email"]) == (MASKED_PHONE, MASKED_EMAIL)
    whole = staff.get(f"/api/v1/complaints/{complaint.pk}/").json()
    assert (whole["complainant_phone"], whole["complainant_email"]) == (PHONE, EMAIL)


def test_the_directory_is_masked_in_its_lists_and_whole_on_each_entry(city, public_host, alpha_host):
    enterprise = new_enterprise(name="铁岭市脱敏测试机械厂", phone=PHONE, email=EMAIL)
    institution = Institution.objects.create(
        name="铁岭市脱敏测试计量所", kind="metrology", contact_person="李工", phone="024-72000000", email=EMAIL
    )
    for client in (host_client(public_host, city.bureau_admin), host_client(alpha_host, city.alpha_staff)):
        row = listed(client, "/api/v1/enterprises/?q=脱敏测试机械", enterprise.pk)
        assert (row["phone"], row["email"]) == (MASKED_PHONE, MASKED_EMAIL)
        whole = client.get(f"/api/v1/enterprises/{enterprise.pk}/").json()
        assert (whole["phone"], whole["email"]) == (PHONE, EMAIL)
        row = listed(client, "/api/v1/institutions/?q=脱敏测试计量", institution.pk)
        assert (row["phone"], row["email"], row["contact_person"]) == ("024-****0000", MASKED_EMAIL, "李工")
        whole = client.get(f"/api/v1/institutions/{institution.pk}/").json()
        assert (whole["phone"], whole["email"]) == ("024-72000000", EMAIL)


def test_an_outsider_reads_no_list_at_all(city, alpha_host):
    outsider = host_client(alpha_host, city.outsider)
    for path in ("/api/v1/desk/demands/", "/api/v1/supervision/opinions/", "/api/v1/complaints/"):
        assert outsider.get(path).status_code == 403


def test_the_schema_describes_the_masked_fields_as_plain_strings(city, alpha_host):
    schema = yaml.safe_load(host_client(alpha_host, city.alpha_head).get("/api/v1/schema/").content)
    components = schema["components"]["schemas"]
    for name, fields in {
        "DemandList": ("phone", "email"),
        "OpinionList": ("phone", "email"),
        "ComplaintList": ("complainant_phone", "complainant_email"),
        "EnterpriseList": ("phone", "email"),
        "InstitutionList": ("phone", "email"),
    }.items():
        for field in fields:
            described = components[name]["properties"][field]
            assert described["type"] == "string" and described["readOnly"], (name, field)
            assert "pattern" not in described and "format" not in described, (name, field, described)
    # The record's own component keeps its rules (the phone's pattern).
    assert "'pattern'" in str(components["Enterprise"]["properties"]["phone"])

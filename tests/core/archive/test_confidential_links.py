"""Confidential cases (clause 7.3) where other rows name them: a complaint's case, an opinion's case, the case numbers
of a staff assessment's figures. A member who may not see the case reads "保密案件" there, without its number or a
link to it, in the pages and in the API; its assignee and the head read the number. The rows themselves stay."""

import pytest
from django.urls import reverse
from django_tenants.utils import schema_context

from core.archive import services
from core.assessment import services as assessment_services
from core.assessment.models import StaffAssessment
from core.complaints import services as complaint_services
from core.complaints.models import Complaint
from core.desk import services as desk_services
from core.desk.models import ServiceCase
from core.supervision import services as supervision_services
from core.supervision.models import Opinion
from tenants.models import MemberRole
from tenants.selectors import PLATFORM
from tenants.services import membership_create
from tests.conftest import host_client
from tests.core.assessment.dataset import NOVEMBER, at, build, clock
from tests.core.desk.builders import take_demand
from tests.factories import UserFactory

PLACEHOLDER = "保密案件"


@pytest.fixture
def other_staff(city):
    user = UserFactory()
    membership_create(actor=PLATFORM, user=user, station=city.alpha, role=MemberRole.STAFF)
    return user


@pytest.fixture
def linked(city, alpha, enterprise):
    """A case assigned to alpha_staff and marked confidential, a complaint linked to it afterwards (its timeline
    notes the link) and an opinion about it. (case, complaint, opinion)"""
    case = take_demand(city, enterprise).cases.get()
    desk_services.case_assign(case=case, user=city.alpha_head, assignee=city.alpha_staff)
    services.case_confidential_mark(case=case, user=city.alpha_head, reason="商业秘密")
    complaint = complaint_services.complaint_create(user=city.alpha_head, channel="phone", subject="办理太慢")
    complaint = complaint_services.complaint_link_case(complaint=complaint, user=city.alpha_head, case=case)
    opinion = supervision_services.opinion_log(
        user=city.alpha_head, channel="phone", kind="suggestion", text="希望加快办理", case=case
    )
    return case, complaint, opinion


def _viewers(city, other_staff):
    """(user, whether they see the confidential case)"""
    return ((city.alpha_staff, True), (city.alpha_head, True), (other_staff, False))


def _shows(html: str, case: ServiceCase, sees: bool) -> bool:
    """Whether `html` shows the case as it should: number and link, or the placeholder without either."""
    link = reverse("desk:case", args=[case.pk])
    if sees:
        return case.number in html and link in html and PLACEHOLDER not in html
    return case.number not in html and link not in html and PLACEHOLDER in html


@pytest.mark.clause("7.3")
def test_the_complaint_pages_show_a_confidential_case_only_to_who_may_see_it(city, linked, other_staff, alpha_host):
    case, complaint, _opinion = linked
    for user, sees in _viewers(city, other_staff):
        client = host_client(alpha_host, user)
        listed = client.get(reverse("complaints:list"))
        assert listed.status_code == 200
        row = listed.content.decode().split(f'data-complaint="{complaint.pk}"')[1].split("</tr>")[0]
        assert _shows(row, case, sees), user
        page = client.get(reverse("complaints:complaint", args=[complaint.pk]))
        assert page.status_code == 200
        # The case, the timeline's note of the link and the link form all keep the number from them.
        assert _shows(page.content.decode(), case, sees), user
        assert ('id="link-form"' in page.content.decode()) is sees


@pytest.mark.clause("7.3")
def test_a_member_who_may_not_see_the_case_cannot_relink_it_nor_link_it_by_its_number(
    city, linked, other_staff, alpha_host
):
    case, complaint, _opinion = linked
    client = host_client(alpha_host, other_staff)
    page = reverse("complaints:complaint", args=[complaint.pk])
    refused = client.post(page, {"action": "link", "case": ""})
    assert refused.status_code == 400
    assert "只有站长和该案件的负责人员可以更改此关联。" in refused.content.decode()
    created = client.post(reverse("complaints:new"), {"channel": "phone", "subject": "另一投诉", "case": case.number})
    assert created.status_code == 400 and "本站没有该案件。" in created.content.decode()  # as if it did not exist
    with schema_context(city.alpha.schema_name):
        assert Complaint.objects.get(pk=complaint.pk).case_id == case.pk
        assert not Complaint.objects.filter(subject="另一投诉").exists()
    # The assignee links it.
    assert (
        host_client(alpha_host, city.alpha_staff).post(page, {"action": "link", "case": case.number}).status_code == 302
    )
    assert host_client(alpha_host, city.alpha_head).post(page, {"action": "link", "case": ""}).status_code == 302


@pytest.mark.clause("7.3")
def test_the_opinion_page_shows_a_confidential_case_only_to_who_may_see_it(city, linked, other_staff, alpha_host):
    case, _complaint, opinion = linked
    page = reverse("supervision:opinion", args=[opinion.pk])
    for user, sees in _viewers(city, other_staff):
        response = host_client(alpha_host, user).get(page)
        assert response.status_code == 200
        assert _shows(response.content.decode(), case, sees), user  # the facts and the classify form
    # Classifying by a member who may not see the case keeps it (its field is read-only for them).
    classified = host_client(alpha_host, other_staff).post(
        page, {"action": "classify", "kind": "complaint", "topic": "timeliness", "case": ""}
    )
    assert classified.status_code == 302, classified.context["forms"]["classify"].errors
    with schema_context(city.alpha.schema_name):
        kept = Opinion.objects.get(pk=opinion.pk)
        assert (kept.kind, kept.topic, kept.case_id) == ("complaint", "timeliness", case.pk)


@pytest.mark.clause("7.3")
def test_the_api_shows_a_confidential_case_only_to_who_may_see_it(city, linked, other_staff, alpha_host):
    case, complaint, opinion = linked
    for user, sees in _viewers(city, other_staff):
        client = host_client(alpha_host, user)
        expected = (case.pk, case.number) if sees else (None, PLACEHOLDER)
        answers = [
            next(r for r in client.get("/api/v1/complaints/").json()["results"] if r["id"] == complaint.pk),
            client.get(f"/api/v1/complaints/{complaint.pk}/").json(),
            next(r for r in client.get("/api/v1/supervision/opinions/").json()["results"] if r["id"] == opinion.pk),
            client.get(f"/api/v1/supervision/opinions/{opinion.pk}/").json(),
        ]
        for answer in answers:
            assert (answer["case"], answer["case_number"]) == expected, (user, answer)
        events = client.get(f"/api/v1/complaints/{complaint.pk}/").json()["events"]
        assert any(e["text"] == (case.number if sees else PLACEHOLDER) for e in events), user
        assert all(e["text"] != case.number for e in events) or sees


@pytest.mark.clause("7.3")
def test_the_lists_name_cases_in_a_fixed_number_of_queries(
    city, linked, other_staff, alpha_host, enterprise, django_assert_num_queries, django_assert_max_num_queries
):
    client = host_client(alpha_host, other_staff)

    def pages():
        html = client.get(reverse("complaints:list")).content.decode()
        answer = client.get("/api/v1/complaints/").json()
        return html.count(PLACEHOLDER), sum(r["case_number"] == PLACEHOLDER for r in answer["results"])

    pages()
    with django_assert_max_num_queries(40) as captured:
        assert pages() == (1, 1)
    with schema_context(city.alpha.schema_name):
        for number in range(3):
            secret = take_demand(city, enterprise).cases.get()
            desk_services.case_assign(case=secret, user=city.alpha_head, assignee=city.alpha_staff)
            services.case_confidential_mark(case=secret, user=city.alpha_head)
            plain = take_demand(city, enterprise).cases.get()
            for case in (secret, plain):
                complaint_services.complaint_create(
                    user=city.alpha_head, channel="phone", subject=f"投诉{number}", case=case
                )
    with django_assert_num_queries(len(captured.captured_queries)):
        assert pages() == (4, 4)


@pytest.mark.clause("7.3")
def test_an_assessment_names_a_case_reassigned_and_made_confidential_since_as_confidential(
    city, other_staff, alpha_host
):
    cases = build(city)
    with schema_context(city.alpha.schema_name), clock(at(12, 2, 9)):
        assessment = assessment_services.staff_assessment_open(
            user=city.alpha_head, member=city.alpha_staff, period_kind="month", period_start=NOVEMBER
        )
        assessment = assessment_services.staff_assessment_confirm(assessment=assessment, user=city.alpha_head)
    late = cases["c2"]
    with schema_context(city.alpha.schema_name):
        assert StaffAssessment.objects.get(pk=assessment.pk).figures["timeliness"]["late"] == [late.number]
        # Reassigned since the pre-fill, then marked confidential: alpha_staff may no longer see it.
        ServiceCase.objects.filter(pk=late.pk).update(assignee=other_staff)
        services.case_confidential_mark(case=ServiceCase.objects.get(pk=late.pk), user=city.alpha_head)
    page = reverse("assessment:assessment", args=[assessment.pk])
    for user, sees in ((city.alpha_staff, False), (city.alpha_head, True)):
        client = host_client(alpha_host, user)
        html = client.get(page).content.decode()
        assert (late.number in html) is sees and (PLACEHOLDER in html) is not sees, user
        figures = client.get(f"/api/v1/assessment/staff/{assessment.pk}/").json()["figures"]
        assert figures["timeliness"]["late"] == [late.number if sees else PLACEHOLDER], user
        listed = client.get("/api/v1/assessment/staff/").json()["results"]
        figures = next(a for a in listed if a["id"] == assessment.pk)["figures"]
        assert figures["accuracy"]["complained_cases"] == [late.number if sees else PLACEHOLDER], user
    with schema_context(city.alpha.schema_name):  # the stored figures are never changed
        assert StaffAssessment.objects.get(pk=assessment.pk).figures["timeliness"]["late"] == [late.number]

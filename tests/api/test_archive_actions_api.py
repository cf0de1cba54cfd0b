"""API of the archive's actions (clauses 7.3, 7.4): the head marks a case confidential, staff ask for a disposal,
the head approves it; the case page's button and the station navigation's link."""

import datetime

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone
from django_tenants.utils import schema_context

from core.archive.models import AccessAction, ArchiveAccess, ArchiveDisposal, ConfidentialCase, DisposalState
from core.desk import services as desk_services
from core.desk.models import Demand
from tenants.models import MemberRole
from tenants.selectors import PLATFORM
from tenants.services import membership_create
from tests.conftest import host_client
from tests.core.desk.builders import new_enterprise, take_demand
from tests.factories import UserFactory


@pytest.fixture
def alpha(city):
    with schema_context(city.alpha.schema_name):
        yield city.alpha


@pytest.fixture
def enterprise(city):
    return new_enterprise()


@pytest.fixture
def case(city, alpha, enterprise):
    case = take_demand(city, enterprise).cases.get()
    return desk_services.case_assign(case=case, user=city.alpha_head, assignee=city.alpha_staff)


@pytest.mark.clause("7.3")
def test_the_head_marks_and_lifts_the_confidential_mark_by_api(city, case, alpha_host):
    url = f"/api/v1/archive/cases/{case.pk}/confidential/"
    head = host_client(alpha_host, city.alpha_head)
    response = head.post(url, {"reason": "商业秘密"}, content_type="application/json")
    assert response.status_code == 200 and response.json()["confidential"] is True
    assert ConfidentialCase.objects.get(case=case).reason == "商业秘密"
    other = UserFactory()
    membership_create(actor=PLATFORM, user=other, station=city.alpha, role=MemberRole.STAFF)
    assert host_client(alpha_host, other).get(f"/api/v1/desk/cases/{case.pk}/").status_code == 404
    # Staff, even the assignee, may not mark or lift it.
    staff = host_client(alpha_host, city.alpha_staff)
    assert staff.delete(url).status_code == 403
    assert head.get(url).json()["confidential"] is True
    assert head.delete(url).json()["confidential"] is False
    assert not ConfidentialCase.objects.filter(case=case).exists()
    assert (
        head.post("/api/v1/archive/cases/999999/confidential/", {}, content_type="application/json").status_code == 404
    )


@pytest.mark.clause("7.4")
def test_disposal_is_asked_for_and_approved_by_api(city, case, enterprise, alpha_host):
    url = f"/api/v1/archive/enterprises/{enterprise.pk}/disposals/"
    staff = host_client(alpha_host, city.alpha_staff)
    refused = staff.post(url, {"reason": "清理"}, content_type="application/json")
    assert refused.status_code == 400 and "enterprise" in refused.json()
    assert ArchiveAccess.objects.filter(enterprise=enterprise, action=AccessAction.DISPOSAL_REFUSED).count() == 1
    with time_machine.travel(timezone.now() + datetime.timedelta(days=365 * 5 + 3), tick=False):
        staff = host_client(alpha_host, city.alpha_staff)  # signed in again: the session would have expired
        asked = staff.post(url, {"reason": "保管期满"}, content_type="application/json")
        assert asked.status_code == 201, asked.content
        disposal = asked.json()
        assert disposal["state"] == DisposalState.REQUESTED
        approve = f"/api/v1/archive/disposals/{disposal['id']}/approve/"
        assert staff.post(approve).status_code == 403
        done = host_client(alpha_host, city.alpha_head).post(approve)
        assert done.status_code == 200, done.content
    assert done.json()["state"] == DisposalState.APPROVED
    assert done.json()["removed_counts"] == {"desk.demand": 1, "desk.case": 1}
    assert not Demand.objects.filter(enterprise=enterprise).exists()
    listed = host_client(alpha_host, city.alpha_staff).get(url)
    assert listed.status_code == 404  # the enterprise has no archive here any more
    # Approving twice is refused.
    assert host_client(alpha_host, city.alpha_head).post(approve).status_code in (400, 404)


def test_outsiders_and_other_stations_are_refused(city, case, enterprise, alpha_host, beta_host):
    disposal = ArchiveDisposal.objects.create(
        enterprise=enterprise,
        enterprise_name=enterprise.name,
        reason="x",
        last_recorded_at=timezone.now(),
        requested_by=city.alpha_staff,
    )
    calls = [
        ("get", f"/api/v1/archive/cases/{case.pk}/confidential/"),
        ("post", f"/api/v1/archive/cases/{case.pk}/confidential/"),
        ("delete", f"/api/v1/archive/cases/{case.pk}/confidential/"),
        ("get", f"/api/v1/archive/enterprises/{enterprise.pk}/disposals/"),
        ("post", f"/api/v1/archive/enterprises/{enterprise.pk}/disposals/"),
        ("post", f"/api/v1/archive/disposals/{disposal.pk}/approve/"),
    ]
    for user in (city.outsider, city.beta_staff, city.beta_head, city.bureau_admin):
        client = host_client(alpha_host, user)
        for method, path in calls:
            assert getattr(client, method)(path).status_code == 403, (user, method, path)
    assert not ConfidentialCase.objects.exists()
    # On beta's host, alpha's case, enterprise and disposal do not exist.
    with schema_context(city.beta.schema_name):
        head = host_client(beta_host, city.beta_head)
        assert head.get(f"/api/v1/archive/cases/{case.pk}/confidential/").status_code == 404
        assert head.get(f"/api/v1/archive/enterprises/{enterprise.pk}/disposals/").status_code == 404
        assert head.post(f"/api/v1/archive/disposals/{disposal.pk}/approve/").status_code == 404


@pytest.mark.clause("7.3")
def test_the_case_page_offers_the_mark_to_the_head_and_the_nav_links_the_archive(city, case, enterprise, alpha_host):
    page = reverse("desk:case", args=[case.pk])
    head = host_client(alpha_host, city.alpha_head).get(page).content.decode()
    assert reverse("archive:case_confidential", args=[case.pk]) in head
    assert reverse("archive:index") in head  # the navigation
    staff = host_client(alpha_host, city.alpha_staff).get(page).content.decode()
    assert reverse("archive:case_confidential", args=[case.pk]) not in staff
    assert reverse("archive:index") in staff
    # Marked, the head's page offers to lift it.
    host_client(alpha_host, city.alpha_head).post(
        reverse("archive:case_confidential", args=[case.pk]), {"confidential": "on", "reason": "商业秘密"}
    )
    head = host_client(alpha_host, city.alpha_head).get(page).content.decode()
    assert "商业秘密" in head and 'name="confidential"' not in head
    # The directory's enterprise page leads to the archive of this station.
    directory = host_client(alpha_host, city.alpha_staff).get(reverse("directory:enterprise", args=[enterprise.pk]))
    assert f"{reverse('archive:index')}?q={enterprise.uscc}" in directory.content.decode()

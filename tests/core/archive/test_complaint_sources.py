"""Complaints and supervision opinions in an enterprise's archive (clause 7.1, registered by the archive itself), and
their removal by an approved disposal (clause 7.4)."""

import datetime

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.utils import timezone

from core.archive import selectors, services, sources
from core.archive.complaint_sources import COMPLAINT, OPINION
from core.archive.models import ArchiveEntry, DisposalState
from core.complaints import services as complaint_services
from core.complaints.models import Complaint, ComplaintEvent
from core.desk.models import ServiceCase
from core.supervision import services as supervision_services
from core.supervision.models import ImprovementPlan, Opinion
from tenants.selectors import PLATFORM
from tests.core.desk.builders import take_demand


def _complained(city, case):
    """An opinion of kind complaint about `case`, with an improvement plan, opened as a complaint."""
    opinion = supervision_services.opinion_log(
        user=city.alpha_staff, channel="phone", kind="complaint", text="上门服务迟到", case=case
    )
    supervision_services.improvement_plan_create(
        opinion=opinion,
        user=city.alpha_head,
        what="预约提醒",
        owner=city.alpha_staff,
        due_on=timezone.localdate() + datetime.timedelta(days=10),
    )
    complaint = complaint_services.complaint_open_from_opinion(opinion=opinion, user=city.alpha_staff)
    return opinion, complaint


def _later():
    return time_machine.travel(timezone.now() + datetime.timedelta(days=365 * 5 + 3), tick=False)


@pytest.mark.clause("7.1")
@pytest.mark.clause("7.4")
def test_complaints_and_opinions_are_filed_and_removed_with_the_archive(city, alpha, enterprise):
    case = take_demand(city, enterprise).cases.get()
    opinion, complaint = _complained(city, case)
    elsewhere = complaint_services.complaint_create(user=city.alpha_staff, channel="phone", subject="无关投诉")
    rows = selectors.archive_rows(enterprise=enterprise)
    filed = {(row.entry.source, row.entry.object_id): row for row in rows}
    assert (COMPLAINT, complaint.pk) in filed and (OPINION, opinion.pk) in filed
    assert filed[(COMPLAINT, complaint.pk)].document.case_ids == (case.pk,)
    assert (COMPLAINT, elsewhere.pk) not in filed  # no case: no enterprise's archive
    assert ComplaintEvent.objects.filter(complaint=complaint).exists()

    with _later():
        disposal = services.archive_dispose(enterprise=enterprise, user=city.alpha_staff, reason="保管期满")
        done = services.archive_disposal_approve(disposal=disposal, user=city.alpha_head)
    assert done.state == DisposalState.APPROVED
    assert done.removed_counts == {"desk.demand": 1, "desk.case": 1, COMPLAINT: 1, OPINION: 1}
    assert not Complaint.objects.filter(pk=complaint.pk).exists()
    assert not ComplaintEvent.objects.filter(complaint_id=complaint.pk).exists()
    assert not Opinion.objects.filter(pk=opinion.pk).exists()
    assert not ImprovementPlan.objects.filter(opinion_id=opinion.pk).exists()
    assert not ServiceCase.objects.filter(pk=case.pk).exists()
    assert Complaint.objects.filter(pk=elsewhere.pk).exists()
    assert ComplaintEvent.objects.filter(complaint=elsewhere).exists()


@pytest.mark.clause("7.4")
def test_a_row_still_pointing_at_a_removed_case_refuses_the_disposal(city, alpha, enterprise):
    """Without the complaints source, the complaint's link to the case (checked by the database at commit) would be
    left dangling: the approval checks the links at once and refuses, and nothing is removed."""
    case = take_demand(city, enterprise).cases.get()
    complaint = complaint_services.complaint_create(user=city.alpha_staff, channel="phone", subject="投诉", case=case)
    source = sources._SOURCES.pop(COMPLAINT)
    try:
        with _later():
            disposal = services.archive_dispose(enterprise=enterprise, user=city.alpha_staff, reason="保管期满")
            with pytest.raises(ValidationError) as refused:
                services.archive_disposal_approve(disposal=disposal, user=city.alpha_head)
    finally:
        sources.source_register(source)
    assert "enterprise" in refused.value.message_dict
    disposal.refresh_from_db()
    assert disposal.state == DisposalState.REQUESTED
    assert ServiceCase.objects.filter(pk=case.pk).exists()
    assert Complaint.objects.get(pk=complaint.pk).case_id == case.pk
    assert ArchiveEntry.objects.filter(enterprise=enterprise).exists()


@pytest.mark.clause("7.3")
def test_a_complaint_about_a_confidential_case_is_hidden_in_the_archive(city, alpha, enterprise):
    from core.archive.selectors import rows_visible
    from tenants.models import MemberRole
    from tenants.services import membership_create
    from tests.factories import UserFactory

    other = UserFactory()
    membership_create(actor=PLATFORM, user=other, station=city.alpha, role=MemberRole.STAFF)
    case = take_demand(city, enterprise).cases.get()
    _opinion, complaint = _complained(city, case)
    services.case_confidential_mark(case=case, user=city.alpha_head)
    rows = selectors.archive_rows(enterprise=enterprise)
    seen = {(r.entry.source, r.entry.object_id) for r in rows_visible(rows=rows, user=other)}
    assert (COMPLAINT, complaint.pk) not in seen
    seen = {(r.entry.source, r.entry.object_id) for r in rows_visible(rows=rows, user=city.alpha_head)}
    assert (COMPLAINT, complaint.pk) in seen

"""The archive's write services check who calls them, whatever the view (issue 16): the station's members ask for a
disposal and export; the head alone marks a case confidential and approves a disposal."""

import pytest
from django.core.exceptions import PermissionDenied

from core.archive import services
from core.archive.models import ArchiveDisposal, ConfidentialCase
from core.jobs.models import Job
from tests.core.desk.builders import take_demand


@pytest.mark.parametrize("who", ["beta_staff", "bureau_admin", "outsider"])
@pytest.mark.clause("7.3")
def test_only_the_station_s_members_ask_for_a_disposal_or_an_export(city, alpha, enterprise, who):
    take_demand(city, enterprise)
    # Other tests may have committed jobs in alpha's schema (a worker's): count, not "none at all".
    before = (ArchiveDisposal.objects.count(), Job.objects.count())
    with pytest.raises(PermissionDenied):
        services.archive_dispose(enterprise=enterprise, user=getattr(city, who), reason="外人申请销毁")
    with pytest.raises(PermissionDenied):
        services.archive_export_start(enterprise=enterprise, user=getattr(city, who))
    assert (ArchiveDisposal.objects.count(), Job.objects.count()) == before


@pytest.mark.clause("7.3")
def test_staff_do_not_mark_a_case_confidential(city, alpha, enterprise):
    case = take_demand(city, enterprise).cases.get()
    with pytest.raises(PermissionDenied):
        services.case_confidential_mark(case=case, user=city.alpha_staff, reason="涉及商业秘密")
    assert not ConfidentialCase.objects.exists()
    services.case_confidential_mark(case=case, user=city.alpha_head, reason="涉及商业秘密")
    assert ConfidentialCase.objects.filter(case=case).exists()

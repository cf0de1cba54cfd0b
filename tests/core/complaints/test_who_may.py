"""The complaints' write services check who calls them, whatever the view (issue 16): the station's members only."""

import pytest
from django.core.exceptions import PermissionDenied
from django_tenants.utils import schema_context

from core.complaints import services
from core.complaints.models import Complaint, ComplaintEvent, ComplaintState
from tenants.selectors import PLATFORM


@pytest.mark.parametrize("who", ["beta_staff", "bureau_admin", "outsider"])
def test_only_the_station_s_members_handle_its_complaints(city, who):
    user = getattr(city, who)
    with schema_context(city.alpha.schema_name):
        complaint = services.complaint_create(user=city.alpha_staff, channel="phone", subject="上门迟到")
        events = ComplaintEvent.objects.count()
        with pytest.raises(PermissionDenied):
            services.complaint_create(user=user, channel="phone", subject="外人登记的投诉")
        with pytest.raises(PermissionDenied):
            services.complaint_transition(complaint=complaint, user=user, to=ComplaintState.ACKNOWLEDGED)
        with pytest.raises(PermissionDenied):
            services.complaint_link_case(complaint=complaint, user=user, case=None)
        with pytest.raises(PermissionDenied):
            services.complaint_escalate(complaint=complaint, user=user, reason="外人上报", unresolvable=True)
        with pytest.raises(PermissionDenied):
            services.complaint_create(user=PLATFORM, channel="phone", subject="平台登记的投诉")
        assert list(Complaint.objects.values_list("subject", flat=True)) == ["上门迟到"]
        assert ComplaintEvent.objects.count() == events
        complaint.refresh_from_db()
        assert (complaint.state, complaint.escalated_at) == (ComplaintState.RECEIVED, None)

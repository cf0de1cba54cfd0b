"""Escalating a complaint to the bureau before it is responded to (clause 6.5, GB/T 19013): allowed when staff judge
the dispute cannot be settled at the station, and still only once per complaint."""

import pytest
from django.core.exceptions import ValidationError
from django_tenants.utils import schema_context

from core.complaints import services
from core.complaints.models import Complaint
from core.escalations.models import Escalation
from tests.conftest import host_client
from tests.core.referrals.builders import deliver_all


@pytest.mark.clause("6.5")
def test_an_unresolvable_dispute_escalates_before_the_response_once(city):
    with schema_context(city.alpha.schema_name):
        complaint = services.complaint_create(user=city.alpha_staff, channel="phone", subject="赔偿金额争议")
        complaint = services.complaint_transition(complaint=complaint, user=city.alpha_staff, to="acknowledged")
        with pytest.raises(ValidationError) as refused:
            services.complaint_escalate(complaint=complaint, user=city.alpha_staff, reason="双方分歧大")
        assert list(refused.value.message_dict) == ["unresolvable"]
        with pytest.raises(ValidationError) as refused:
            services.complaint_escalate(complaint=complaint, user=city.alpha_staff, reason="  ", unresolvable=True)
        assert list(refused.value.message_dict) == ["reason"]
        complaint = services.complaint_escalate(
            complaint=complaint, user=city.alpha_staff, reason="双方分歧大，站内无法调解", unresolvable=True
        )
        assert complaint.escalated_at is not None and complaint.state == "acknowledged"
        with pytest.raises(ValidationError) as refused:
            services.complaint_escalate(complaint=complaint, user=city.alpha_head, reason="再次", unresolvable=True)
        assert list(refused.value.message_dict) == ["reason"]
        # The station still responds and closes it; the escalation stays the one sent.
        for to, extra in (
            ("investigating", {}),
            ("responded", {"text": "已说明"}),
            ("closed", {"feedback": "satisfied"}),
        ):
            complaint = services.complaint_transition(complaint=complaint, user=city.alpha_staff, to=to, **extra)
        with pytest.raises(ValidationError):
            services.complaint_escalate(complaint=complaint, user=city.alpha_head, reason="再次")
    deliver_all(city)
    escalation = Escalation.objects.get()
    assert (escalation.uid, escalation.station_id, escalation.station_response) == (complaint.uid, city.alpha.pk, "")
    assert escalation.reason == "双方分歧大，站内无法调解"


@pytest.mark.clause("6.5")
def test_the_page_offers_escalation_before_the_response(city, alpha_host):
    with schema_context(city.alpha.schema_name):
        complaint = services.complaint_create(user=city.alpha_staff, channel="phone", subject="赔偿金额争议")
    staff = host_client(alpha_host, city.alpha_staff)
    url = f"/complaints/{complaint.pk}/"
    assert 'id="escalate-form"' in staff.get(url).content.decode()
    refused = staff.post(url, {"action": "escalate", "reason": "分歧大"})
    assert refused.status_code == 400 and "unresolvable" in refused.context["escalate_form"].errors
    assert staff.post(url, {"action": "escalate", "reason": "分歧大", "unresolvable": "on"}).status_code == 302
    page = staff.get(url).content.decode()
    assert 'id="escalated"' in page and 'id="escalate-form"' not in page
    with schema_context(city.alpha.schema_name):
        assert Complaint.objects.get().escalated_at is not None
    for user in (city.outsider, city.beta_staff):  # refused as on every station page
        assert host_client(alpha_host, user).post(url, {"action": "escalate", "reason": "x"}).status_code == 403

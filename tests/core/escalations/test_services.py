"""The bureau's read model of escalated complaints (clause 6.5, GB/T 19013): fed only by the station that escalated."""

import pytest

from core.escalations import services as escalation_services


def test_only_the_station_itself_sends_its_escalations(city):
    payload = {
        "uid": "00000000-0000-0000-0000-000000000001",
        "complaint_id": 1,
        "subject": "x",
        "received_at": "2026-01-05T09:00:00+08:00",
        "reason": "x",
        "escalated_at": "2026-01-06T09:00:00+08:00",
    }
    with pytest.raises(Exception, match="only stations"):
        escalation_services.escalation_receive(payload=payload, source="public")
    escalation_services.escalation_receive(payload=payload, source=city.alpha.schema_name)
    with pytest.raises(Exception, match="only by the station"):
        escalation_services.escalation_receive(payload=payload, source=city.beta.schema_name)

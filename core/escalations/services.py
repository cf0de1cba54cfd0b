"""Writes of the bureau's escalated complaints (clause 6.5, GB/T 19013), in the public schema.

`escalation_receive` (the message handler) records a station's escalation once, keyed by the complaint's uid;
`escalation_handle` records the bureau's handling and sends it back to the station by message, in one transaction.
"""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from core.escalations.models import Escalation, EscalationState
from core.messaging.services import message_send
from tenants.models import User
from tenants.selectors import require_bureau_admin, station_of_source

MESSAGE_HANDLED = "complaints.bureau_handled"


@transaction.atomic
def escalation_receive(*, payload: dict, source: str) -> Escalation:
    """A station's escalation, arrived by message: recorded once (a second delivery changes nothing). One the
    station's beat task sent (`automatic`) says how many working days past its response deadline it was."""
    station = station_of_source(source=source)
    escalation, _created = Escalation.objects.get_or_create(
        uid=payload["uid"],
        defaults={
            "station": station,
            "complaint_id": payload["complaint_id"],
            "subject": payload["subject"],
            "complainant_name": payload.get("complainant_name", ""),
            "complainant_phone": payload.get("complainant_phone", ""),
            "complainant_email": payload.get("complainant_email", ""),
            "received_at": parse_datetime(payload["received_at"]),
            "station_response": payload.get("station_response", ""),
            "feedback": payload.get("feedback", ""),
            "feedback_text": payload.get("feedback_text", ""),
            "reason": payload["reason"],
            "escalated_at": parse_datetime(payload["escalated_at"]),
            "reference": payload.get("reference", ""),
            "automatic": bool(payload.get("automatic", False)),
            "overdue_working_days": payload.get("overdue_working_days"),
        },
    )
    if escalation.station_id != station.pk:
        raise PermissionDenied("an escalation is changed only by the station that sent it")
    return escalation


@transaction.atomic
def escalation_handle(*, escalation: Escalation, user: User, handling: str) -> Escalation:
    """The bureau's handling of an escalated complaint (a bureau administrator), sent back to the station. It may be
    written again (the station gets the newer text)."""
    require_bureau_admin(user=user, message=_("Only the bureau's administrators handle escalated complaints."))
    escalation = Escalation.objects.select_for_update().select_related("station").get(pk=escalation.pk)
    handling = (handling or "").strip()
    if not handling:
        raise ValidationError({"handling": [_("Write how the bureau handled the complaint.")]})
    escalation.handling, escalation.handled_at, escalation.handled_by = handling, timezone.now(), user
    escalation.state = EscalationState.HANDLED
    escalation.full_clean()
    escalation.save(update_fields=["handling", "handled_at", "handled_by", "state"])
    message_send(
        destination=escalation.station.schema_name,
        kind=MESSAGE_HANDLED,
        stream=f"escalations:{escalation.uid}",
        payload={
            "uid": str(escalation.uid),
            "handling": handling,
            "handled_at": escalation.handled_at.isoformat(),
            "handled_by": str(user),
        },
    )
    return escalation

"""What the complainant is told (clause 6.5): that the complaint is received, with its reference number and the link
of its tracking page; by SMS when they left a mobile number, by e-mail when they left an address, both when both.

Each message is a delivery of `core.deliveries` (kept with its status, sent after the commit, at most once per
complaint and channel). The texts are the templates `complaints/sms/complaint_received.txt` and
`complaints/email/complainant_received_{subject,body}.txt`, rendered in the site's language. A contact that cannot be
reached is skipped: nothing here ever blocks opening the complaint.
"""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext_lazy

from core.common.sms import mobile_number
from core.complaints.tracking import complaint_tracking_url
from core.deliveries.models import Channel, delivery_kind_register
from core.deliveries.services import delivery_queue

COMPLAINT_RECEIVED = delivery_kind_register(
    "complaint_received", gettext_lazy("Complaint received, with its reference number and tracking link")
)


def _render(template: str, context: dict) -> str:
    return render_to_string(template, context).strip()


def complainant_notify(*, complaint, station) -> int:
    """Queue the "complaint received" message to the complainant's mobile number and e-mail address (once each).
    Returns how many deliveries were queued (0 for an anonymous complaint)."""
    targets = []
    phone = mobile_number(complaint.complainant_phone)
    if phone:
        targets.append((Channel.SMS, phone))
    if complaint.complainant_email:
        targets.append((Channel.EMAIL, complaint.complainant_email))
    if not targets:
        return 0
    link = complaint_tracking_url(complaint=complaint, station=station)
    context = {"complaint": complaint, "station": station, "link": link}
    queued = 0
    with translation.override(settings.LANGUAGE_CODE):
        for channel, address in targets:
            if channel == Channel.SMS:
                subject, text = "", _render("complaints/sms/complaint_received.txt", context)
            else:
                subject = " ".join(_render("complaints/email/complainant_received_subject.txt", context).split())
                text = _render("complaints/email/complainant_received_body.txt", context)
            try:
                delivery_queue(
                    key=f"complaint:{complaint.uid}:received:{channel}",
                    channel=channel,
                    address=address,
                    kind=COMPLAINT_RECEIVED,
                    text=text,
                    subject=subject,
                    params={"number": complaint.reference, "link": link, "station_name": station.name},
                )
            except ValidationError:
                continue
            queued += 1
    return queued

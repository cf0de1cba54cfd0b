"""The complainant's tracking link of a complaint (clause 6.5): a signed link, no account, on the station's host
(`/track/complaint/<token>/`), that shows the complaint's reference number, its state in plain words, its deadlines,
the station's response once given and its escalation to the bureau, and nothing else.

The token names the station's schema and the complaint's uid, signed with the site's key under a salt of its own
(`core.common.signed_links`). Any token that is not right (tampered with, a demand's, another station's, naming no
complaint) fails the same way as a demand's tracking link: the visitor learns nothing.
"""

from django.db import connection

from core.common.signed_links import signed_link_parts, signed_link_token
from core.complaints.models import Complaint
from tenants.hosts import station_reverse
from tenants.models import Station

COMPLAINT_TRACKING_SALT = "core.complaints.tracking-link"


class ComplaintTrackingInvalid(Exception):
    """A complaint's tracking link that shows nothing."""


def complaint_tracking_token(*, complaint: Complaint) -> str:
    return signed_link_token(salt=COMPLAINT_TRACKING_SALT, parts=(str(complaint.uid),))


def complaint_tracking_url(*, complaint: Complaint, station: Station | None = None) -> str:
    """The whole link, on the station's host, as it is shown and sent."""
    station = station or Station.objects.get(schema_name=connection.schema_name)
    return station_reverse(station.code, "track:complaint", token=complaint_tracking_token(complaint=complaint))


def complaint_tracking_verify(*, token: str) -> Complaint:
    """The complaint a tracking link names, in the active station's schema, or `ComplaintTrackingInvalid`."""
    parts = signed_link_parts(salt=COMPLAINT_TRACKING_SALT, token=token, count=1)
    if parts is None:
        raise ComplaintTrackingInvalid("not a complaint's tracking link of this station")
    try:
        complaint = Complaint.objects.filter(uid=parts[0]).first()
    except Exception:  # noqa: BLE001  (not a uuid: a forged part cannot be signed, but fail alike anyway)
        complaint = None
    if complaint is None:
        raise ComplaintTrackingInvalid("gone")
    return complaint

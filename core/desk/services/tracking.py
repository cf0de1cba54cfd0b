"""The enterprise's tracking link of a demand: a signed link, no account, that shows the demand's cases as the
enterprise needs to know them (what is happening, who serves it and how to reach them, what comes next and when,
the documents released to it), and nothing else.

The token names the station's schema, the demand and the link's version, signed with the site's key. It stops
working when the station revokes it, when the station renews it (a new version: every earlier link ends), and after
the archive's retention (clause 7.4: the demand may be disposed of then). Anything else about a token that is not
right (tampered with, another station's, naming no demand) fails the same way: the visitor learns nothing.
"""

import datetime
import re
import unicodedata

from django.core import signing
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django_tenants.utils import get_public_schema_name, schema_context

from core.deliveries.models import Channel as DeliveryChannel
from core.desk.models import Channel, Demand, EventKind
from core.desk.services._base import _event, _station
from core.desk.services.notices import enterprise_notify
from tenants.hosts import station_reverse
from tenants.models import Station, User
from tenants.selectors import require_member

TRACKING_LINK_SALT = "core.desk.tracking-link"


class TrackingLinkInvalid(Exception):
    """A tracking link that shows nothing: tampered with, revoked, renewed since, too old or not of this station."""


def _signer() -> signing.Signer:
    return signing.Signer(salt=TRACKING_LINK_SALT)


def tracking_token(*, demand: Demand) -> str:
    return _signer().sign(f"{connection.schema_name}.{demand.pk}.{demand.tracking_version}")


def tracking_url(*, demand: Demand, station=None) -> str:
    """The whole link, on the station's host, as it is sent and printed."""
    station = station or _station()
    return station_reverse(station.code, "track:page", token=tracking_token(demand=demand))


def tracking_valid_until(*, demand: Demand) -> datetime.date:
    """The last day the link works: the archive's retention, counted from the demand's last closed case (or from
    the demand while a case is open, which keeps it working)."""
    from core.archive.services import retention_end

    closed = [case.closed_at for case in demand.cases.all() if case.closed_at is not None]
    open_cases = any(case.closed_at is None for case in demand.cases.all())
    last = timezone.now() if open_cases else max([demand.created_at, *closed])
    return retention_end(last) - datetime.timedelta(days=1)


def tracking_verify(*, token: str) -> Demand:
    """The demand a tracking link names, in the active station's schema, or `TrackingLinkInvalid`."""
    try:
        value = _signer().unsign(token)
    except signing.BadSignature:
        raise TrackingLinkInvalid("not signed here") from None
    parts = value.split(".")
    if len(parts) != 3 or parts[0] != connection.schema_name or not (parts[1].isdigit() and parts[2].isdigit()):
        raise TrackingLinkInvalid("not a tracking link of this station")
    demand = Demand.objects.filter(pk=int(parts[1])).prefetch_related("cases").first()
    if demand is None or demand.tracking_version != int(parts[2]) or demand.tracking_revoked_at is not None:
        raise TrackingLinkInvalid("revoked, renewed or gone")
    if timezone.localdate() > tracking_valid_until(demand=demand):
        raise TrackingLinkInvalid("past the archive's retention")
    return demand


def _note_on_cases(demand: Demand, *, user: User, text: str) -> None:
    for case in demand.cases.all():
        _event(case, kind=EventKind.NOTE, actor=user, text=text)


@transaction.atomic
def demand_tracking_revoke(*, demand: Demand, user: User) -> Demand:
    """End the demand's tracking link now (a member of the station: a link sent to a wrong number, say). Revoking a
    revoked link changes nothing."""
    require_member(user=user)
    demand = Demand.objects.select_for_update().get(pk=demand.pk)
    if demand.tracking_revoked_at is None:
        demand.tracking_revoked_at = timezone.now()
        demand.tracking_revoked_by = user
        demand.save(update_fields=["tracking_revoked_at", "tracking_revoked_by"])
        _note_on_cases(demand, user=user, text=_("The enterprise's tracking link was revoked."))
    return demand


@transaction.atomic
def demand_tracking_renew(*, demand: Demand, user: User, send: bool = True) -> Demand:
    """Make a new tracking link for the demand: every earlier link stops working. With `send`, the new link goes to
    the enterprise's contacts (SMS to a mobile number, e-mail to an address) after the commit."""
    require_member(user=user)
    demand = Demand.objects.select_for_update().get(pk=demand.pk)
    demand.tracking_version += 1
    demand.tracking_revoked_at = None
    demand.tracking_revoked_by = None
    demand.save(update_fields=["tracking_version", "tracking_revoked_at", "tracking_revoked_by"])
    _note_on_cases(demand, user=user, text=_("A new tracking link was made: earlier links no longer work."))
    if send:
        demand_tracking_send(demand=demand)
    return demand


def demand_tracking_send(*, demand: Demand, station=None) -> None:
    """Send the demand's tracking link to the enterprise (registered, or renewed): once per link version."""
    station = station or _station()
    enterprise_notify(
        demand=demand,
        kind="demand_registered",
        key=f"demand:{demand.pk}:link:{demand.tracking_version}",
        context={"link": tracking_url(demand=demand, station=station), "station": station},
    )


def _announce(*, case, kind: str, key: str, channels=None, **context) -> None:
    demand = case.demand
    if demand.channel == Channel.REFERRAL:
        return  # the enterprise follows a referred need at the station it asked, which tells it
    station = _station()
    context = {"station": station, "link": tracking_url(demand=demand, station=station), **context}
    extra = {"channels": channels} if channels else {}
    enterprise_notify(demand=demand, case=case, kind=kind, key=key, context=context, **extra)


def case_partner_announce(*, case, key: str, partner: str, phone: str) -> None:
    """Tell the enterprise that another station or an institution serves its need now, and how to reach it (sent when
    the partner takes the referral on; once per referral)."""
    _announce(case=case, kind="referred", key=key, partner=partner, phone=phone or "—")


def case_appointment_announce(*, case, plan) -> None:
    """Tell the enterprise the time the station booked to serve it (once per plan: a re-plan is a new booking)."""
    if plan.appointment_at is None:
        return
    station = _station()
    when = timezone.localtime(plan.appointment_at).strftime("%Y-%m-%d %H:%M")
    _announce(case=case, kind="appointment", key=f"plan:{plan.pk}:appointment", time=when, phone=station.service_phone)


def case_completed_announce(*, case, survey_link: str) -> None:
    """The SMS of a completed case, with its survey link (the survey's invitation is the e-mail)."""
    _announce(
        case=case,
        kind="case_completed",
        key=f"case:{case.pk}:completed",
        channels=(DeliveryChannel.SMS,),
        survey_link=survey_link,
    )


def case_survey_reminder_announce(*, case, survey_link: str) -> None:
    _announce(
        case=case,
        kind="survey_reminder",
        key=f"case:{case.pk}:survey-reminder",
        channels=(DeliveryChannel.SMS,),
        survey_link=survey_link,
    )


NUMBER_PATTERN = re.compile(r"^(?P<code>[A-Za-z0-9_-]+?)-(?P<year>\d{4})-(?P<serial>\d{6})$")


def tracking_lookup(*, number: str, phone_last4: str) -> str | None:
    """The tracking link of the demand numbered `number` whose contact phone ends in `phone_last4` (the portal's
    "find my demand"), or None for anything else: a number of no station, no such demand, other digits, a revoked
    link. All fail alike, so the form tells nobody which demands exist."""
    match = NUMBER_PATTERN.match(unicodedata.normalize("NFKC", number).strip().upper())
    digits = unicodedata.normalize("NFKC", phone_last4).strip()
    if match is None or not (len(digits) == 4 and digits.isdigit()):
        return None
    station = Station.objects.exclude(schema_name=get_public_schema_name()).filter(code__iexact=match["code"]).first()
    if station is None:
        return None
    with schema_context(station.schema_name):
        demand = Demand.objects.filter(number=match.group(0)).prefetch_related("cases").first()
        if demand is None or re.sub(r"\D", "", demand.phone)[-4:] != digits:
            return None
        try:
            tracking_verify(token=tracking_token(demand=demand))
        except TrackingLinkInvalid:
            return None
        return tracking_url(demand=demand, station=station)

"""Expiring qualifications of institutions: told of at 90, 30 and 0 days before their end (`EXPIRY_NOTICE_DAYS`),
each once per qualification, end date and threshold (`Qualification.expiry_notices`), to the bureau's administrators
and to the heads of the stations that referred work to the institution in the last year: each in one notification
listing the qualifications newly due (core.notifications: in the app, and by e-mail or SMS as each chose)."""

import datetime
import hashlib

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from core.directory.models import Qualification
from core.directory.selectors import institution_referring_stations, qualification_list_notice_due
from core.notifications.kinds import QUALIFICATION_EXPIRING
from core.notifications.services import notify
from tenants.hosts import public_url, station_reverse
from tenants.models import BureauRole, Station, User
from tenants.selectors import station_heads


def _tell(
    *,
    recipients,
    due: list[tuple[Qualification, str]],
    key: str,
    url: str,
    station: Station | None,
    today: datetime.date,
) -> None:
    """One notification of the qualifications `due` to `recipients`."""
    qualifications = [qualification for qualification, _mark in due]
    with translation.override(settings.LANGUAGE_CODE):
        count = len(qualifications)
        title = ngettext(
            "%(n)s institution qualification expires soon", "%(n)s institution qualifications expire soon", count
        ) % {"n": count}
        lines = [f"{q.institution.name} · {q} · {_('valid until')} {q.valid_until:%Y-%m-%d}" for q in qualifications]
    digest = hashlib.sha256(",".join(mark for _q, mark in due).encode()).hexdigest()[:16]
    notify(
        recipients=recipients,
        kind=QUALIFICATION_EXPIRING,
        key=f"{key}:{today:%Y%m%d}:{digest}",
        title=title,
        body="\n".join(lines),
        url=url,
        station=station,
        email=("directory", "expiring", {"qualifications": qualifications, "today": today}),
    )


def qualification_expiry_notify(*, today: datetime.date | None = None) -> int:
    """Tell of the qualifications that reached a threshold since last run (beat, daily): the bureau's administrators
    of all of them, each referring station's heads of those of its institutions. Returns how many."""
    with transaction.atomic():
        today = today or timezone.localdate()
        due = qualification_list_notice_due(today=today)
        if not due:
            return 0
        admins = User.objects.filter(bureau_role=BureauRole.ADMIN, is_active=True).order_by("pk")
        public_list = public_url(reverse("directory:institutions", urlconf=settings.PUBLIC_SCHEMA_URLCONF))
        _tell(
            recipients=admins,
            due=due,
            key=f"{QUALIFICATION_EXPIRING}:institutions",
            url=public_list,
            station=None,
            today=today,
        )
        referring = institution_referring_stations(institution_ids={q.institution_id for q, _mark in due}, today=today)
        by_station: dict[int, tuple[Station, list[tuple[Qualification, str]]]] = {}
        for qualification, mark in due:
            for station in referring.get(qualification.institution_id, ()):
                by_station.setdefault(station.pk, (station, []))[1].append((qualification, mark))
        for station, station_due in by_station.values():
            _tell(
                recipients=station_heads(station=station),
                due=station_due,
                key=f"{QUALIFICATION_EXPIRING}:institutions:{station.code}",
                url=station_reverse(station.code, "directory:institutions"),
                station=station,
                today=today,
            )
        for qualification, mark in due:
            qualification.expiry_notices = [*qualification.expiry_notices, mark]
        Qualification.objects.bulk_update([q for q, _mark in due], ["expiry_notices"])
    return len(due)

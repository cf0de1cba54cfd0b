"""Expiring qualifications: the bureau's administrators are notified once of the newly expiring ones, in one
notification listing them (core.notifications: in the app, and by e-mail or SMS as each chose)."""

import hashlib

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from core.directory.models import Qualification
from core.directory.selectors import qualification_list_expiring
from core.notifications.kinds import QUALIFICATION_EXPIRING
from core.notifications.services import notify
from tenants.hosts import public_url
from tenants.models import BureauRole, User


def qualification_expiry_notify() -> int:
    """Flag qualifications that entered the warning period and tell the bureau once. Returns how many."""
    with transaction.atomic():
        fresh = list(
            qualification_list_expiring()
            .filter(expiry_notified_at__isnull=True)
            .select_related("institution")
            .select_for_update(of=("self",))
        )
        if not fresh:
            return 0
        admins = User.objects.filter(bureau_role=BureauRole.ADMIN, is_active=True).order_by("pk")
        today = timezone.localdate()
        with translation.override(settings.LANGUAGE_CODE):
            count = len(fresh)
            title = ngettext(
                "%(n)s institution qualification expires soon", "%(n)s institution qualifications expire soon", count
            ) % {"n": count}
            lines = [f"{q.institution.name} · {q} · {_('valid until')} {q.valid_until:%Y-%m-%d}" for q in fresh]
        digest = hashlib.sha256(",".join(str(q.pk) for q in fresh).encode()).hexdigest()[:16]
        notify(
            recipients=admins,
            kind=QUALIFICATION_EXPIRING,
            key=f"{QUALIFICATION_EXPIRING}:institutions:{today:%Y%m%d}:{digest}",
            title=title,
            body="\n".join(lines),
            url=public_url(reverse("directory:institutions", urlconf=settings.PUBLIC_SCHEMA_URLCONF)),
            email=("directory", "expiring", {"qualifications": fresh, "today": today}),
        )
        Qualification.objects.filter(pk__in=[q.pk for q in fresh]).update(expiry_notified_at=timezone.now())
    return len(fresh)

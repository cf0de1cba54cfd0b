"""Expiring qualifications: the bureau's administrators get one e-mail listing the newly expiring ones."""

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation

from core.directory.models import Qualification
from core.directory.selectors import qualification_list_expiring
from tenants.models import BureauRole, User


def qualification_expiry_notify() -> int:
    """Flag qualifications that entered the warning period and tell the bureau once. Returns how many."""
    with transaction.atomic():
        fresh = list(qualification_list_expiring().filter(expiry_notified_at__isnull=True).select_for_update())
        if not fresh:
            return 0
        recipients = list(
            User.objects.filter(bureau_role=BureauRole.ADMIN, is_active=True)
            .exclude(email="")
            .values_list("email", flat=True)
        )
        if recipients:
            with translation.override(settings.LANGUAGE_CODE):
                context = {"qualifications": fresh, "today": timezone.localdate()}
                subject = render_to_string("directory/email/expiring_subject.txt", context).strip()
                body = render_to_string("directory/email/expiring_body.txt", context)
            send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, recipients)
        Qualification.objects.filter(pk__in=[q.pk for q in fresh]).update(expiry_notified_at=timezone.now())
    return len(fresh)

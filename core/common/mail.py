"""E-mail, the same way for every app: one message from two templates, and the retry policy of the tasks that send.

An app's e-mail is `<app>/email/<template>_subject.txt` and `_body.txt`, rendered in the site's language (the
recipient is not the request's user, so never in the request's language). It is sent from a Celery task queued after
the commit that decided on it; the task takes `MAIL_RETRY`: retried with back-off on SMTP or network errors.
"""

from smtplib import SMTPException

from django.conf import settings
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.utils import translation

MAIL_RETRY = {
    "autoretry_for": (SMTPException, OSError),
    "retry_backoff": 30,
    "retry_backoff_max": 3600,
    "retry_jitter": True,
    "max_retries": 12,
}


def mail(*, app: str, template: str, context: dict, to: list[str]) -> None:
    """Send one e-mail of `<app>/email/<template>_{subject,body}.txt`, in the site's language."""
    with translation.override(settings.LANGUAGE_CODE):
        subject = " ".join(render_to_string(f"{app}/email/{template}_subject.txt", context).split())
        body = render_to_string(f"{app}/email/{template}_body.txt", context)
    send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, to)

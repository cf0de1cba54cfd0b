"""Celery tasks of evaluation rounds: the e-mails about a round (queued after the commit that decided them, retried on
SMTP or network errors), the daily opening of re-evaluations that are due and the daily reminders of rectifications
near or past their date (beat)."""

from celery import shared_task

from core.common.mail import MAIL_RETRY
from core.evaluation import services


@shared_task(**MAIL_RETRY)
def round_mail_task(*, round_id: int, event: str, recipients: list[str]) -> bool:
    return services.round_mail(round_id=round_id, event=event, recipients=recipients)


@shared_task
def round_open_due_task() -> int:
    return services.round_open_due()


@shared_task
def rectification_remind_task() -> int:
    return services.rectification_remind()


@shared_task
def publication_finalise_task() -> int:
    """Hourly (beat): publications whose notice is over with no objection upheld or waiting become final."""
    return services.publication_finalise()

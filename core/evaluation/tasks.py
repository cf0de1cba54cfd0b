"""Celery tasks of evaluation rounds: the e-mails about a round (queued after the commit that decided them, retried on
SMTP or network errors) and the daily opening of re-evaluations that are due (beat)."""

from celery import shared_task

from core.common.mail import MAIL_RETRY
from core.evaluation import services


@shared_task(**MAIL_RETRY)
def round_mail_task(*, round_id: int, event: str, recipients: list[str]) -> bool:
    return services.round_mail(round_id=round_id, event=event, recipients=recipients)


@shared_task
def round_open_due_task() -> int:
    return services.round_open_due()

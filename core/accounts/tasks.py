from smtplib import SMTPException

from celery import shared_task

from core.accounts.services import account_link_send


@shared_task(
    autoretry_for=(SMTPException, OSError),
    retry_backoff=30,
    retry_backoff_max=3600,
    retry_jitter=True,
    max_retries=12,
)
def account_link_send_task(*, user_id: int, host: str, purpose: str) -> bool:
    return account_link_send(user_id=user_id, host=host, purpose=purpose)

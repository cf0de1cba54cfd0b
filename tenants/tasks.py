from smtplib import SMTPException

from celery import shared_task

from tenants.services import membership_invitation_send


@shared_task(
    autoretry_for=(SMTPException, OSError),
    retry_backoff=30,
    retry_backoff_max=3600,
    retry_jitter=True,
    max_retries=12,
)
def membership_invitation_send_task(*, membership_id: int) -> bool:
    return membership_invitation_send(membership_id=membership_id)

"""Celery tasks of station operations: the daily maintenance reminders in every station (beat) and their e-mail
(queued after the commit that decided it, in that station's schema, retried on SMTP or network errors), and the daily
reminders of staff qualifications ending (beat; notified through core.notifications)."""

from celery import shared_task

from core.common.mail import MAIL_RETRY
from core.operations import services
from tenants.tasks import each_station


@shared_task(**MAIL_RETRY)
def maintenance_mail_task(*, equipment_ids: list[int], recipients: list[str], today: str) -> bool:
    return services.maintenance_mail(equipment_ids=equipment_ids, recipients=recipients, today=today)


@shared_task
def maintenance_remind_all_task() -> dict[str, object]:
    return each_station(services.maintenance_remind)


@shared_task
def staff_qualification_expiry_remind_all_task() -> dict[str, object]:
    return each_station(services.staff_qualification_expiry_remind)

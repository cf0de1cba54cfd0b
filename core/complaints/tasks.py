"""Celery tasks of complaints: the deadline reminders (clause 6.5).

The beat task runs in the public schema and calls `complaint_deadline_remind` in each station's schema; the e-mail
task runs in the station's schema after the commit that decided on the reminder, retried with back-off on SMTP or
network errors (a reminder already sent is not sent again).
"""

from celery import shared_task

from core.common.mail import MAIL_RETRY
from core.complaints import services
from tenants.tasks import each_station


@shared_task(**MAIL_RETRY)
def complaint_reminder_send_task(*, reminder_id: int) -> bool:
    return services.complaint_reminder_send(reminder_id=reminder_id)


@shared_task
def complaint_deadline_remind_all_task() -> dict[str, object]:
    return each_station(services.complaint_deadline_remind)

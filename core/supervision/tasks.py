"""Celery tasks of public supervision: the due-date reminders of improvement plans (clause 6.1).

The beat task runs in the public schema and calls `plan_due_remind` in each station's schema; the e-mail task runs in
the station's schema after the commit that decided on the reminder, retried with back-off on SMTP or network errors
(a reminder already sent is not sent again).
"""

from celery import shared_task

from core.common.mail import MAIL_RETRY
from core.supervision import services
from tenants.tasks import each_station


@shared_task(**MAIL_RETRY)
def plan_reminder_send_task(*, reminder_id: int) -> bool:
    return services.plan_reminder_send(reminder_id=reminder_id)


@shared_task
def plan_due_remind_all_task() -> dict[str, object]:
    return each_station(services.plan_due_remind)

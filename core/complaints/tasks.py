"""Celery tasks of complaints: the deadline reminders and the automatic escalation of complaints left without a
response (clause 6.5).

The beat tasks run in the public schema and calls `complaint_deadline_remind` in each station's schema; whom a
reminder tells is notified through core.notifications (its deliveries sent after the commit, each at most once).
"""

from celery import shared_task

from core.complaints import services
from tenants.tasks import each_station


@shared_task
def complaint_deadline_remind_all_task() -> dict[str, object]:
    return each_station(services.complaint_deadline_remind)


@shared_task
def complaint_escalate_overdue_all_task() -> dict[str, object]:
    return each_station(services.complaint_escalate_overdue)

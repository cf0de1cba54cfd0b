"""Celery tasks of the station desk: the e-mails of satisfaction surveys (clause 5.2.4), and the beat tasks that look
for what is due in every station (the deadline reminders go through core.notifications).

An e-mail task is queued after the commit of the transaction that decided on it, in that station's schema
(tenant-schemas-celery switches the worker to it), and retried with back-off on SMTP or network errors. A beat task
runs in the public schema and calls the station's service in each station's schema in turn; a station that fails does
not stop the others.
"""

from celery import shared_task

from core.common.mail import MAIL_RETRY
from core.desk import services
from tenants.tasks import each_station


@shared_task(bind=True, **MAIL_RETRY)
def survey_invitation_send_task(self, *, invitation_id: int) -> bool:
    # The last attempt's failure is kept as final: the case page then says no retry follows.
    last_attempt = self.request.retries >= self.max_retries
    return services.survey_invitation_send(invitation_id=invitation_id, last_attempt=last_attempt)


@shared_task(**MAIL_RETRY)
def survey_reminder_send_task(*, invitation_id: int) -> bool:
    return services.survey_reminder_send(invitation_id=invitation_id)


@shared_task
def case_deadline_remind_all_task() -> dict[str, object]:
    return each_station(services.case_deadline_remind)


@shared_task
def survey_remind_due_all_task() -> dict[str, object]:
    return each_station(services.survey_remind_due)

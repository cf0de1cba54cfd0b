"""Celery tasks of referrals: the overdue flags and the station's published load (beat, every station), and the
e-mails of a referral arriving and of one overdue (queued after the commit that decided them, retried on SMTP or
network errors)."""

from celery import shared_task

from core.common.mail import MAIL_RETRY
from core.referrals import services
from tenants.tasks import each_station


@shared_task(**MAIL_RETRY)
def referral_overdue_mail_task(*, referral_id: int, recipients: list[str]) -> bool:
    return services.referral_overdue_mail(referral_id=referral_id, recipients=recipients)


@shared_task(**MAIL_RETRY)
def referral_arrived_mail_task(*, referral_id: int, recipients: list[str]) -> bool:
    return services.referral_arrived_mail(referral_id=referral_id, recipients=recipients)


@shared_task
def referral_overdue_flag_all_task() -> dict[str, object]:
    return each_station(services.referral_overdue_flag)


@shared_task
def station_load_publish_all_task() -> dict[str, object]:
    return each_station(services.station_load_publish)

"""Celery tasks of referrals: the overdue flags and the station's published load (beat, every station). Who is told
of a referral arriving, answered or overdue is notified through core.notifications."""

from celery import shared_task

from core.referrals import services
from tenants.tasks import each_station


@shared_task
def referral_overdue_flag_all_task() -> dict[str, object]:
    return each_station(services.referral_overdue_flag)


@shared_task
def station_load_publish_all_task() -> dict[str, object]:
    return each_station(services.station_load_publish)

"""Celery tasks of referrals: the overdue flags (beat, the stations with a referral due) and the station's published
load (beat, every station). Who is told of a referral arriving, answered or overdue is notified through
core.notifications."""

from celery import shared_task

from core.referrals import selectors, services
from tenants.tasks import each_station, each_station_with_work, in_schemas_with_work


@shared_task
def referral_overdue_flag_all_task() -> dict[str, object]:
    """Beat: the stations that sent a referral whose acceptance deadline has come (tenants.work), not every station."""
    return each_station_with_work(
        kind=services.OVERDUE_WORK,
        run=services.referral_overdue_flag,
        next_due=selectors.referral_overdue_next_due,
        chunk_task=referral_overdue_flag_chunk_task,
    )


@shared_task
def referral_overdue_flag_chunk_task(*, schemas: list[str]) -> dict[str, object]:
    return in_schemas_with_work(
        kind=services.OVERDUE_WORK,
        schemas=schemas,
        run=services.referral_overdue_flag,
        next_due=selectors.referral_overdue_next_due,
    )


@shared_task
def station_load_publish_all_task() -> dict[str, object]:
    return each_station(services.station_load_publish)

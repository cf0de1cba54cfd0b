"""The overdue flags' beat sweep (tenants.work): a referral sent marks its station due at its acceptance deadline; the
beat visits it only then, flags the referral, and lets the mark go."""

import datetime

import pytest
import time_machine
from django_tenants.utils import schema_context

from core.referrals.models import Referral
from core.referrals.services import OVERDUE_WORK
from core.referrals.tasks import referral_overdue_flag_all_task
from tenants.models import StationWork
from tests.core.referrals.builders import referred_case

pytestmark = pytest.mark.django_db


def overdue_mark(schema: str) -> StationWork | None:
    return StationWork.objects.filter(kind=OVERDUE_WORK, schema_name=schema).first()


def test_a_referral_sent_is_flagged_by_the_sweep_at_its_deadline_and_no_earlier(
    city, published, enterprise, django_capture_on_commit_callbacks
):
    StationWork.objects.filter(kind=OVERDUE_WORK, schema_name=city.alpha.schema_name).delete()
    _case, outgoing, _incoming = referred_case(city, enterprise)
    assert overdue_mark(city.alpha.schema_name).due_at == outgoing.accept_due_at

    assert city.alpha.code not in referral_overdue_flag_all_task()  # not due: alpha is not visited
    with time_machine.travel(outgoing.accept_due_at + datetime.timedelta(minutes=1)):
        with django_capture_on_commit_callbacks():
            assert referral_overdue_flag_all_task()[city.alpha.code] == 1
    with schema_context(city.alpha.schema_name):
        assert Referral.objects.get(pk=outgoing.pk).overdue_at is not None
    assert overdue_mark(city.alpha.schema_name) is None

"""Builders of referral tests: a case referred from alpha to beta, and delivery of every pending message in this
process (what the Celery worker does, run inline so a test can look between the steps)."""

import datetime

from django.utils import timezone
from django_tenants.utils import get_public_schema_name, schema_context

from core.messaging.services import outbox_deliver_pending
from core.referrals import services
from core.referrals.models import Direction, Referral
from tests.core.desk.builders import take_demand


def deliver_all(city) -> int:
    """Deliver every pending message of alpha, beta and the public schema until none is left; how many."""
    total = 0
    while True:
        delivered = 0
        for schema in (city.alpha.schema_name, city.beta.schema_name, get_public_schema_name()):
            with schema_context(schema):
                delivered += outbox_deliver_pending()
        total += delivered
        if not delivered:
            return total


def refer(city, case, *, station=None, parts=("contact", "instruments"), **extra) -> Referral:
    """Refer `case` (of alpha, whose schema must be current) to beta."""
    values = {
        "reason": "本站无压力表检定能力",
        "ask": "请为企业安排压力表检定",
        "consent_channel": "phone",
        "consent_at": timezone.now() - datetime.timedelta(minutes=5),
    } | extra
    return services.referral_create(
        case=case, user=city.alpha_staff, station=station or city.beta, parts=list(parts), **values
    )


def referred_case(city, enterprise):
    """A case of alpha referred to beta, delivered: (alpha's case, alpha's copy, beta's copy)."""
    with schema_context(city.alpha.schema_name):
        case = take_demand(city, enterprise).cases.get()
        outgoing = refer(city, case)
    deliver_all(city)
    with schema_context(city.beta.schema_name):
        incoming = Referral.objects.get(uid=outgoing.uid, direction=Direction.INCOMING)
    return case, outgoing, incoming


def copy_in(schema: str, referral: Referral) -> Referral:
    with schema_context(schema):
        return Referral.objects.select_related("case").get(uid=referral.uid)

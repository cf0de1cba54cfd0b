"""Builders of referral tests: a case referred from alpha to beta, and delivery of every pending message in this
process (what the Celery worker does, run inline so a test can look between the steps)."""

import datetime

from django.utils import timezone
from django_tenants.utils import get_public_schema_name, schema_context

from core.desk import services as desk
from core.desk.models import CaseState, PlanKind, ServiceCase
from core.messaging.services import outbox_deliver_pending
from core.referrals import services
from core.referrals.models import Direction, Referral
from tenants.models import MemberRole, Station, User
from tenants.selectors import PLATFORM
from tenants.services import membership_create
from tests.core.desk.builders import boxes, take_demand
from tests.factories import UserFactory

# What the receiver is told when the member to serve an accepted referral's case was never trained (clause 4.4.1).
NOT_CLEARED = "人员台账中尚无该成员已完成的上岗前培训记录。"


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


def untrained_member(station: Station) -> User:
    """A new staff member of `station` with no pre-duty training recorded: not cleared for duty (clause 4.4.1)."""
    user = UserFactory(username=f"{station.code}-untrained")
    membership_create(actor=PLATFORM, user=user, station=station, role=MemberRole.STAFF)
    return user


def copy_in(schema: str, referral: Referral) -> Referral:
    with schema_context(schema):
        return Referral.objects.select_related("case").get(uid=referral.uid)


def serve(city, case: ServiceCase) -> ServiceCase:
    """Beta plans its case (of an accepted referral) itself and starts serving it; beta's schema must be current."""
    desk.case_plan(
        case=case,
        user=city.beta_staff,
        kind=PlanKind.SELF,
        evaluation="本站可办",
        appointment_at=timezone.now(),
        staff=city.beta_staff,
    )
    return desk.case_transition(case=case, to=CaseState.IN_SERVICE, user=city.beta_staff)


def finish(city, case: ServiceCase, resolution: str = "检定压力表 2 块，合格") -> ServiceCase:
    """Beta follows its case up, writes the record (the resolution is the referral's outcome) and completes it."""
    case = desk.case_transition(case=case, to=CaseState.FOLLOWING_UP, user=city.beta_staff)
    now = timezone.now()
    desk.record_save(
        case=case,
        user=city.beta_staff,
        requested_at=now - datetime.timedelta(hours=3),
        received_at=now - datetime.timedelta(hours=2),
        ended_at=now - datetime.timedelta(hours=1),
        resolution=resolution,
    )
    return desk.case_transition(case=case, to=CaseState.COMPLETED, user=city.beta_staff)


def institution_referral(city, case: ServiceCase, institution, evaluation: str = "送计量所检定") -> Referral:
    """Plan alpha's case as referred to `institution` (alpha's schema current): the referral it opens."""
    desk.case_plan(
        case=case,
        user=city.alpha_staff,
        kind=PlanKind.INSTITUTION,
        evaluation=evaluation,
        institution=institution,
        agreed_items=list(case.items.all()),
    )
    return Referral.objects.filter(case=case, institution=institution).first()


def beta_case(city, enterprise) -> ServiceCase:
    """A new metrology case of beta (for referrals the other way round)."""
    with schema_context(city.beta.schema_name):
        demand = desk.demand_create(
            station=city.beta,
            user=city.beta_staff,
            enterprise=enterprise,
            channel="phone",
            boxes=boxes("计量检定、校准"),
        )
        return demand.cases.get()

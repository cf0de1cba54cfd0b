"""The desk's write services check who calls them, whatever the view (issue 16): the station's members; the platform
and the messages between stations where a case follows its referral; the enterprise itself (`PUBLIC`) with its online
demand and its survey link. Nobody else, and never "no one"."""

import pytest
from django.core.exceptions import PermissionDenied

from core.desk import services
from core.desk.models import CaseEvent, CaseState, Demand, EventKind, PlanKind
from tenants.selectors import DEMO, MESSAGES, PLATFORM, PUBLIC
from tests.core.desk.builders import boxes, take_demand

pytestmark = pytest.mark.django_db

NOT_MEMBERS = ["beta_head", "beta_staff", "bureau_admin", "outsider"]


@pytest.mark.parametrize("who", NOT_MEMBERS)
def test_only_members_take_a_demand(city, alpha, enterprise, who):
    with pytest.raises(PermissionDenied):
        services.demand_create(
            station=city.alpha,
            user=getattr(city, who),
            enterprise=enterprise,
            channel="visit",
            boxes=boxes("计量检定、校准"),
        )
    assert not Demand.objects.exists()


def test_the_enterprise_itself_submits_online_and_is_kept_as_nobody(city, alpha, enterprise):
    demand = services.demand_create(
        station=city.alpha, user=PUBLIC, enterprise=enterprise, channel="online", boxes=boxes("计量检定、校准")
    )
    assert demand.created_by is None
    assert demand.cases.get().events.get().actor is None
    for actor in (PLATFORM, MESSAGES, DEMO, None):
        with pytest.raises(PermissionDenied):
            services.demand_create(
                station=city.alpha, user=actor, enterprise=enterprise, channel="online", boxes=boxes("计量检定、校准")
            )


@pytest.mark.parametrize("who", NOT_MEMBERS)
def test_only_members_work_a_case(city, alpha, enterprise, who):
    case = take_demand(city, enterprise).cases.get()
    user = getattr(city, who)
    events = CaseEvent.objects.count()
    before = (case.state, case.assignee_id, case.version)
    with pytest.raises(PermissionDenied):
        services.case_transition(case=case, to=CaseState.EVALUATING, user=user)
    with pytest.raises(PermissionDenied):
        services.case_event_add(case=case, user=user, kind=EventKind.NOTE, text="外人留言")
    with pytest.raises(PermissionDenied):
        services.case_assign(case=case, user=user, assignee=city.alpha_staff)
    with pytest.raises(PermissionDenied):
        services.case_plan(case=case, user=user, kind=PlanKind.INSTITUTION, evaluation="外人评估")
    assert CaseEvent.objects.count() == events
    case.refresh_from_db()
    assert (case.state, case.assignee_id, case.version) == before


def test_a_case_follows_its_referral_only_as_a_named_system_actor(city, alpha, enterprise):
    case = take_demand(city, enterprise).cases.get()
    for actor in (None, DEMO):
        with pytest.raises(PermissionDenied):
            services.case_transition(case=case, to=CaseState.EVALUATING, user=actor)
    case = services.case_transition(case=case, to=CaseState.EVALUATING, user=PLATFORM, reason="转介已接受")
    assert case.events.filter(to_state=CaseState.EVALUATING).get().actor is None
    case = services.case_transition(case=case, to=CaseState.ON_HOLD, user=MESSAGES, reason="对方暂停")
    assert case.state == CaseState.ON_HOLD

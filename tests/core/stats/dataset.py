"""A small fixed data set of the city statistics, with figures worked out by hand (issue 6).

The period is Monday 2 to Friday 6 November 2026 (Asia/Shanghai); every step happens at a fixed time.

alpha (银州, Yinzhou District):
- a1 metrology, received Mon 09:00, served by the station; request 08:00, answered 11:00 (response 3 h); completed
  Wed 09:00 (48 h, on time); survey Thu: everything very satisfied, solved.
- a2 product testing, received Tue 09:00 with a 1 working-day target (due at the end of Wed); request 09:00,
  answered 10:00 (1 h); completed Thu 21:00 (60 h, late); survey Fri: q1 fair, q10 dissatisfied, the rest satisfied, not solved.
- a3 metrology, received Wed 09:00, planned to an institution, open.
- a4 metrology, received Thu 10:00, referred to beta, waiting.
- a5 metrology, received Mon 9 November, after the period: counted nowhere.
- complaint c1 about a1, received Wed 15:00, responded and escalated to the bureau Thu; complaint c2 about no case,
  received Fri 16:00.
beta (开原, Kaiyuan City):
- b1 metrology, received Fri 30 October (before the period); request 08:00, answered 10:00 (2 h); completed Tue
  3 November 09:00 (96 h, on time); no survey.
- b2 metrology, received Fri 09:00, cancelled the same day.
- a complaint about b1, received Sun 1 November (before the period).

By hand, for the period:
- alpha: 4 demands, 4 received, 1 to an institution, 1 to a station; 2 completed, 1 on time (50%); median response
  (3, 1) = 2.0 h; median completion (48, 60) = 54.0 h; 2 surveys: q1 50%, q2–q9 100%, overall (q10) 50%, solved 50%.
- beta: 1 demand, 1 received; 1 completed, on time; response 2.0 h; completion 96.0 h; no survey.
- city: 5 demands, 5 received, 1 + 1 referred; 3 completed, 2 on time; median response (3, 1, 2) = 2.0 h; median
  completion (48, 60, 96) = 60.0 h; 2 surveys, overall 50%, solved 50%.
- complaints: alpha 2 (1 escalated), beta 0; by category metrology 1 (c1, escalated), none elsewhere (c2 is about no
  case: only in the city's 2).
- by category: metrology 4 received (a1, a3, a4, b2), 2 completed (a1, b1); product testing 1 received, 1 completed.
- per day: received 1 each day (a1 Mon … b2 Fri); completed Tue (b1), Wed (a1), Thu (a2); surveys Thu, Fri.
"""

import datetime
from zoneinfo import ZoneInfo

import time_machine
from django_tenants.utils import schema_context

from core.complaints import services as complaints
from core.desk import services as desk
from core.desk.models import CaseState, PlanKind, ServiceCase
from core.directory.models import Institution
from tests.core.desk.builders import boxes, new_enterprise
from tests.core.referrals.builders import deliver_all, refer

SHANGHAI = ZoneInfo("Asia/Shanghai")
START, END = datetime.date(2026, 11, 2), datetime.date(2026, 11, 6)
METROLOGY, TESTING = "计量检定、校准", "产品检验检测"


def at(day: int, hour: int, minute: int = 0, month: int = 11) -> datetime.datetime:
    return datetime.datetime(2026, month, day, hour, minute, tzinfo=SHANGHAI)


def _clock(moment: datetime.datetime):
    return time_machine.travel(moment, tick=False)


def _demand(city, station, staff, when, box=METROLOGY, **extra) -> ServiceCase:
    with _clock(when):
        demand = desk.demand_create(
            station=station,
            user=staff,
            enterprise=new_enterprise(),
            channel="visit",
            boxes=boxes(box),
            **extra,
        )
    return demand.cases.get()


def _serve(staff, case, *, when, requested, answered, completed) -> ServiceCase:
    with _clock(when):
        case = desk.case_plan(
            case=case, user=staff, kind=PlanKind.SELF, evaluation="本站可办", appointment_at=when, staff=staff
        )
        case = ServiceCase.objects.get(pk=case.case_id)
        case = desk.case_transition(case=case, to=CaseState.IN_SERVICE, user=staff)
    with _clock(completed):
        case = desk.case_transition(case=case, to=CaseState.FOLLOWING_UP, user=staff)
        desk.record_save(
            case=case,
            user=staff,
            requested_at=requested,
            received_at=requested,
            answered_at=answered,
            on_site_at=answered,
            ended_at=answered + datetime.timedelta(hours=1),
            resolution="已办结",
        )
        return desk.case_transition(case=case, to=CaseState.COMPLETED, user=staff)


def _survey(staff, case, when, **answers) -> None:
    rated = dict.fromkeys(("q1", "q2", "q3", "q4", "q6", "q7", "q8", "q9", "q10"), "very_satisfied")
    with _clock(when):
        desk.survey_submit(case=case, channel="paper", user=staff, **(rated | {"q5": True} | answers))


def build(city, institution: Institution | None = None) -> dict[str, ServiceCase]:
    """Take the data set through the desk's and the referrals' services, and deliver every message. Needs alpha and
    beta published (the `published` fixture): alpha refers a4 to beta."""
    cases = {}
    with schema_context(city.alpha.schema_name):
        staff = city.alpha_staff
        a1 = _demand(city, city.alpha, staff, at(2, 9))
        a1 = _serve(staff, a1, when=at(2, 10), requested=at(2, 8), answered=at(2, 11), completed=at(4, 9))
        _survey(staff, a1, at(5, 10))
        a2 = _demand(city, city.alpha, staff, at(3, 9), box=TESTING, target_days=1)
        a2 = _serve(staff, a2, when=at(3, 9, 30), requested=at(3, 9), answered=at(3, 10), completed=at(5, 21))
        satisfied = dict.fromkeys(("q2", "q3", "q4", "q6", "q7", "q8", "q9"), "satisfied")
        _survey(staff, a2, at(6, 10), q1="fair", q10="dissatisfied", q5=False, **satisfied)
        a3 = _demand(city, city.alpha, staff, at(4, 9))
        institution = institution or Institution.objects.create(name="铁岭市计量测试所（统计测试）", kind="metrology")
        with _clock(at(4, 10)):
            desk.case_plan(
                case=a3,
                user=staff,
                kind=PlanKind.INSTITUTION,
                evaluation="需送检",
                institution=institution,
                agreed_items=list(a3.items.all()),
            )
        a4 = _demand(city, city.alpha, staff, at(5, 10))
        with _clock(at(5, 11)):
            refer(city, a4)
        a5 = _demand(city, city.alpha, staff, at(9, 9))
        cases.update(a1=a1, a2=a2, a3=a3, a4=a4, a5=a5)
        # Two complaints: one about a1 (metrology), answered and escalated to the bureau; one about no case.
        with _clock(at(4, 15)):
            c1 = complaints.complaint_create(user=staff, channel="phone", subject="检定报告迟迟未出", case=a1)
            for to in ("acknowledged", "investigating"):
                c1 = complaints.complaint_transition(complaint=c1, user=staff, to=to)
        with _clock(at(5, 10)):
            c1 = complaints.complaint_transition(complaint=c1, user=staff, to="responded", text="已加急出具报告")
            complaints.complaint_escalate(complaint=c1, user=staff, reason="企业仍不满意")
        with _clock(at(6, 16)):
            complaints.complaint_create(user=staff, channel="box", subject="服务站周末无人值守")
    with schema_context(city.beta.schema_name):
        staff = city.beta_staff
        b1 = _demand(city, city.beta, staff, at(30, 9, month=10))
        b1 = _serve(
            staff,
            b1,
            when=at(30, 10, month=10),
            requested=at(30, 8, month=10),
            answered=at(30, 10, month=10),
            completed=at(3, 9),
        )
        b2 = _demand(city, city.beta, staff, at(6, 9))
        with _clock(at(6, 15)):
            b2 = desk.case_transition(case=b2, to=CaseState.CANCELLED, user=staff, reason="企业撤回")
        cases.update(b1=b1, b2=b2)
        with _clock(at(1, 9)):  # before the period
            complaints.complaint_create(user=staff, channel="phone", subject="电话无人接听", case=b1)
    deliver_all(city)
    return cases

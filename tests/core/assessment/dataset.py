"""A small fixed data set of the staff assessment and the period summary (clauses 6.3, 6.4, 6.6), with figures
worked out by hand. The period is November 2026 (Asia/Shanghai); every step happens at a fixed time, through the
desk's and the complaints' services.

alpha, cases of alpha_staff (the member assessed):
- c1 received Mon 2 Nov 09:00, completed Wed 4 Nov 09:00 (on time); survey Thu 5 Nov: Q4 very satisfied, Q8
  satisfied; no re-plan, no complaint.
- c2 received Tue 3 Nov 09:00 with a 1 working-day target (due at the end of Wed 4 Nov), completed Thu 5 Nov 21:00
  (late); survey Fri 6 Nov: Q4 satisfied, Q8 fair; a complaint about it on Mon 9 Nov.
- c3 received Wed 4 Nov 09:00, planned, re-planned the same day (one superseded plan), completed Tue 10 Nov 10:00
  (on time); survey Wed 11 Nov: Q4 fair, Q8 very satisfied, not solved.
- c4 received Wed 28 Oct, completed Fri 30 Oct (before the period: not counted for timeliness nor accuracy); survey
  Mon 2 Nov 10:00 (in the period): Q4 and Q8 very satisfied.
- c6 received Wed 25 Nov, completed Tue 1 Dec (after the period): counted nowhere for November but as received.
alpha, a case of alpha_head (not the member assessed):
- c5 received Mon 2 Nov 10:00, completed Tue 3 Nov 10:00 (on time); survey Wed 4 Nov: everything dissatisfied,
  not solved.

By hand, alpha_staff in November:
- civility: 4 surveys (c4, c1, c2, c3); Q4 satisfied or better 3 (c4, c1, c2); Q8 3 (c4, c1, c3); both 2 (c4, c1):
  50%.
- timeliness: 3 completed (c1, c2, c3), 2 on time (c1, c3): 66.67%; late: c2.
- accuracy: of the 3 completed, 1 re-plan (c3), 1 complaint (c2), 1 case with neither (c1): 33.33%.
The station in November: 5 cases received (5 demands: c1, c2, c3, c5, c6), 4 completed (c1, c2, c3, c5), 3 on time
(c1, c3, c5); 5 surveys (c4, c5, c1, c2, c3): overall (Q10) 4 of 5 satisfied (80%), solved 3 of 5 (60%); 1 complaint,
about a case.
"""

import datetime
from zoneinfo import ZoneInfo

import time_machine
from django_tenants.utils import schema_context

from core.complaints import services as complaints
from core.desk import services as desk
from core.desk.models import CaseState, PlanKind, ServiceCase
from tests.core.desk.builders import boxes, new_enterprise

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOVEMBER = datetime.date(2026, 11, 1)
RATED = ("q1", "q2", "q3", "q4", "q6", "q7", "q8", "q9", "q10")


def at(month: int, day: int, hour: int, minute: int = 0) -> datetime.datetime:
    return datetime.datetime(2026, month, day, hour, minute, tzinfo=SHANGHAI)


def clock(moment: datetime.datetime):
    return time_machine.travel(moment, tick=False)


def _case(station, user, when, **extra) -> ServiceCase:
    with clock(when):
        demand = desk.demand_create(
            station=station,
            user=user,
            enterprise=new_enterprise(),
            channel="visit",
            boxes=boxes("计量检定、校准"),
            **extra,
        )
    return demand.cases.get()


def _plan(case, user, when, evaluation="本站可办") -> ServiceCase:
    with clock(when):
        desk.case_plan(case=case, user=user, kind=PlanKind.SELF, evaluation=evaluation, appointment_at=when, staff=user)
    return ServiceCase.objects.get(pk=case.pk)


def _complete(case, user, when) -> ServiceCase:
    with clock(when):
        case = desk.case_transition(case=case, to=CaseState.IN_SERVICE, user=user)
        case = desk.case_transition(case=case, to=CaseState.FOLLOWING_UP, user=user)
        begun = when - datetime.timedelta(hours=2)
        desk.record_save(
            case=case,
            user=user,
            requested_at=case.received_at,
            received_at=case.received_at,
            answered_at=begun,
            on_site_at=begun,
            ended_at=when - datetime.timedelta(hours=1),
            resolution="已办结",
        )
        return desk.case_transition(case=case, to=CaseState.COMPLETED, user=user)


def _survey(case, user, when, **answers) -> None:
    with clock(when):
        desk.survey_submit(
            case=case, channel="paper", user=user, **(dict.fromkeys(RATED, "very_satisfied") | {"q5": True} | answers)
        )


def build(city) -> dict[str, ServiceCase]:
    staff, head = city.alpha_staff, city.alpha_head
    with schema_context(city.alpha.schema_name):
        c4 = _plan(_case(city.alpha, staff, at(10, 28, 9)), staff, at(10, 28, 10))
        c4 = _complete(c4, staff, at(10, 30, 9))
        _survey(c4, staff, at(11, 2, 10))

        c1 = _plan(_case(city.alpha, staff, at(11, 2, 9)), staff, at(11, 2, 9, 30))
        c1 = _complete(c1, staff, at(11, 4, 9))
        _survey(c1, staff, at(11, 5, 10), q8="satisfied")

        c5 = _plan(_case(city.alpha, head, at(11, 2, 10)), head, at(11, 2, 10, 30))
        c5 = _complete(c5, head, at(11, 3, 10))
        _survey(c5, head, at(11, 4, 10), q5=False, **dict.fromkeys(RATED, "dissatisfied"))

        c2 = _plan(_case(city.alpha, staff, at(11, 3, 9), target_days=1), staff, at(11, 3, 9, 30))
        c2 = _complete(c2, staff, at(11, 5, 21))
        _survey(c2, staff, at(11, 6, 10), q4="satisfied", q8="fair")
        with clock(at(11, 9, 9)):
            complaints.complaint_create(user=head, channel="phone", subject="办理超时，态度一般", case=c2)

        c3 = _plan(_case(city.alpha, staff, at(11, 4, 9)), staff, at(11, 4, 9, 30))
        c3 = _plan(c3, staff, at(11, 4, 15), evaluation="重新评估：需上门")
        c3 = _complete(c3, staff, at(11, 10, 10))
        _survey(c3, staff, at(11, 11, 10), q4="fair", q5=False)

        c6 = _plan(_case(city.alpha, staff, at(11, 25, 9)), staff, at(11, 25, 10))
        c6 = _complete(c6, staff, at(12, 1, 10))
    return {"c1": c1, "c2": c2, "c3": c3, "c4": c4, "c5": c5, "c6": c6}

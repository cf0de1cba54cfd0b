"""The station home is a workspace (issue 15): the head sees the station's whole picture (today's new demands, the
inbox, cases near or past their deadline, referrals waiting for an answer, complaints due, this month against last),
a staff member their own cases and deadlines, the inbox and the referrals waiting; each with counts and a short list
linking to the existing pages, in a fixed number of queries.

The data is one station's fortnight with fixed times (Asia/Shanghai), looked at on Wednesday 15 April 2026, 10:00:
- last month: m1 received Tue 3 March, completed Thu 5 March (on time), surveyed Fri 6 March (overall satisfied);
  m2 received Tue 10 March with a 5 working-day target (due Tue 17 March), completed Tue 24 March (late), no survey;
- this month: a1 received Wed 1 April, completed Fri 3 April (on time), surveyed Tue 7 April (overall dissatisfied);
  a2 received Mon 13 April with a 1 working-day target (due Tue 14 April), in service with alpha-staff: past due;
  a4 received Tue 14 April with a 2 working-day target (due Thu 16 April): in the inbox, near its deadline;
  a3 received today 08:30: in the inbox, due in ten working days;
- a referral from beta, requested Fri 10 April: its answer was due Tue 14 April (past due);
- complaints: c1 received Mon 13 April, not acknowledged (acknowledgement due Tue 14 April: past due); c3 received
  Tue 14 April 16:00 (acknowledgement due today: due soon); c2 received and acknowledged today (response due in five
  working days: not due yet).
"""

import datetime
import re
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django_tenants.utils import schema_context

from core.archive.services import case_confidential_mark
from core.complaints import services as complaints
from core.complaints.models import Complaint, ComplaintState
from core.desk import services as desk
from core.desk.models import CaseState, PlanKind, ServiceCase
from core.referrals import services as referrals
from core.referrals.models import Referral, ReferralState
from core.stats.selectors import station_month_comparison
from tests.conftest import host_client
from tests.core.desk.builders import boxes, new_enterprise
from tests.core.referrals.builders import deliver_all

SHANGHAI = ZoneInfo("Asia/Shanghai")


def at(month: int, day: int, hour: int, minute: int = 0) -> datetime.datetime:
    return datetime.datetime(2026, month, day, hour, minute, tzinfo=SHANGHAI)


NOW = at(4, 15, 10)


def clock(moment: datetime.datetime):
    return time_machine.travel(moment, tick=False)


def text(response) -> str:
    assert response.status_code == 200
    return response.content.decode()


def received(city, when, *, station=None, staff=None, **extra) -> ServiceCase:
    with clock(when):
        demand = desk.demand_create(
            station=station or city.alpha,
            user=staff or city.alpha_staff,
            enterprise=new_enterprise(),
            channel="visit",
            boxes=boxes("计量检定、校准"),
            **extra,
        )
    return demand.cases.get()


def in_service(city, case, when) -> ServiceCase:
    """Planned to be served by the station with alpha-staff (who becomes its assignee), and in service."""
    with clock(when):
        plan = desk.case_plan(
            case=case,
            user=city.alpha_staff,
            kind=PlanKind.SELF,
            evaluation="本站可办",
            appointment_at=when,
            staff=city.alpha_staff,
        )
        case = ServiceCase.objects.get(pk=plan.case_id)
        return desk.case_transition(case=case, to=CaseState.IN_SERVICE, user=city.alpha_staff)


def completed(city, case, when) -> ServiceCase:
    case = in_service(city, case, case.received_at + datetime.timedelta(minutes=30))
    with clock(when):
        case = desk.case_transition(case=case, to=CaseState.FOLLOWING_UP, user=city.alpha_staff)
        desk.record_save(
            case=case,
            user=city.alpha_staff,
            requested_at=case.received_at,
            received_at=case.received_at,
            answered_at=case.received_at + datetime.timedelta(hours=1),
            on_site_at=case.received_at + datetime.timedelta(hours=2),
            ended_at=when - datetime.timedelta(hours=1),
            resolution="上门检定压力表，均合格",
        )
        return desk.case_transition(case=case, to=CaseState.COMPLETED, user=city.alpha_staff)


def surveyed(city, case, when, overall: str) -> None:
    rated = dict.fromkeys(("q1", "q2", "q3", "q4", "q6", "q7", "q8", "q9"), "satisfied")
    with clock(when):
        desk.survey_submit(case=case, channel="paper", user=city.alpha_staff, q5=True, q10=overall, **rated)


def referred_by_beta(city, when) -> None:
    """A case of beta referred to alpha at `when`, delivered: waiting for alpha's answer."""
    with schema_context(city.beta.schema_name):
        case = received(city, when, station=city.beta, staff=city.beta_staff)
        with clock(when + datetime.timedelta(hours=1)):
            referrals.referral_create(
                case=case,
                user=city.beta_staff,
                station=city.alpha,
                reason="本站无压力表检定能力",
                ask="请为企业安排压力表检定",
                parts=["contact"],
                consent_channel="phone",
                consent_at=when,
            )
    with clock(when + datetime.timedelta(hours=2)):
        deliver_all(city)


@pytest.fixture
def fortnight(city, published) -> dict[str, ServiceCase]:
    cases = {}
    with schema_context(city.alpha.schema_name):
        cases["m1"] = completed(city, received(city, at(3, 3, 9)), at(3, 5, 10))
        surveyed(city, cases["m1"], at(3, 6, 10), "satisfied")
        cases["m2"] = completed(city, received(city, at(3, 10, 9), target_days=5), at(3, 24, 10))
        cases["a1"] = completed(city, received(city, at(4, 1, 9)), at(4, 3, 10))
        surveyed(city, cases["a1"], at(4, 7, 10), "dissatisfied")
        cases["a2"] = in_service(city, received(city, at(4, 13, 9), target_days=1), at(4, 13, 10))
        cases["a4"] = received(city, at(4, 14, 9), target_days=2)
        cases["a3"] = received(city, at(4, 15, 8, 30))
        with clock(at(4, 13, 10)):
            cases["c1"] = complaints.complaint_create(
                user=city.alpha_staff, channel="phone", subject="检定报告迟迟未出"
            )
        with clock(at(4, 14, 16)):
            cases["c3"] = complaints.complaint_create(user=city.alpha_staff, channel="phone", subject="窗口无人值守")
        with clock(at(4, 15, 9)):
            c2 = complaints.complaint_create(user=city.alpha_staff, channel="phone", subject="收费标准不清楚")
            complaints.complaint_transition(complaint=c2, user=city.alpha_staff, to="acknowledged")
    referred_by_beta(city, at(4, 10, 9))
    return cases


def tiles(html: str) -> dict[str, int]:
    return {name: int(count) for name, count in re.findall(r'data-tile="([\w-]+)"><span class="count">(\d+)<', html)}


def section(html: str, name: str) -> str:
    return re.search(rf'<section class="card" id="{name}">(.*?)</section>', html, re.S).group(1)


def links(html: str) -> list[str]:
    return [href.replace("&amp;", "&") for href in re.findall(r'href="([^"]+)"', html)]


def home(city, alpha_host, user) -> str:
    with clock(NOW):
        return text(host_client(alpha_host, user).get("/"))


def test_the_head_sees_the_station_whole_picture_with_links(city, alpha_host, fortnight):
    html = home(city, alpha_host, city.alpha_head)
    assert tiles(html) == {"demands-today": 1, "inbox": 2, "due": 2, "referrals": 1, "complaints": 2, "mine": 0}
    summary = re.search(r'<ul class="tiles" id="workspace-summary">(.*?)</ul>', html, re.S).group(1)
    assert summary.count("其中 1 件已逾期") == 3  # the cases, the referral and the complaint past due
    assert links(summary) == [
        "/desk/cases/?received_from=2026-04-15&received_to=2026-04-15",
        "/desk/cases/?view=inbox",
        "/desk/cases/?view=due",
        "/desk/referrals/?tab=waiting",
        "/complaints/?overdue=on",
        "/desk/cases/?view=mine",
    ]

    # Today's new demand, linking to its form; the links to today's cases, the demand forms and a new demand.
    demands = section(html, "demands-today")
    a3 = fortnight["a3"]
    assert f'href="/desk/demands/{a3.demand_id}/">{a3.demand.number}</a>' in demands
    assert "今日受理的 1 个服务事项" in demands and "/desk/demands/new/" in links(demands)

    # Cases near or past their deadline: soonest first, the one past due marked, the one near flagged.
    due = section(html, "cases-due")
    a2, a4 = fortnight["a2"], fortnight["a4"]
    assert re.findall(r'data-case="(\d+)"', due) == [str(a2.pk), str(a4.pk)]
    assert f'<a href="/desk/cases/{a2.pk}/">{a2.number}</a>' in due
    assert '<span class="overdue">2026-04-14</span>' in due and '<span class="near">2026-04-16</span>' in due
    assert "全部 2 个临期或逾期服务事项" in due and "/desk/cases/?view=due" in links(due)

    # The referral waiting for our answer, past due, linking to its page.
    waiting = section(html, "referrals-waiting")
    assert city.beta.name in waiting and '<span class="overdue">2026-04-14 23:59</span>' in waiting
    assert re.search(r'href="/desk/referrals/\d+/"', waiting) and "/desk/referrals/?tab=waiting" in links(waiting)

    # Complaints due, soonest deadline first: c1 past its acknowledgement, c3 due today; c2 is not due yet.
    due_complaints = section(html, "complaints-due")
    c1, c3 = fortnight["c1"], fortnight["c3"]
    assert re.findall(r'data-complaint="(\d+)"', due_complaints) == [str(c1.pk), str(c3.pk)]
    assert f'href="/complaints/{c1.pk}/"' in due_complaints and "确认受理" in due_complaints
    assert "收费标准不清楚" not in due_complaints
    assert links(due_complaints)[-2:] == ["/complaints/?overdue=on", "/complaints/"]

    # The station's facts, team, items and activity stay, lower on the page.
    assert html.index('id="month-figures"') < html.index("本站信息") < html.index('id="station-items"')
    assert city.alpha.address in html and "最近动态" in html
    assert 'id="my-cases"' not in html


@pytest.mark.clause("6.3")
def test_the_head_compares_this_month_with_the_same_days_of_last_month(city, alpha_host, fortnight):
    html = section(home(city, alpha_host, city.alpha_head), "month-figures")
    assert "本月至今（2026-04-01 至 2026-04-15）与上月同期（2026-03-01 至 2026-03-15）对比" in html
    rows = {
        key: re.findall(r'<td class="num[^"]*">(.*?)</td>', row, re.S)
        for key, row in re.findall(r'<tr data-figure="(\w+)">(.*?)</tr>', html, re.S)
    }
    plain = {key: [re.sub(r"<[^>]+>", "", cell).strip() for cell in cells] for key, cells in rows.items()}
    # this month, last month's same days, the change, last month whole
    assert plain == {
        "demands": ["4", "2", "▲上升 +2", "2"],
        "completed": ["1", "1", "持平", "2"],
        "on_time_rate": ["100.0%", "100.0%", "持平", "50.0%"],
        "overall_satisfaction": ["0.0%", "100.0%", "▼下降 -100.0 个百分点", "100.0%"],
    }
    assert 'data-trend="down"' in html and "▼" in html and "▲" in html
    # The bars: this month's and last month's, scaled to the line's largest (a rate to 100 %).
    assert '<span class="this-month" style="width:100.0%"></span><span class="last-month" style="width:50.0%">' in html
    assert '<span class="this-month" style="width:0.0%"></span><span class="last-month" style="width:100.0%">' in html


def test_the_month_comparison_takes_the_same_days_of_a_shorter_last_month(city, fortnight):
    with schema_context(city.alpha.schema_name):
        comparison = station_month_comparison(today=datetime.date(2026, 3, 31))
        assert (comparison.last_month_to_date.start, comparison.last_month_to_date.end) == (
            datetime.date(2026, 2, 1),
            datetime.date(2026, 2, 28),
        )
        assert comparison.current.demands == 2 and comparison.current.completed == 2
        assert comparison.current.on_time_rate == 0.5 and comparison.current.overall_satisfaction == 1.0
        assert comparison.previous.demands == 0 and comparison.previous.on_time_rate is None


def test_a_staff_member_sees_their_own_cases_the_inbox_and_the_referrals_waiting(city, alpha_host, fortnight):
    html = home(city, alpha_host, city.alpha_staff)
    assert tiles(html) == {"mine": 1, "mine-due": 1, "inbox": 2, "referrals": 1}
    summary = re.search(r'<ul class="tiles" id="workspace-summary">(.*?)</ul>', html, re.S).group(1)
    assert links(summary) == [
        "/desk/cases/?view=mine",
        f"/desk/cases/?view=due&assignee={city.alpha_staff.pk}",
        "/desk/cases/?view=inbox",
        "/desk/referrals/?tab=waiting",
    ]
    mine = section(html, "my-cases")
    a2 = fortnight["a2"]
    assert re.findall(r'data-case="(\d+)"', mine) == [str(a2.pk)]
    assert '<span class="overdue">2026-04-14</span>' in mine and "其中 1 个临期或逾期" in mine
    inbox = section(html, "inbox")
    assert re.findall(r'data-case="(\d+)"', inbox) == [str(fortnight["a4"].pk), str(fortnight["a3"].pk)]
    assert "/desk/cases/?view=inbox" in links(inbox)
    # Not the head's picture: no complaints, no month figures, no station-wide deadline list.
    for head_only in ('id="complaints-due"', 'id="month-figures"', 'id="cases-due"', 'id="demands-today"'):
        assert head_only not in html
    # The lists it links to hold what the tiles count.
    with clock(NOW):
        staff = host_client(alpha_host, city.alpha_staff)
        listed = text(staff.get(f"/desk/cases/?view=due&assignee={city.alpha_staff.pk}"))
    assert f'href="/desk/cases/{a2.pk}/"' in listed and f'href="/desk/cases/{fortnight["a4"].pk}/"' not in listed


@pytest.mark.clause("7.3")
def test_a_confidential_case_counts_only_for_those_who_may_see_it(city, alpha_host, fortnight):
    with schema_context(city.alpha.schema_name):
        case_confidential_mark(case=fortnight["a4"], user=city.alpha_head, reason="企业要求保密")
    assert tiles(home(city, alpha_host, city.alpha_staff))["inbox"] == 1
    staff_inbox = section(home(city, alpha_host, city.alpha_staff), "inbox")
    assert str(fortnight["a4"].number) not in staff_inbox
    assert tiles(home(city, alpha_host, city.alpha_head))["inbox"] == 2


def quieted(station) -> None:
    """Close, inside this test's transaction (rolled back afterwards), whatever tests that run a web server committed at
    `station` (the browser tests' demands at beta stay in its inbox): the station is then empty as its home sees it."""
    with schema_context(station.schema_name):
        ServiceCase.objects.exclude(state__in=[CaseState.EVALUATED, CaseState.CANCELLED]).update(
            state=CaseState.CANCELLED
        )
        Referral.objects.filter(state=ReferralState.REQUESTED).update(state=ReferralState.DECLINED)
        Complaint.objects.exclude(state=ComplaintState.CLOSED).update(state=ComplaintState.CLOSED)


def test_an_empty_station_says_so(city, beta_host):
    quieted(city.beta)
    with clock(NOW):
        html = text(host_client(beta_host, city.beta_head).get("/"))
    assert tiles(html) == {"demands-today": 0, "inbox": 0, "due": 0, "referrals": 0, "complaints": 0, "mine": 0}
    assert "今日尚未收到需求。" in html and "没有待本站答复的转介。" in html and "没有临期或逾期的投诉。" in html
    assert "已逾期" not in html and "全部 0" not in html and "今日受理的 0" not in html
    figures = section(html, "month-figures")
    assert figures.count("—") >= 4  # no rate to compare: no arrow


def test_the_home_costs_a_fixed_number_of_queries(
    city, alpha_host, fortnight, django_assert_max_num_queries, django_assert_num_queries
):
    with clock(NOW):
        head, staff = host_client(alpha_host, city.alpha_head), host_client(alpha_host, city.alpha_staff)
        head.get("/"), staff.get("/")
        with django_assert_max_num_queries(30) as head_queries:
            head.get("/")
        with django_assert_max_num_queries(30) as staff_queries:
            staff.get("/")
    # Three times the data of every kind.
    with schema_context(city.alpha.schema_name):
        for day in (1, 2, 3, 7, 8, 9, 10, 13, 14, 15):
            in_service(city, received(city, at(4, day, 8, 30), target_days=1), at(4, day, 9))
            received(city, at(4, day, 8, 45), target_days=2)
            with clock(at(4, day, 9)):
                complaints.complaint_create(user=city.alpha_staff, channel="phone", subject=f"第{day}日的投诉")
    referred_by_beta(city, at(4, 13, 9))
    referred_by_beta(city, at(4, 14, 9))
    with clock(NOW):
        with django_assert_num_queries(len(head_queries.captured_queries)):
            html = text(head.get("/"))
        with django_assert_num_queries(len(staff_queries.captured_queries)):
            staff.get("/")
    assert tiles(html)["referrals"] == 3 and tiles(html)["complaints"] > 5
    assert len(re.findall(r'data-case="\d+"', section(html, "cases-due"))) == 5  # a short list, and a link to all

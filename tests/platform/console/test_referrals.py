"""The bureau's referral pages: the city-wide station × station matrix (figures checked against hand-built flows
with known times), the period filter, the overdue list, the chart, and the acceptance deadline (admins change it,
viewers read it). Bureau roles only, on the public host."""

import datetime
import itertools
import re
import statistics
import uuid

import pytest
from django.conf import settings
from django.utils import timezone

from console.charts import BARS_WIDTH
from core.catalog.models import ServiceCategory
from core.directory.models import Institution
from core.districts import District
from core.network.models import ReferralFlow, ReferralPolicy
from core.network.selectors import OPEN_STATES, referral_matrix, referral_policy_get
from tenants.models import Station
from tests.conftest import host_client

pytestmark = pytest.mark.django_db

PAGE = "/console/referrals/"
POLICY = "/console/referrals/policy/"
TZ = datetime.timezone(datetime.timedelta(hours=8))  # the city's time (Asia/Shanghai)
# A period long past, so that referrals other tests leave behind never mix with the hand-built ones.
T0 = datetime.datetime(2001, 3, 5, 9, 0, tzinfo=TZ)
MARCH = {"requested_from": "2001-03-01", "requested_to": "2001-03-31"}


def main_of(html: str) -> str:
    """The page's own content, between <main> and </main> (the layout around it has the site's scripts)."""
    return html.split("<main", 1)[1].split("</main>", 1)[0]


def text(response) -> str:
    return response.content.decode()


def cell(html: str, key: str) -> str:
    """The visible text of the matrix cell `data-cell="key"`, whitespace collapsed."""
    match = re.search(rf'data-cell="{re.escape(key)}">(.*?)</td>', html, re.S)
    assert match, f"no cell {key}"
    return " ".join(re.sub(r"<[^>]+>", " ", match.group(1)).split())


def flow(from_station, to_station=None, *, at=T0, state="requested", accept_after=None, answer_after=None, **more):
    """A row of the bureau's read model with known times (`accept_after`/`answer_after`: hours after the request)."""
    accepted_at = at + datetime.timedelta(hours=accept_after) if accept_after is not None else None
    answered_at = at + datetime.timedelta(hours=answer_after) if answer_after is not None else accepted_at
    return ReferralFlow.objects.create(
        uid=uuid.uuid4(),
        number=more.pop("number", f"ZJ-{uuid.uuid4().hex[:8]}"),
        from_station=from_station,
        to_station=to_station,
        category=more.pop("category", None) or ServiceCategory.objects.get(clause="5.1.6"),
        state=state,
        requested_at=at,
        accept_due_at=at + datetime.timedelta(days=2),
        answered_at=answered_at,
        accepted_at=accepted_at,
        **more,
    )


def extra_stations(*codes: str) -> list[Station]:
    """Station rows without schemas (bulk_create skips provisioning): enough for the bureau's read model."""
    return Station.objects.bulk_create(
        Station(
            name=f"测试站{code}",
            code=code,
            schema_name=f"st_{code}",
            district=District.YINZHOU,
            address="铁岭市测试路1号",
            service_phone="024-70000001",
            complaint_phone="024-70000002",
        )
        for code in codes
    )


@pytest.fixture
def flows(city):
    """3 alpha→beta (accepted after 2 h and now completed, accepted after 4 h and in service, declined after 1 h),
    1 beta→alpha still waiting and flagged overdue, 1 alpha→institution accepted after 5 h, and one alpha→beta in
    April (outside March)."""
    institution = Institution.objects.create(name="铁岭市计量测试所（控制台测试）", kind="metrology")
    return {
        "completed": flow(
            city.alpha, city.beta, state="completed", accept_after=2, closed_at=T0 + datetime.timedelta(days=3)
        ),
        "in_service": flow(city.alpha, city.beta, state="in_service", accept_after=4),
        "declined": flow(city.alpha, city.beta, state="declined", answer_after=1),
        "overdue": flow(
            city.beta,
            city.alpha,
            number="ZJ-OVERDUE-1",
            category=ServiceCategory.objects.get(clause="5.1.8"),
            overdue_at=T0 + datetime.timedelta(days=2, minutes=5),
        ),
        "institution": flow(city.alpha, institution=institution, state="accepted", accept_after=5),
        "april": flow(city.alpha, city.beta, at=T0 + datetime.timedelta(days=40), state="failed", accept_after=1),
    }


@pytest.mark.clause("5.2.2")
def test_the_matrix_shows_counts_acceptance_rate_median_hours_and_outcomes(city, public_host, flows):
    response = host_client(public_host, city.bureau_viewer).get(PAGE, MARCH)
    assert response.status_code == 200
    html = text(response)
    # alpha → beta: 3 referrals, 2 of 3 answered accepted, median of 2 h and 4 h, 1 completed / 0 failed / 1 open.
    assert cell(html, "alpha:beta") == "3 67% 3.0 h 1/0/1"
    # beta → alpha: 1 waiting, none answered yet.
    assert cell(html, "beta:alpha") == "1 — — 0/0/1"
    assert cell(html, "alpha:alpha") == "" and cell(html, "beta:beta") == ""  # the diagonal is blank
    assert cell(html, "alpha:sent") == "3 67% 3.0 h 1/0/1"
    assert cell(html, "beta:sent") == "1 — — 0/0/1"
    assert cell(html, "received:beta") == "3 67% 3.0 h 1/0/1"
    assert cell(html, "received:alpha") == "1 — — 0/0/1"
    assert cell(html, "city") == "4 67% 3.0 h 1/0/2"
    # Referrals to institutions, per station.
    institutions = re.search(r'<tr data-station="alpha">(.*?)</tr>', html, re.S).group(1)
    assert " ".join(re.sub(r"<[^>]+>", " ", institutions).split()) == f"{city.alpha.name} 1 100% (1/1) 5.0 0 0 1"
    assert 'data-station="beta"' not in html


@pytest.mark.clause("5.2.2")
def test_the_chart_draws_sent_and_received_and_acceptance_inline(city, public_host, flows):
    html = text(host_client(public_host, city.bureau_admin).get(PAGE, MARCH))
    charts = re.findall(r"<svg .*?</svg>", html, re.S)
    assert len(charts) == 2
    volume, acceptance = charts
    # Sent and received per station: alpha sent 3 (the longest bar) and received 1; beta sent 1 and received 3.
    assert city.alpha.name in volume and city.beta.name in volume
    widths = [float(w) for w in re.findall(r'<rect class="value" x="0" y="\d+" width="([\d.]+)"', volume)]
    assert widths == [BARS_WIDTH, round(BARS_WIDTH / 3, 1), round(BARS_WIDTH / 3, 1), BARS_WIDTH]
    # Acceptance per receiving station: beta 2 of 3; alpha has no answer yet (no bar).
    assert "67% (2/3)" in acceptance and "— (0/0)" in acceptance
    assert re.findall(r'<rect class="value" x="0" y="\d+" width="([\d.]+)"', acceptance) == [
        str(round(BARS_WIDTH * 2 / 3, 1))
    ]
    assert "<script" not in main_of(html) and "http://" not in "".join(charts).replace("http://www.w3.org/2000/svg", "")


@pytest.mark.clause("5.2.2")
def test_the_period_filter_counts_only_referrals_requested_in_it(city, public_host, flows):
    client = host_client(public_host, city.bureau_viewer)
    april = text(client.get(PAGE, {"requested_from": "2001-04-01", "requested_to": "2001-04-30"}))
    assert cell(april, "alpha:beta") == "1 100% 1.0 h 0/1/0"
    assert cell(april, "beta:alpha") == "0"  # beta referred nothing in April
    spring = text(client.get(PAGE, {"requested_from": "2001-03-01", "requested_to": "2001-04-30"}))
    assert cell(spring, "alpha:beta") == "4 75% 2.0 h 1/1/1"
    assert cell(spring, "city") == "5 75% 2.0 h 1/1/2"
    bad = client.get(PAGE, {"requested_from": "2001-04-30", "requested_to": "2001-04-01"})
    assert bad.status_code == 400
    assert re.search(r'name="requested_to" value="2001-04-01"[^>]*>\s*<p class="field-error">', text(bad))
    assert 'name="requested_from" value="2001-04-30"' in text(bad)  # what was typed is kept


def test_the_default_period_is_the_last_90_days(city, public_host):
    near, far = extra_stations("zzcona", "zzconb")
    now = timezone.now()
    flow(near, far, at=now - datetime.timedelta(days=10), state="accepted", accept_after=6)
    flow(near, far, at=now - datetime.timedelta(days=100), state="declined", answer_after=1)
    response = host_client(public_host, city.bureau_viewer).get(PAGE)
    assert response.status_code == 200
    html = text(response)
    assert cell(html, "zzcona:zzconb") == "1 100% 6.0 h 0/0/1"
    today = timezone.localdate()
    assert f'value="{today - datetime.timedelta(days=90):%Y-%m-%d}"' in html
    assert f'value="{today:%Y-%m-%d}"' in html


@pytest.mark.clause("5.2.2")
def test_overdue_referrals_are_listed(city, public_host, flows):
    html = text(host_client(public_host, city.bureau_viewer).get(PAGE, MARCH))
    table = re.search(r'<table id="overdue">(.*?)</table>', html, re.S).group(1)
    row = re.search(r"<tr><td>ZJ-OVERDUE-1</td>(.*?)</tr>", table, re.S).group(1)
    cells = [re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)]
    assert cells == [city.beta.name, city.alpha.name, "5.1.8 特种设备", "2001-03-07 09:00", "2001-03-07 09:05"]
    assert flows["declined"].number not in table and flows["in_service"].number not in table


def test_the_matrix_page_costs_the_same_queries_whatever_the_number_of_stations_and_flows(
    city, public_host, flows, django_assert_max_num_queries
):
    client = host_client(public_host, city.bureau_admin)
    client.get(PAGE, MARCH)  # the session is warm
    with django_assert_max_num_queries(10) as few:
        assert client.get(PAGE, MARCH).status_code == 200
    more = extra_stations("zzqa", "zzqb", "zzqc", "zzqd")
    for sender, receiver in itertools.permutations([city.alpha, city.beta, *more], 2):
        flow(sender, receiver, state="completed", accept_after=3)
        flow(sender, receiver, overdue_at=T0 + datetime.timedelta(days=3))
    with django_assert_max_num_queries(10) as many:
        response = client.get(PAGE, MARCH)
    assert response.status_code == 200 and cell(text(response), "zzqc:zzqd") == "2 100% 3.0 h 1/0/1"
    assert len(many) == len(few)


def test_the_selector_agrees_with_counting_the_flows_by_hand(city):
    """The matrix's SQL against a plain Python count of the same rows, over every pair and state."""
    gamma = extra_stations("zzsel")[0]
    stations = [city.alpha, city.beta, gamma]
    states = ["requested", "accepted", "in_service", "on_hold", "declined", "withdrawn", "completed", "failed"]
    for n, (sender, receiver) in enumerate(itertools.permutations(stations, 2)):
        for k, state in enumerate(states[n % 3 :]):
            accepted = state in {"accepted", "in_service", "on_hold", "completed", "failed"}
            flow(
                sender,
                receiver,
                at=T0 + datetime.timedelta(days=k),
                state=state,
                accept_after=(n + 1) * (k + 1) * 0.5 if accepted else None,
                answer_after=1.5 if state == "declined" else None,
                overdue_at=T0 + datetime.timedelta(days=2) if state == "requested" and n % 2 else None,
            )
    flow(city.alpha, city.beta, at=T0 - datetime.timedelta(days=1), state="completed", accept_after=99)  # outside
    start, end = datetime.date(2001, 3, 5), datetime.date(2001, 3, 31)
    matrix = referral_matrix(requested_from=start, requested_to=end)
    rows = [
        f
        for f in ReferralFlow.objects.filter(to_station__isnull=False)
        if start <= timezone.localdate(f.requested_at) <= end
    ]

    def by_hand(subset):
        hours = [(f.accepted_at - f.requested_at).total_seconds() / 3600 for f in subset if f.accepted_at]
        return {
            "total": len(subset),
            "answered": sum(f.answered_at is not None for f in subset),
            "accepted": sum(f.accepted_at is not None for f in subset),
            "declined": sum(f.state == "declined" for f in subset),
            "withdrawn": sum(f.state == "withdrawn" for f in subset),
            "open": sum(f.state in OPEN_STATES for f in subset),
            "completed": sum(f.state == "completed" for f in subset),
            "failed": sum(f.state == "failed" for f in subset),
            "overdue": sum(f.overdue_at is not None for f in subset),
            "median_accept_hours": round(statistics.median(hours), 1) if hours else None,
        }

    def of(c):
        return {name: getattr(c, name) for name in by_hand([])}

    for sender, receiver in itertools.permutations(stations, 2):
        pair = [f for f in rows if (f.from_station_id, f.to_station_id) == (sender.pk, receiver.pk)]
        assert of(matrix.cells[(sender.pk, receiver.pk)]) == by_hand(pair), (sender.code, receiver.code)
    for station in stations:
        assert of(matrix.sent[station.pk]) == by_hand([f for f in rows if f.from_station_id == station.pk])
        assert of(matrix.received[station.pk]) == by_hand([f for f in rows if f.to_station_id == station.pk])
    assert of(matrix.total) == by_hand(rows)
    assert [s.code for s in matrix.stations] == sorted(s.code for s in stations)


# --- the acceptance deadline ----------------------------------------------------------------------------------------


def test_an_admin_changes_the_deadline(city, public_host):
    client = host_client(public_host, city.bureau_admin)
    page = client.get(POLICY)
    assert page.status_code == 200
    assert f'name="accept_working_days" value="{settings.REFERRAL_ACCEPT_WORKING_DAYS}"' in text(page)
    response = client.post(POLICY, {"accept_working_days": "5"})
    assert response.status_code == 302 and response["Location"] == POLICY
    policy = referral_policy_get()
    assert (policy.accept_working_days, policy.updated_by) == (5, city.bureau_admin)
    assert ReferralPolicy.objects.count() == 1
    after = text(client.get(POLICY))
    assert '<dd id="accept-working-days">5</dd>' in after and 'value="5"' in after
    assert client.post(POLICY, {"accept_working_days": "7"}).status_code == 302
    assert ReferralPolicy.objects.get().accept_working_days == 7  # still one row


@pytest.mark.parametrize(
    ("typed", "error"),
    [("0", "确保该值大于或等于1。"), ("31", "确保该值小于或等于30。"), ("abc", "输入整数。"), ("", "该字段是必填项。")],
)
def test_a_bad_deadline_is_refused_with_the_error_on_the_field(city, public_host, typed, error):
    response = host_client(public_host, city.bureau_admin).post(POLICY, {"accept_working_days": typed})
    assert response.status_code == 400
    html = text(response)
    field = re.search(r'<div class="field">(.*?)</div>', html, re.S).group(1)
    assert f'<p class="field-error">{error}</p>' in field
    assert f'value="{typed}"' in field or (typed == "" and "value=" not in field)  # the input is kept
    assert referral_policy_get().pk is None


def test_a_viewer_reads_the_deadline_and_cannot_change_it(city, public_host):
    client = host_client(public_host, city.bureau_viewer)
    page = client.get(POLICY)
    assert page.status_code == 200
    html = text(page)
    assert f'<dd id="accept-working-days">{settings.REFERRAL_ACCEPT_WORKING_DAYS}</dd>' in html
    assert 'name="accept_working_days"' not in html and 'method="post" class="stack"' not in html
    assert client.post(POLICY, {"accept_working_days": "9"}).status_code == 403
    assert referral_policy_get().pk is None


# --- who gets in ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", [PAGE, POLICY])
@pytest.mark.parametrize("who", ["outsider", "alpha_staff", "alpha_head", "beta_staff"])
def test_non_bureau_users_are_refused(city, public_host, path, who):
    client = host_client(public_host, getattr(city, who))
    assert client.get(path).status_code == 403
    assert client.post(path, {"accept_working_days": "9"}).status_code == 403
    assert referral_policy_get().pk is None


@pytest.mark.parametrize("path", [PAGE, POLICY])
def test_anonymous_visitors_are_sent_to_sign_in(public_host, path):
    for response in (host_client(public_host).get(path), host_client(public_host).post(path, {})):
        assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


@pytest.mark.parametrize("path", [PAGE, POLICY])
@pytest.mark.parametrize("who", ["bureau_admin", "alpha_head"])
def test_the_pages_do_not_exist_on_a_station_host(city, alpha_host, path, who):
    response = host_client(alpha_host, getattr(city, who)).get(path)
    assert response.status_code == (404 if who == "alpha_head" else 403)


def test_the_console_links_to_the_referral_pages(city, public_host):
    html = text(host_client(public_host, city.bureau_viewer).get("/console/"))
    assert f'href="{PAGE}"' in html and f'href="{POLICY}"' in html

"""Publication (公示) seen from outside: the console's buttons that start a station's evaluation and publish it, the
public portal's list and station pages (what is published, the public notice period, the history of publications),
and the open data (JSON and CSV, documented fields). A suspended station leaves the portal and the open data."""

import csv
import datetime
import io
import json
import zoneinfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from core.catalog.models import ServiceItem
from core.evaluation.services import station_publish
from portal import open_data
from tenants.models import Station, StationPublication, StationStatus
from tenants.selectors import PLATFORM
from tenants.services import station_change_status
from tests.conftest import host_client
from tests.core.evaluation.test_publication import prepare
from tests.factories import approved_round

pytestmark = pytest.mark.django_db

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")
PUBLISHED_AT = datetime.datetime(2026, 3, 2, 9, 30, tzinfo=SHANGHAI)
ITEMS = {"5.1.1.1", "5.1.2.1"}


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    """The evaluation's evidence files (the approved round's stand-in photos and documents) stay in the test's folder."""
    settings.MEDIA_ROOT = tmp_path / "media"


def station_page(station) -> str:
    return f"/console/stations/{station.pk}/"


def publish(city, station, *, at=None, days=7) -> StationPublication:
    """Publish `station` (made ready by `prepare`) as the bureau's administrator, once an evaluation round approves it;
    with `at`, dated then."""
    if station.status == StationStatus.EVALUATING:
        approved_round(station, city.bureau_admin)
    publication = station_publish(station=station, user=city.bureau_admin)
    if at is not None:
        StationPublication.objects.filter(pk=publication.pk).update(
            published_at=at, notice_until=at + datetime.timedelta(days=days)
        )
        publication.refresh_from_db()
    return publication


def item_names() -> dict[str, str]:
    return dict(ServiceItem.objects.filter(clause__in=ITEMS).values_list("clause", "name"))


@pytest.mark.clause("3")
def test_an_admin_starts_the_evaluation_then_publishes_from_the_console(city, public_host, alpha_host):
    admin = host_client(public_host, city.bureau_admin)
    page = admin.get(station_page(city.alpha)).content.decode()
    assert 'id="start-evaluation"' in page and 'id="publish"' not in page  # a draft is evaluated first

    started = admin.post(f"{station_page(city.alpha)}evaluate/")
    assert started.status_code == 302 and started["Location"] == station_page(city.alpha)
    city.alpha.refresh_from_db()
    assert city.alpha.status == StationStatus.EVALUATING
    page = admin.get(station_page(city.alpha)).content.decode()
    assert 'id="publish"' not in page and 'id="start-evaluation"' not in page  # the round is not approved yet
    assert 'id="publish-needs-approval"' in page and 'data-round="1"' in page

    approved_round(city.alpha, city.bureau_admin)  # the head's self-assessment, the review, the approval
    page = admin.get(station_page(city.alpha)).content.decode()
    assert 'id="publish"' in page and 'id="start-evaluation"' not in page

    published = admin.post(f"{station_page(city.alpha)}publish/")
    assert published.status_code == 302 and published["Location"] == station_page(city.alpha)
    city.alpha.refresh_from_db()
    assert city.alpha.status == StationStatus.PUBLISHED
    publication = StationPublication.objects.get(station=city.alpha)
    assert publication.published_by == city.bureau_admin
    page = admin.get(station_page(city.alpha)).content.decode()
    assert 'data-status="published"' in page and 'data-change="evaluating:published"' in page
    assert 'id="publish"' in page  # republish after a change

    # On the portal, for everyone.
    portal = host_client(public_host).get("/").content.decode()
    assert f'<tr data-station="{city.alpha.code}">' in portal


def test_publishing_a_draft_from_the_console_is_refused_with_a_message(city, public_host):
    admin = host_client(public_host, city.bureau_admin)
    response = admin.post(f"{station_page(city.alpha)}publish/", follow=True)
    assert response.status_code == 200
    assert 'data-status="draft"' in response.content.decode()
    assert not StationPublication.objects.exists()
    assert list(response.context["messages"])  # the refusal is told


@pytest.mark.clause("3")
@pytest.mark.parametrize("who", ["bureau_viewer", "alpha_head", "alpha_staff", "beta_head", "outsider"])
def test_only_bureau_admins_start_evaluations_and_publish(city, public_host, who):
    prepare(city.alpha)
    client = host_client(public_host, getattr(city, who))
    assert client.post(f"{station_page(city.alpha)}publish/").status_code == 403
    assert client.post(f"{station_page(city.beta)}evaluate/").status_code == 403
    if who == "bureau_viewer":
        page = client.get(station_page(city.alpha)).content.decode()
        assert 'id="publish"' not in page and 'id="start-evaluation"' not in page
    city.alpha.refresh_from_db()
    city.beta.refresh_from_db()
    assert (city.alpha.status, city.beta.status) == (StationStatus.EVALUATING, StationStatus.DRAFT)
    assert not StationPublication.objects.exists()


def test_the_console_actions_do_not_exist_on_station_hosts_nor_for_anonymous_visitors(city, public_host, alpha_host):
    prepare(city.alpha)
    for who in ("bureau_admin", "alpha_head"):
        response = host_client(alpha_host, getattr(city, who)).post(f"{station_page(city.alpha)}publish/")
        assert response.status_code in {403, 404}, who
    response = host_client(public_host).post(f"{station_page(city.alpha)}publish/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    assert host_client(public_host, city.bureau_admin).get(f"{station_page(city.alpha)}publish/").status_code == 405
    assert not StationPublication.objects.exists()


@pytest.mark.clause("3")
@pytest.mark.clause("4.2.2")
@pytest.mark.clause("6.1")
def test_the_portal_lists_what_was_published_and_the_notice_period(city, public_host):
    alpha = prepare(city.alpha)
    publication = publish(city, alpha)
    # Changed since: the portal shows what was published, not the station's current record.
    Station.objects.filter(pk=alpha.pk).update(address="尚未公示的新地址")
    html = host_client(public_host).get("/").content.decode()
    row = html[html.index(f'<tr data-station="{alpha.code}">') :]
    row = row[: row.index("</tr>")]
    names = item_names()
    assert '<td class="address">铁岭市银州测试站路1号</td>' in row and "尚未公示的新地址" not in row
    assert '<td class="hours">周一至周五 8:30–17:00</td>' in row
    assert f'<span class="item" data-clause="5.1.1.1">5.1.1.1 {names["5.1.1.1"]}</span>' in row
    assert f'<span class="item" data-clause="5.1.2.1">5.1.2.1 {names["5.1.2.1"]}</span>' in row
    assert '<span class="service-phone">024-70000001</span>' in row
    assert '<span class="complaint-phone">024-70000002</span>' in row
    assert '<span class="supervision-phone">12315</span>' in row
    today = publication.published_at.astimezone(SHANGHAI).date()
    assert f'data-published="{today:%Y-%m-%d}"' in row
    assert f'data-notice-until="{today + datetime.timedelta(days=7):%Y-%m-%d}"' in row
    assert f'href="/stations/{alpha.code}/"' in row

    # Once the notice period is over, the publication date stays and the notice goes.
    StationPublication.objects.filter(pk=publication.pk).update(
        published_at=PUBLISHED_AT, notice_until=PUBLISHED_AT + datetime.timedelta(days=7)
    )
    html = host_client(public_host).get("/").content.decode()
    assert 'data-published="2026-03-02"' in html and "data-notice-until" not in html


@pytest.mark.clause("3")
@pytest.mark.clause("4.2.2")
def test_the_station_page_shows_what_is_published_and_every_publication_before(city, public_host):
    alpha = prepare(city.alpha)
    first = publish(city, alpha, at=PUBLISHED_AT)
    Station.objects.filter(pk=alpha.pk).update(address="铁岭市银州区新华路8号")
    second = publish(city, alpha)
    client = host_client(public_host)
    html = client.get(f"/stations/{alpha.code}/").content.decode()
    current = html[html.index('id="station-current"') : html.index('id="publication-history"')]
    history = html[html.index('id="publication-history"') :]
    assert "铁岭市银州区新华路8号" in current and "铁岭市银州测试站路1号" not in current
    assert 'class="notice-period"' in current  # the newest publication's notice still runs
    assert history.index(f'data-publication="{second.pk}"') < history.index(f'data-publication="{first.pk}"')
    older = history[history.index(f'data-publication="{first.pk}"') :]
    assert "2026-03-02 09:30" in older and "铁岭市银州测试站路1号" in older  # the earlier snapshot, viewable


@pytest.mark.parametrize("state", ["draft", "evaluating", "suspended", "unknown"])
def test_a_station_not_published_has_no_portal_page(city, public_host, state):
    if state == "suspended":
        alpha = prepare(city.alpha, status=StationStatus.PUBLISHED)
        publish(city, alpha)
        station_change_status(station=alpha, status=StationStatus.SUSPENDED, reason="整改", user=city.bureau_admin)
    elif state == "evaluating":
        prepare(city.alpha)
    code = "nosuch" if state == "unknown" else city.alpha.code
    assert host_client(public_host).get(f"/stations/{code}/").status_code == 404


@pytest.mark.clause("3")
def test_a_suspended_station_leaves_the_portal_and_the_open_data(city, public_host):
    alpha = publish(city, prepare(city.alpha)).station
    beta = publish(city, prepare(city.beta, clauses=())).station
    client = host_client(public_host)
    assert '<tr data-station="alpha">' in client.get("/").content.decode()
    station_change_status(station=alpha, status=StationStatus.SUSPENDED, reason="整改", user=city.bureau_admin)
    html = client.get("/").content.decode()
    assert '<tr data-station="alpha">' not in html and '<tr data-station="beta">' in html
    assert [s["code"] for s in client.get("/open-data/stations.json").json()["stations"]] == [beta.code]
    assert "alpha" not in client.get("/open-data/stations.csv").content.decode("utf-8-sig")
    # Reactivated: back with what it had published.
    station_change_status(station=alpha, status=StationStatus.PUBLISHED, user=city.bureau_admin)
    assert [s["code"] for s in client.get("/open-data/stations.json").json()["stations"]] == ["beta", "alpha"]


def fixed_city(city):
    """alpha (two items) and beta (none) published on fixed dates; beta's notice still runs until the date set."""
    publish(city, prepare(city.alpha), at=PUBLISHED_AT)
    Station.objects.filter(pk=city.beta.pk).update(hours="", founding_body="")
    city.beta.items.clear()
    station_change_status(user=PLATFORM, station=city.beta, status=StationStatus.EVALUATING)
    publish(city, city.beta, at=datetime.datetime(2026, 3, 5, 14, 0, tzinfo=SHANGHAI), days=10)


def expected_records() -> list[dict]:
    """The fixed city's records, in the portal's order: by district (kaiyuan before yinzhou), then name."""
    names = item_names()
    alpha, beta = [
        {
            "code": "alpha",
            "name": "银州测试站",
            "district_code": "yinzhou",
            "district": "银州区",
            "address": "铁岭市银州测试站路1号",
            "hours": "周一至周五 8:30–17:00",
            "service_phone": "024-70000001",
            "complaint_phone": "024-70000002",
            "supervision_phone": "12315",
            "service_items": [
                {"clause": "5.1.1.1", "name": names["5.1.1.1"]},
                {"clause": "5.1.2.1", "name": names["5.1.2.1"]},
            ],
            "founding_body": "银州区市场监督管理局",
            "published_at": "2026-03-02T09:30:00+08:00",
            "notice_until": "2026-03-09T09:30:00+08:00",
            "url": "http://localhost/stations/alpha/",
        },
        {
            "code": "beta",
            "name": "开原测试站",
            "district_code": "kaiyuan",
            "district": "开原市",
            "address": "铁岭市开原测试站路1号",
            "hours": "",
            "service_phone": "024-70000001",
            "complaint_phone": "024-70000002",
            "supervision_phone": "12315",
            "service_items": [],
            "founding_body": "",
            "published_at": "2026-03-05T14:00:00+08:00",
            "notice_until": "2026-03-15T14:00:00+08:00",
            "url": "http://localhost/stations/beta/",
        },
    ]
    for record in (alpha, beta):  # issue 20: the publication's state and objections, and the history (none objected)
        record |= {
            "publication_state": "closing",  # its notice is over; the hourly `publication_finalise` has not run
            "final_at": "",
            "objections_received": 0,
            "objections_upheld": 0,
            "objections_dismissed": 0,
            "objections_pending": 0,
        }
        record["publication_history"] = [
            {
                "published_at": record["published_at"],
                "notice_until": record["notice_until"],
                "state": "closing",
                "final_at": "",
                "withdrawn_at": "",
                "objections": {"received": 0, "upheld": 0, "dismissed": 0, "pending": 0},
                "outcomes": [],
            }
        ]
    return [beta, alpha]


@pytest.mark.clause("4.2.2")
@pytest.mark.clause("6.1")
def test_the_open_data_json_is_exact(city, public_host):
    fixed_city(city)
    response = host_client(public_host).get("/open-data/stations.json")
    assert response.status_code == 200 and response["Content-Type"] == "application/json"
    body = json.loads(response.content.decode("utf-8"))
    assert "银州测试站" in response.content.decode("utf-8")  # Chinese as is, not \u escapes
    assert body["supervision_phone"] == "12315"
    assert body["fields"] == list(expected_records()[0])
    assert body["stations"] == expected_records()


@pytest.mark.clause("4.2.2")
def test_the_open_data_csv_is_exact_with_a_bom_for_excel(city, public_host):
    fixed_city(city)
    response = host_client(public_host).get("/open-data/stations.csv")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="stations.csv"'
    raw = response.content
    assert raw.startswith(b"\xef\xbb\xbf")  # UTF-8 byte-order mark
    text = raw.decode("utf-8-sig")
    assert text.splitlines()[0] == (
        "code,name,district_code,district,address,hours,service_phone,complaint_phone,supervision_phone,"
        "service_items,founding_body,published_at,notice_until,url,publication_state,final_at,objections_received,"
        "objections_upheld,objections_dismissed,objections_pending,publication_history"
    )
    names = item_names()
    rows = list(csv.DictReader(io.StringIO(text)))
    expected = [
        {name: str(value) if isinstance(value, int) else value for name, value in record.items()}
        | {
            "service_items": "；".join(f"{i['clause']} {i['name']}" for i in record["service_items"]),
            "publication_history": json.dumps(record["publication_history"], ensure_ascii=False, separators=(",", ":")),
        }
        for record in expected_records()
    ]
    assert rows == expected
    assert rows[1]["service_items"] == f"5.1.1.1 {names['5.1.1.1']}；5.1.2.1 {names['5.1.2.1']}"


def test_the_open_data_csv_writes_no_live_formula():
    """A published name or address that starts like a formula is written inert (OWASP's CSV injection advice)."""
    row = dict.fromkeys(open_data.FIELD_NAMES, "") | {
        "name": '=HYPERLINK("http://evil.example","点击")',
        "address": "+86 银州区",
        "service_items": [],
    }
    (written,) = csv.DictReader(io.StringIO(open_data.to_csv([row]).removeprefix("\ufeff")))
    assert written["name"] == '\'=HYPERLINK("http://evil.example","点击")'
    assert written["address"] == "'+86 银州区"


def test_the_open_data_page_documents_every_field(city, public_host):
    response = host_client(public_host).get("/open-data/")
    assert response.status_code == 200
    html = response.content.decode()
    for field in expected_records()[0]:
        assert f'<tr data-field="{field}"><td><code>{field}</code></td>' in html, field
    assert 'href="/open-data/stations.json"' in html and 'href="/open-data/stations.csv"' in html
    assert "公示时间" in html and "When it was published" in html  # each meaning in Chinese and in English


@pytest.mark.parametrize("path", ["/", "/open-data/stations.json", "/open-data/stations.csv"])
def test_the_portal_and_open_data_queries_do_not_grow_with_stations(
    city, public_host, path, django_assert_max_num_queries
):
    client = host_client(public_host)
    publish(city, prepare(city.alpha))
    client.get(path)  # warm up whatever is cached once per process
    with CaptureQueriesContext(connection) as one:
        assert client.get(path).status_code == 200
    publish(city, prepare(city.beta, clauses=("5.1.3.1",)))
    with django_assert_max_num_queries(len(one.captured_queries)):
        assert client.get(path).status_code == 200
    assert len(one.captured_queries) <= 6


def test_a_station_published_before_publications_were_kept_shows_its_current_facts(city, public_host, published):
    html = host_client(public_host).get("/").content.decode()
    row = html[html.index('<tr data-station="alpha">') :]
    row = row[: row.index("</tr>")]
    assert '<td class="address">铁岭市银州测试站路1号</td>' in row and "data-published" not in row
    assert '<span class="supervision-phone">12315</span>' in row
    page = host_client(public_host).get("/stations/alpha/").content.decode()
    assert "铁岭市银州测试站路1号" in page and "data-publication=" not in page
    assert (
        host_client(public_host).get("/open-data/stations.json").json()["stations"] == []
    )  # nothing formally published

"""A qualification names the catalog items it covers (issue 20), and "who can do X in district Y" leaves out the
institutions whose qualifications covering X have all expired: the registry's search (pages, API, exports) and the
institution picker of a service plan."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_tenants.utils import schema_context

from core.catalog.models import ServiceItem
from core.desk import services as desk
from core.desk.forms import PlanForm
from core.desk.models import PlanKind
from core.directory import services
from core.directory.models import Institution, Qualification
from core.directory.selectors import EXPIRED_SHOWN, institution_expired_items, institution_search
from tests.conftest import host_client
from tests.core.desk.builders import new_enterprise, take_demand

pytestmark = pytest.mark.django_db
CALIBRATION, TESTING = "5.1.6.2", "5.1.6.3"


def today() -> datetime.date:
    return timezone.localdate()


def items(*clauses: str) -> list[ServiceItem]:
    return list(ServiceItem.objects.filter(clause__in=clauses).order_by("clause"))


def lab(name: str, *, clauses=(CALIBRATION, TESTING), districts=("kaiyuan",), station=None) -> Institution:
    institution = Institution.objects.create(
        name=name, kind="metrology", districts=list(districts), source_station=station
    )
    institution.items.set(items(*clauses))
    return institution


def certificate(institution: Institution, number: str, *, clauses, days: int) -> Qualification:
    """A CMA certificate of `institution` covering `clauses`, valid until `days` from today (negative: ended)."""
    qualification = Qualification.objects.create(
        institution=institution, kind="cma", number=number, valid_until=today() + datetime.timedelta(days=days)
    )
    qualification.items.set(items(*clauses))
    return qualification


def form_data(**values) -> dict:
    """The qualification form's fields as the page posts them (prefixed: the institution's own form is beside it)."""
    return {f"qualification-{name}": value for name, value in {"kind": "cma", **values}.items()}


@pytest.fixture
def labs(city):
    """Four institutions offering calibration in 开原市: its only certificate for it expired; one expired and one
    valid; a valid one; no certificate recorded at all."""
    expired = lab("开原甲计量所")
    certificate(expired, "Q-EXPIRED", clauses=[CALIBRATION], days=-1)
    certificate(expired, "Q-TESTING", clauses=[TESTING], days=200)  # valid, but for the other item
    renewed = lab("开原乙计量所")
    certificate(renewed, "Q-OLD", clauses=[CALIBRATION], days=-400)
    certificate(renewed, "Q-NEW", clauses=[CALIBRATION], days=300)
    valid = lab("开原丙计量所")
    certificate(valid, "Q-VALID", clauses=[CALIBRATION, TESTING], days=0)  # its last valid day
    unrecorded = lab("开原丁计量所")
    return {"expired": expired, "renewed": renewed, "valid": valid, "unrecorded": unrecorded}


def test_a_qualification_covers_items_its_institution_offers(city):
    institution = lab("银州计量所", clauses=[CALIBRATION, TESTING])
    qualification = services.qualification_create(
        institution=institution,
        user=city.bureau_admin,
        station=None,
        items=items(CALIBRATION),
        kind="cma",
        number="210012345678",
        valid_until=today() + datetime.timedelta(days=365),
    )
    assert [item.clause for item in qualification.items.all()] == [CALIBRATION]


def test_an_item_the_institution_does_not_offer_is_refused_on_items_in_chinese(city):
    institution = lab("银州检测所", clauses=[CALIBRATION])
    with pytest.raises(ValidationError) as raised:
        services.qualification_create(
            institution=institution,
            user=city.bureau_admin,
            station=None,
            items=items(CALIBRATION, TESTING),
            kind="cma",
            number="210012345679",
            valid_until=today(),
        )
    [message] = raised.value.message_dict["items"]
    assert "未提供" in message and TESTING in message
    assert not Qualification.objects.filter(number="210012345679").exists()


def test_only_who_may_edit_the_institution_adds_a_qualification(city):
    institution = lab("开原站登记的计量所", station=city.beta)
    with pytest.raises(PermissionDenied):
        services.qualification_create(
            institution=institution,
            user=city.alpha_staff,
            station=city.alpha,
            kind="cma",
            number="X1",
            valid_until=today(),
        )


def test_who_can_calibrate_in_kaiyuan_leaves_out_an_institution_whose_qualification_for_it_expired(labs):
    found = list(institution_search(item=CALIBRATION, district="kaiyuan"))
    assert {i.name for i in found} == {"开原乙计量所", "开原丙计量所", "开原丁计量所"}
    assert not any(i.item_expired for i in found)
    # Its still-valid certificate for testing keeps it among those who can test.
    assert "开原甲计量所" in {i.name for i in institution_search(item=TESTING, district="kaiyuan")}
    # Without an item, the registry lists it as before.
    assert "开原甲计量所" in {i.name for i in institution_search(district="kaiyuan")}


def test_asked_to_show_them_the_search_marks_the_expired_ones(labs):
    found = {i.name: i.item_expired for i in institution_search(item=CALIBRATION, expired=EXPIRED_SHOWN, cap=50)}
    assert found == {"开原甲计量所": True, "开原乙计量所": False, "开原丙计量所": False, "开原丁计量所": False}
    # A name search too (its ranking re-reads the rows).
    assert [
        i.item_expired for i in institution_search(q="开原甲", item=CALIBRATION, expired=EXPIRED_SHOWN, cap=50)
    ] == [True]
    assert list(institution_search(q="开原甲", item=CALIBRATION, cap=50)) == []


def test_the_registry_page_greys_the_expired_ones_only_when_asked(labs, alpha_host, city):
    client = host_client(alpha_host, city.alpha_staff)
    response = client.get("/directory/institutions/", {"item": CALIBRATION, "district": "kaiyuan"})
    assert {i.name for i in response.context["page"]} == {"开原乙计量所", "开原丙计量所", "开原丁计量所"}
    assert '<span class="badge">资质已过期</span>' not in response.content.decode()
    response = client.get(
        "/directory/institutions/", {"item": CALIBRATION, "district": "kaiyuan", "expired": EXPIRED_SHOWN}
    )
    assert "开原甲计量所" in {i.name for i in response.context["page"]}
    assert '开原甲计量所</a> <span class="badge">资质已过期</span>' in response.content.decode()


def test_the_api_answers_who_can_do_it_and_shows_the_items_of_each_qualification(labs, public_host, city):
    client = host_client(public_host, city.bureau_admin)
    response = client.get("/api/v1/institutions/", {"item": CALIBRATION, "district": "kaiyuan"})
    assert response.status_code == 200
    rows = {row["name"]: row for row in response.json()["results"]}
    assert set(rows) == {"开原乙计量所", "开原丙计量所", "开原丁计量所"}
    assert rows["开原丙计量所"]["item_expired"] is False
    assert rows["开原丙计量所"]["qualifications"][0]["items"] == [CALIBRATION, TESTING]
    shown = client.get("/api/v1/institutions/", {"item": CALIBRATION, "district": "kaiyuan", "expired": "shown"})
    assert {row["name"]: row["item_expired"] for row in shown.json()["results"]}["开原甲计量所"] is True
    # Without an item there is nothing to be expired for.
    assert {row["item_expired"] for row in client.get("/api/v1/institutions/").json()["results"]} == {None}


def test_the_search_takes_the_same_number_of_queries_for_more_institutions(
    labs, public_host, city, django_assert_num_queries
):
    client = host_client(public_host, city.bureau_admin)
    query = {"item": CALIBRATION, "district": "kaiyuan", "expired": "shown"}
    client.get("/api/v1/institutions/", query)  # warm: the session, the catalog
    with CaptureQueriesContext(connection) as few:
        assert len(client.get("/api/v1/institutions/", query).json()["results"]) == 4
    for n in range(5):
        certificate(lab(f"开原新增计量所{n}"), f"Q-MORE-{n}", clauses=[CALIBRATION], days=-n)
    with django_assert_num_queries(len(few.captured_queries)):
        assert len(client.get("/api/v1/institutions/", query).json()["results"]) == 9


def test_the_qualification_form_records_the_items_and_shows_them(city, public_host):
    institution = lab("铁岭市计量测试所（页面）", clauses=[CALIBRATION, TESTING])
    client = host_client(public_host, city.bureau_admin)
    page = client.get(f"/directory/institutions/{institution.pk}/").content.decode()
    assert f'action="/directory/institutions/{institution.pk}/qualifications/new/"' in page
    testing = ServiceItem.objects.get(clause=TESTING)
    response = client.post(
        f"/directory/institutions/{institution.pk}/qualifications/new/",
        form_data(number="210055556666", items=[testing.pk], valid_until="2030-06-30"),
        follow=True,
    )
    assert response.status_code == 200
    qualification = Qualification.objects.get(number="210055556666")
    assert [item.clause for item in qualification.items.all()] == [TESTING]
    body = response.content.decode()
    assert "资质已登记" in body and testing.name in body


def test_a_bad_qualification_form_says_so_in_chinese_and_keeps_the_input(city, public_host):
    institution = lab("铁岭市计量测试所（错误）", clauses=[CALIBRATION])
    client = host_client(public_host, city.bureau_admin)
    response = client.post(
        f"/directory/institutions/{institution.pk}/qualifications/new/",
        form_data(number="210077778888", valid_until="明天"),
    )
    assert response.status_code == 400
    form = response.context["qualification_form"]
    assert "日期" in form.errors["valid_until"][0]
    assert 'name="qualification-number" value="210077778888"' in response.content.decode()
    assert not Qualification.objects.filter(number="210077778888").exists()


def test_who_may_not_edit_the_institution_is_refused_the_qualification_form(city, public_host, alpha_host):
    institution = lab("开原站登记的计量所（页面）", station=city.beta)
    data = form_data(number="210099990000", valid_until="2030-06-30")
    url = f"/directory/institutions/{institution.pk}/qualifications/new/"
    assert host_client(alpha_host, city.alpha_staff).post(url, data).status_code == 403
    assert host_client(public_host, city.bureau_viewer).post(url, data).status_code == 403
    assert host_client(public_host, city.outsider).post(url, data).status_code == 403
    assert host_client(alpha_host).post(url, data).status_code == 302  # to sign in
    assert not Qualification.objects.filter(number="210099990000").exists()


def test_expired_items_per_institution(labs):
    expired = institution_expired_items(institution_ids=[i.pk for i in labs.values()])
    assert expired == {labs["expired"].pk: {CALIBRATION: ServiceItem.objects.get(clause=CALIBRATION).name}}


@pytest.fixture
def alpha(city):
    with schema_context(city.alpha.schema_name):
        yield city.alpha


def test_the_plans_institution_picker_marks_and_the_plan_refuses_an_expired_qualification(city, alpha, labs):
    case = take_demand(city, new_enterprise()).cases.get()
    agreed = list(case.items.all())
    Qualification.objects.get(number="Q-EXPIRED").items.set(agreed)
    Qualification.objects.get(number="Q-TESTING").items.clear()
    labels = dict(PlanForm().fields["institution"].choices)
    label = next(str(text) for value, text in labels.items() if str(value) == str(labs["expired"].pk))
    assert label.startswith("开原甲计量所（资质已过期：")
    with pytest.raises(ValidationError) as raised:
        desk.case_plan(
            case=case,
            user=city.alpha_staff,
            kind=PlanKind.INSTITUTION,
            evaluation="需送检",
            institution=labs["expired"],
            agreed_items=agreed,
        )
    assert "资质已过期" in raised.value.message_dict["institution"][0]
    # One with a valid certificate for them is planned.
    plan = desk.case_plan(
        case=case,
        user=city.alpha_staff,
        kind=PlanKind.INSTITUTION,
        evaluation="需送检",
        institution=labs["unrecorded"],
        agreed_items=agreed,
    )
    assert plan.institution == labs["unrecorded"]

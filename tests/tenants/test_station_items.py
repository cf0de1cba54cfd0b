"""The catalog items a station serves itself (what other stations search by when they refer a case): the head
chooses them on the station host from the current catalog; every member sees them on the station home."""

import re

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from core.catalog.models import ServiceItem
from core.catalog.services import service_item_retire
from core.demo.city import DEMO_STATIONS, demo_city_load
from core.referrals.selectors import referral_station_candidates
from tenants.models import Station, StationStatus
from tenants.selectors import PLATFORM
from tenants.services import station_items_set
from tests.conftest import host_client

pytestmark = pytest.mark.django_db

PAGE = "/station/items/"


def text(response) -> str:
    return response.content.decode()


def item(clause: str) -> ServiceItem:
    return ServiceItem.objects.get(clause=clause)


def ticked(html: str) -> set[int]:
    return {int(pk) for pk in re.findall(r'name="items" value="(\d+)" checked', html)}


def test_the_head_sees_the_catalog_by_category_with_the_current_choice_ticked(
    city, alpha_host, django_assert_max_num_queries
):
    station_items_set(station=city.alpha, user=city.alpha_head, items=[item("5.1.6.1"), item("5.1.8.2")])
    head = host_client(alpha_host, city.alpha_head)
    head.get(PAGE)
    with django_assert_max_num_queries(11):  # the whole catalog in two queries, whatever its size
        response = head.get(PAGE)
    assert response.status_code == 200
    html = text(response)
    assert ticked(html) == {item("5.1.6.1").pk, item("5.1.8.2").pk}
    # Every current item is offered, under its category, in clause order.
    offered = [int(pk) for pk in re.findall(r'name="items" value="(\d+)"', html)]
    assert offered == list(ServiceItem.objects.active().values_list("pk", flat=True))
    # Labelled by name, without clause numbers.
    metrology, first = "<strong>计量</strong>", f"> {item('5.1.6.1').name}</label>"
    assert html.index(metrology) < html.index(first) < html.index("<strong>产品检验检测</strong>")
    assert not re.search(r"5\.1\.\d+", html)


def test_the_head_sets_the_items_and_the_choice_replaces_the_last(city, alpha_host):
    head = host_client(alpha_host, city.alpha_head)
    chosen = [item("5.1.1.1"), item("5.1.5.2"), item("5.1.7.1")]
    response = head.post(PAGE, {"items": [i.pk for i in chosen]})
    assert response.status_code == 302 and response["Location"] == "/"
    assert list(city.alpha.items.all()) == chosen
    assert set(Station.objects.get(pk=city.beta.pk).items.all()) == set()  # the other station is untouched
    assert head.post(PAGE, {"items": [item("5.1.8.1").pk]}).status_code == 302
    assert list(city.alpha.items.all()) == [item("5.1.8.1")]
    assert head.post(PAGE, {}).status_code == 302  # nothing ticked: the station serves nothing of the catalog
    assert city.alpha.items.count() == 0


def test_what_a_station_serves_is_what_referring_stations_search_by(city):
    Station.objects.filter(pk__in=[city.alpha.pk, city.beta.pk]).update(status=StationStatus.PUBLISHED)
    station_items_set(station=city.beta, user=city.beta_head, items=[item("5.1.8.3")])
    candidates = referral_station_candidates(here=city.alpha, item=item("5.1.8.3"))
    assert [(s.code, s.serves) for s in candidates if s.code == "beta"] == [("beta", 1)]
    assert [i.clause for i in next(s for s in candidates if s.code == "beta").items.all()] == ["5.1.8.3"]


def test_a_retired_item_is_refused_and_nothing_changes(city, alpha_host):
    station_items_set(station=city.alpha, user=city.alpha_head, items=[item("5.1.1.1")])
    retired = service_item_retire(user=PLATFORM, item=item("5.1.9.2"))
    with pytest.raises(ValidationError) as refused:
        station_items_set(station=city.alpha, user=city.alpha_head, items=[item("5.1.5.1"), retired])
    assert "5.1.9.2" in refused.value.message_dict["items"][0]
    response = host_client(alpha_host, city.alpha_head).post(PAGE, {"items": [item("5.1.5.1").pk, retired.pk]})
    assert response.status_code == 400
    html = text(response)
    assert re.search(r'<div class="field-error" role="alert"><p>[^<]*5\.1\.9\.2[^<]*</p></div>', html)
    assert item("5.1.5.1").pk in ticked(html)  # what was ticked is kept
    assert f'value="{retired.pk}"' not in html  # a retired item is not offered
    assert list(city.alpha.items.all()) == [item("5.1.1.1")]


def test_an_unknown_item_is_refused(city, alpha_host):
    response = host_client(alpha_host, city.alpha_head).post(PAGE, {"items": ["999999"]})
    assert response.status_code == 400
    with pytest.raises(ValidationError):
        station_items_set(station=city.alpha, user=city.alpha_head, items=[999999])
    assert city.alpha.items.count() == 0


def test_only_the_head_of_the_station_may_set_its_items(city):
    for user in (city.alpha_staff, city.beta_head, city.bureau_admin, city.outsider):
        with pytest.raises(PermissionDenied):
            station_items_set(station=city.alpha, user=user, items=[item("5.1.1.1")])
    assert city.alpha.items.count() == 0


@pytest.mark.parametrize("method", ["get", "post"])
def test_staff_may_not_open_the_edit_page(city, alpha_host, method):
    response = getattr(host_client(alpha_host, city.alpha_staff), method)(PAGE, {"items": [item("5.1.1.1").pk]})
    assert response.status_code == 403
    assert city.alpha.items.count() == 0


@pytest.mark.parametrize("who", ["outsider", "beta_head", "beta_staff", "bureau_admin", "bureau_viewer"])
@pytest.mark.parametrize("method", ["get", "post"])
def test_outsiders_other_stations_and_the_bureau_are_refused(city, alpha_host, who, method):
    response = getattr(host_client(alpha_host, getattr(city, who)), method)(PAGE, {"items": [item("5.1.1.1").pk]})
    assert response.status_code == 403
    assert city.alpha.items.count() == 0


def test_anonymous_visitors_are_sent_to_sign_in(alpha_host):
    response = host_client(alpha_host).get(PAGE)
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def test_the_page_does_not_exist_on_the_public_host(city, public_host):
    assert host_client(public_host, city.bureau_admin).get(PAGE).status_code == 404


def test_the_station_home_lists_the_items_with_an_edit_link_for_the_head_only(city, alpha_host):
    staff_home = text(host_client(alpha_host, city.alpha_staff).get("/"))
    section = re.search(r'<section class="card" id="station-items">(.*?)</section>', staff_home, re.S).group(1)
    assert '<span class="badge"' not in section and '<p class="muted">' in section  # "none chosen yet"
    station_items_set(station=city.alpha, user=city.alpha_head, items=[item("5.1.6.2"), item("5.1.7.4")])
    staff_home = text(host_client(alpha_host, city.alpha_staff).get("/"))
    section = re.search(r'<section class="card" id="station-items">(.*?)</section>', staff_home, re.S).group(1)
    assert re.findall(r'<span class="badge"[^>]*>([^<]*)</span>', section) == [
        str(item("5.1.6.2")),
        str(item("5.1.7.4")),
    ]
    assert f'href="{PAGE}"' not in staff_home
    head_home = text(host_client(alpha_host, city.alpha_head).get("/"))
    assert f'href="{PAGE}"' in head_home and str(item("5.1.7.4")) in head_home


def test_the_demo_stations_serve_training_and_standards_and_each_its_own_specialities():
    stations = {s.code: s for s in demo_city_load()}
    for spec in DEMO_STATIONS:
        clauses = set(stations[spec.code].items.values_list("category__clause", flat=True))
        assert clauses == set(spec.serves) and {"5.1.1", "5.1.5"} <= clauses
    assert {"5.1.6", "5.1.7"} <= set(stations["yinzhou"].items.values_list("category__clause", flat=True))
    assert "5.1.8" in set(stations["kaiyuan"].items.values_list("category__clause", flat=True))
    # Loading again keeps a head's own choice.
    kaiyuan = stations["kaiyuan"]
    head = kaiyuan.memberships.get(role="head").user
    station_items_set(station=kaiyuan, user=head, items=[item("5.1.8.1")])
    demo_city_load()
    assert [i.clause for i in kaiyuan.items.all()] == ["5.1.8.1"]

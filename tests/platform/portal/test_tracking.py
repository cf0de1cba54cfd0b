"""The enterprise's tracking link: sent when the demand is registered, shows its cases in plain words and nothing of
other demands, and stops working when revoked or renewed; a tampered link gets the same plain page. The portal finds
a demand by its number and the contact phone's last four digits."""

from urllib.parse import urlsplit

import pytest
from django.core.cache import cache
from django_tenants.utils import schema_context

from core.deliveries.models import Channel as DeliveryChannel
from core.deliveries.models import Delivery
from core.desk import services
from core.desk.models import Demand
from tenants.hosts import station_host
from tests.conftest import host_client
from tests.core.desk.builders import new_enterprise, take_demand

MOBILE = "139 1234 5678"


def _path(url: str) -> str:
    return urlsplit(url).path


@pytest.fixture
def demand(city) -> Demand:
    with schema_context(city.alpha.schema_name):
        return take_demand(city, new_enterprise(name="跟踪测试阀门有限公司"), phone=MOBILE, email="zhao@example.test")


@pytest.fixture
def other_demand(city) -> Demand:
    with schema_context(city.alpha.schema_name):
        return take_demand(city, new_enterprise(name="别家公司不应出现"), phone="13800001111")


def _link(city, demand) -> str:
    with schema_context(city.alpha.schema_name):
        return services.tracking_url(demand=Demand.objects.get(pk=demand.pk))


def test_registering_a_demand_sends_its_tracking_link_by_sms_and_e_mail_once(city, demand):
    with schema_context(city.alpha.schema_name):
        sent = {d.channel: d for d in Delivery.objects.filter(demand_id=demand.pk, kind="demand_registered")}
        link = services.tracking_url(demand=demand)
        again = services.demand_tracking_send(demand=demand)  # a repeated event sends nothing twice
        assert again is None
        assert Delivery.objects.filter(demand_id=demand.pk, kind="demand_registered").count() == 2
    assert set(sent) == {DeliveryChannel.SMS, DeliveryChannel.EMAIL}
    assert sent[DeliveryChannel.SMS].address == "13912345678"
    assert link in sent[DeliveryChannel.SMS].text and demand.number in sent[DeliveryChannel.SMS].text
    assert link in sent[DeliveryChannel.EMAIL].text


def test_a_demand_without_a_mobile_or_an_address_sends_nothing(city):
    with schema_context(city.alpha.schema_name):
        quiet = take_demand(city, new_enterprise(email=""), phone="024-72345678", email="")
        assert not Delivery.objects.filter(demand_id=quiet.pk).exists()


def test_a_wrong_phone_number_is_refused_on_its_field_in_chinese(city):
    from django.core.exceptions import ValidationError

    with schema_context(city.alpha.schema_name), pytest.raises(ValidationError) as refused:
        take_demand(city, new_enterprise(), phone="1391234")
    assert "手机号" in refused.value.message_dict["phone"][0]


def test_the_tracking_page_shows_the_cases_in_plain_words_and_nothing_of_other_demands(
    city, alpha_host, demand, other_demand
):
    page = host_client(alpha_host).get(_path(_link(city, demand)))
    text = page.content.decode()
    assert page.status_code == 200
    assert demand.number in text and "跟踪测试阀门有限公司" in text
    assert "计量" in text  # the case's category
    assert "银州测试站" in text and city.alpha.service_phone in text  # who serves it, and their phone
    assert other_demand.number not in text and "别家公司不应出现" not in text
    assert page["Cache-Control"].startswith("max-age=0") or "no-cache" in page["Cache-Control"]


def test_a_tampered_link_gets_the_plain_not_valid_page(city, alpha_host, demand):
    path = _path(_link(city, demand))
    tampered = path[:-3] + ("a" if path[-3] != "a" else "b") + path[-2:]
    page = host_client(alpha_host).get(tampered)
    assert page.status_code == 404
    assert "链接无效" in page.content.decode() and demand.number not in page.content.decode()


def test_another_stations_host_does_not_open_the_link(city, demand):
    page = host_client(station_host(city.beta.code)).get(_path(_link(city, demand)))
    assert page.status_code == 404 and demand.number not in page.content.decode()


def test_a_revoked_link_stops_working_and_a_renewed_one_replaces_it(city, alpha_host, demand):
    old = _path(_link(city, demand))
    with schema_context(city.alpha.schema_name):
        services.demand_tracking_revoke(demand=demand, user=city.alpha_staff)
    assert host_client(alpha_host).get(old).status_code == 404
    with schema_context(city.alpha.schema_name):
        renewed = services.demand_tracking_renew(demand=demand, user=city.alpha_staff)
        assert Delivery.objects.filter(demand_id=demand.pk, key__contains=":link:2:").count() == 2
    new = _path(_link(city, renewed))
    assert host_client(alpha_host).get(old).status_code == 404
    assert host_client(alpha_host).get(new).status_code == 200


def test_staff_revoke_the_link_from_the_demand_page(city, alpha_host, demand):
    staff = host_client(alpha_host, city.alpha_staff)
    page = staff.get(f"/desk/demands/{demand.pk}/")
    assert _link(city, demand) in page.content.decode()
    response = staff.post(f"/desk/demands/{demand.pk}/tracking/", {"action": "revoke"})
    assert response.status_code == 302
    with schema_context(city.alpha.schema_name):
        assert Demand.objects.get(pk=demand.pk).tracking_revoked_at is not None


def test_an_outsider_cannot_revoke_or_read_the_tracking_api(city, alpha_host, demand):
    outsider = host_client(alpha_host, city.beta_staff)
    assert outsider.post(f"/desk/demands/{demand.pk}/tracking/", {"action": "revoke"}).status_code == 403
    assert outsider.get(f"/api/v1/desk/demands/{demand.pk}/tracking/").status_code == 403
    with schema_context(city.alpha.schema_name):
        assert Demand.objects.get(pk=demand.pk).tracking_revoked_at is None


def test_the_tracking_api_shows_staff_the_link_the_page_and_the_messages(city, alpha_host, demand):
    staff = host_client(alpha_host, city.alpha_staff)
    body = staff.get(f"/api/v1/desk/demands/{demand.pk}/tracking/").json()
    assert body["url"] == _link(city, demand)
    assert body["cases"][0]["served_by"] == "银州测试站"
    assert {d["channel"] for d in body["deliveries"]} == {"sms", "email"}
    assert all(
        "5678" in d["address"] and "1234" not in d["address"] for d in body["deliveries"] if d["channel"] == "sms"
    )
    revoked = staff.post(
        f"/api/v1/desk/demands/{demand.pk}/tracking/", {"action": "revoke"}, content_type="application/json"
    )
    assert revoked.status_code == 200 and revoked.json()["url"] == "" and revoked.json()["revoked_at"]


def test_the_portal_finds_a_demand_by_its_number_and_the_phones_last_four_digits(city, public_host, demand):
    cache.clear()
    visitor = host_client(public_host)
    found = visitor.post("/track/", {"number": demand.number.lower(), "phone_last4": "5678"})
    assert found.status_code == 302 and found["Location"] == _link(city, demand)
    wrong = visitor.post("/track/", {"number": demand.number, "phone_last4": "0000"})
    assert wrong.status_code == 404 and "没有找到" in wrong.content.decode()
    bad = visitor.post("/track/", {"number": demand.number, "phone_last4": "56"})
    assert bad.status_code == 400 and "后四位" in bad.content.decode()
    assert demand.number in bad.content.decode()  # what was typed is kept


def test_the_portal_lookup_is_rate_limited_per_address(city, public_host, demand):
    cache.clear()
    visitor = host_client(public_host)
    for _ in range(10):
        visitor.post("/track/", {"number": demand.number, "phone_last4": "0000"})
    blocked = visitor.post("/track/", {"number": demand.number, "phone_last4": "5678"})
    assert blocked.status_code == 429
    cache.clear()


def test_with_the_cache_down_the_lookup_still_answers(city, public_host, demand, unreachable_cache, caplog):
    visitor = host_client(public_host)
    found = visitor.post("/track/", {"number": demand.number, "phone_last4": "5678"})
    assert found.status_code == 302 and found["Location"] == _link(city, demand)
    wrong = visitor.post("/track/", {"number": demand.number, "phone_last4": "0000"})
    assert wrong.status_code == 404 and "没有找到" in wrong.content.decode()
    assert "the tracking lookup's attempt limit not applied" in caplog.text

"""The API's rate limits: per signed-in user, per address for anonymous callers, and a strict one on the token
endpoint, where passwords are checked. Beyond a limit: 429, `Retry-After`, and the wait in Chinese.

Each test counts under an address (and a user) of its own, so the counts in the shared cache (Redis, which also holds
the broker's queues, so it is never flushed) never meet another test's."""

import datetime
import secrets

import pytest
import time_machine
from django.core.cache import cache
from django.utils import timezone

from core.common.cache import CACHE_ERRORS
from core.tokens.services import api_token_create
from tenants.models import MemberRole
from tenants.selectors import PLATFORM
from tenants.services import membership_create
from tests.conftest import host_client
from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

LIMITS = {"user": "3/min", "address": "2/min", "token_issue": "2/min"}


@pytest.fixture
def small_limits(settings):
    settings.API_THROTTLE_RATES = LIMITS


def address() -> str:
    return f"10.{secrets.randbelow(256)}.{secrets.randbelow(256)}.{secrets.randbelow(254) + 1}"


def assert_throttled(response, seconds: int = 60) -> None:
    assert response.status_code == 429
    assert response["Retry-After"] == str(seconds)
    assert response.json() == {"detail": f"请求过于频繁，请 {seconds} 秒后再试。"}


def test_a_password_guesser_gets_a_few_tries_a_minute_on_the_token_endpoint(city, public_host, small_limits):
    # A member whose role needs no second factor: the password alone yields a token (tests/api/test_tokens.py).
    guesser = address()
    client = host_client(public_host)
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        for _ in range(2):
            response = client.post(
                "/api/v1/auth/token/", {"username": city.alpha_staff.username, "password": "guess"}, REMOTE_ADDR=guesser
            )
            assert response.status_code == 400
        # The right password too, from this address, waits.
        right = {"username": city.alpha_staff.username, "password": PASSWORD}
        assert_throttled(client.post("/api/v1/auth/token/", right, REMOTE_ADDR=guesser))
        # Another address is not held back.
        assert client.post("/api/v1/auth/token/", right, REMOTE_ADDR=address()).status_code == 200
    with time_machine.travel(start + datetime.timedelta(seconds=45), tick=False):
        assert_throttled(client.post("/api/v1/auth/token/", right, REMOTE_ADDR=guesser), seconds=15)
    with time_machine.travel(start + datetime.timedelta(seconds=61), tick=False):
        assert client.post("/api/v1/auth/token/", right, REMOTE_ADDR=guesser).status_code == 200


def test_only_attempts_count_on_the_token_endpoint(public_host, small_limits, settings):
    settings.API_THROTTLE_RATES = LIMITS | {"address": None}
    caller = address()
    client = host_client(public_host)
    for _ in range(4):
        assert client.get("/api/v1/auth/token/", REMOTE_ADDR=caller).status_code == 405
    assert client.post("/api/v1/auth/token/", {}, REMOTE_ADDR=caller).status_code == 400


@pytest.mark.parametrize("how", ["session", "token"])
def test_a_user_is_limited_wherever_they_call_from(city, public_host, small_limits, how):
    user = UserFactory()
    _token, secret = api_token_create(actor=user, user=user, name="脚本")
    client = host_client(public_host, user if how == "session" else None)
    caller = address()
    headers = {"HTTP_AUTHORIZATION": f"Token {secret}"} if how == "token" else {}
    with time_machine.travel(timezone.now(), tick=False):
        for _ in range(3):
            assert client.get("/api/v1/me/", REMOTE_ADDR=caller, **headers).status_code == 200
        assert_throttled(client.get("/api/v1/me/", REMOTE_ADDR=caller, **headers))
        # Another user is not held back.
        assert host_client(public_host, UserFactory()).get("/api/v1/me/").status_code == 200


def test_a_member_is_limited_on_the_station_host_too(city, alpha_host, small_limits, settings):
    settings.API_THROTTLE_RATES = LIMITS | {"user": "1/min"}
    user = UserFactory()
    membership_create(actor=PLATFORM, user=user, station=city.alpha, role=MemberRole.STAFF)
    client = host_client(alpha_host, user)
    with time_machine.travel(timezone.now(), tick=False):
        assert client.get("/api/v1/station/").status_code == 200
        assert_throttled(client.get("/api/v1/station/"))


def test_anonymous_callers_are_limited_per_address(public_host, small_limits, settings):
    settings.API_THROTTLE_RATES = LIMITS | {"token_issue": None}
    caller = address()
    client = host_client(public_host)
    with time_machine.travel(timezone.now(), tick=False):
        # The token endpoint is the public host's door for anonymous callers: every request counts, a GET too.
        for _ in range(2):
            assert client.get("/api/v1/auth/token/", REMOTE_ADDR=caller).status_code == 405
        assert_throttled(client.post("/api/v1/auth/token/", {}, REMOTE_ADDR=caller))
        assert client.post("/api/v1/auth/token/", {}, REMOTE_ADDR=address()).status_code == 400


def test_a_limit_set_off_limits_nothing(city, public_host, settings):
    settings.API_THROTTLE_RATES = {"user": None, "address": None, "token_issue": None}
    caller = address()
    client = host_client(public_host)
    for _ in range(5):
        assert client.post("/api/v1/auth/token/", {}, REMOTE_ADDR=caller).status_code == 400
    assert (
        client.post(
            "/api/v1/auth/token/", {"username": city.alpha_staff.username, "password": PASSWORD}, REMOTE_ADDR=caller
        ).status_code
        == 200
    )


def test_with_the_cache_down_the_limits_let_requests_through_not_fail_them(
    city, public_host, alpha_host, small_limits, unreachable_cache, caplog
):
    with pytest.raises(CACHE_ERRORS):  # the outage is real: Django's cache cannot reach Redis
        cache.get("anything")
    caller = address()
    member = host_client(alpha_host, city.alpha_staff)
    for _ in range(4):  # beyond the user limit of 3: nothing counts while the counts cannot be kept
        assert member.get("/api/v1/station/", REMOTE_ADDR=caller).status_code == 200
    token = host_client(public_host).post(
        "/api/v1/auth/token/", {"username": city.alpha_staff.username, "password": PASSWORD}, REMOTE_ADDR=caller
    )
    assert token.status_code == 200, token.content
    assert "the API rate limit 'user' not applied" in caplog.text
    assert "the API rate limit 'token_issue' not applied" in caplog.text

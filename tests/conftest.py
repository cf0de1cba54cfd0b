"""Shared fixtures: a small city created once per test session (stations are schemas; creating them is slow).

The city is committed (it outlives each test's transaction) so that out-of-process parts under test (a Celery
worker, a web server driven by a browser) see it too. Tests that write roll back as usual.
"""

from dataclasses import dataclass

import pytest
from django.conf import settings
from django.db import connection
from django.test import Client
from django_otp import DEVICE_ID_SESSION_KEY

from core.districts import District
from core.operations.demo import pre_duty_training_record
from tenants.hosts import station_host
from tenants.models import BureauRole, MemberRole, Station, StationStatus, User
from tenants.selectors import PLATFORM
from tenants.services import membership_create, station_create, user_create
from tests.factories import PASSWORD, UserFactory, two_factor_ready


@dataclass
class City:
    alpha: Station
    beta: Station
    alpha_head: User
    alpha_staff: User
    beta_head: User
    beta_staff: User
    bureau_admin: User
    bureau_viewer: User
    outsider: User  # signed-in user with no membership and no bureau role
    invitee_membership_id: int  # a member of alpha who was never sent the invitation


def _station(code: str, name: str, district: str) -> Station:
    return station_create(
        actor=PLATFORM,
        code=code,
        name=name,
        district=district,
        address=f"铁岭市{name}路1号",
        service_phone="024-70000001",
        complaint_phone="024-70000002",
        head_full_name=f"{name}站长",
        head_email=f"{code}-head@example.test",
    )


def _with_password(user: User) -> User:
    user.set_password(PASSWORD)
    user.save(update_fields=["password"])
    return user


@pytest.fixture(scope="session")
def city(django_db_setup, django_db_blocker) -> City:
    # pytest-django sets up the test database only for runs that collect a `django_db` test; never write elsewhere.
    assert connection.settings_dict["NAME"].startswith("test_"), "the city fixture needs the test database"
    with django_db_blocker.unblock():
        alpha = _station("alpha", "银州测试站", District.YINZHOU)
        beta = _station("beta", "开原测试站", District.KAIYUAN)
        alpha_head = _with_password(alpha.memberships.get(role=MemberRole.HEAD).user)
        beta_head = _with_password(beta.memberships.get(role=MemberRole.HEAD).user)
        alpha_staff = UserFactory(username="alpha-staff")
        beta_staff = UserFactory(username="beta-staff")
        membership_create(actor=PLATFORM, user=alpha_staff, station=alpha, role=MemberRole.STAFF)
        membership_create(actor=PLATFORM, user=beta_staff, station=beta, role=MemberRole.STAFF)
        # Clause 4.4.1: only members with a completed pre-duty training are assigned cases; the city's were trained
        # (the invitee, who never took duty, was not).
        pre_duty_training_record(station=alpha, members=[alpha_head, alpha_staff])
        pre_duty_training_record(station=beta, members=[beta_head, beta_staff])
        invitee = user_create(
            actor=PLATFORM, username="alpha-invitee", email="alpha-invitee@example.test", full_name="新同事"
        )
        invitee_membership = membership_create(actor=PLATFORM, user=invitee, station=alpha, role=MemberRole.STAFF)
        connection.set_schema_to_public()
        return City(
            alpha=alpha,
            beta=beta,
            alpha_head=alpha_head,
            alpha_staff=alpha_staff,
            beta_head=beta_head,
            beta_staff=beta_staff,
            bureau_admin=UserFactory(username="bureau-admin", bureau_role=BureauRole.ADMIN),
            bureau_viewer=UserFactory(username="bureau-viewer", bureau_role=BureauRole.VIEWER),
            outsider=UserFactory(username="outsider"),
            invitee_membership_id=invitee_membership.pk,
        )


@pytest.fixture(autouse=True)
def _public_schema_after_each_test():
    yield
    connection.set_schema_to_public()


def host_client(host: str, user: User | None = None) -> Client:
    """A test client on `host`, signed in as `user` when given: past the second factor too when the user has or needs
    it (core.twofactor), as after entering a code; the authenticator is made (committed) if missing."""
    client = Client(HTTP_HOST=host)
    if user is not None:
        client.force_login(user)
        device = two_factor_ready(user)
        if device is not None:
            session = client.session
            session[DEVICE_ID_SESSION_KEY] = device.persistent_id
            session.save()
    return client


@pytest.fixture
def published(city):
    """alpha and beta published, for this test only (only published stations take referrals and online demands)."""
    Station.objects.filter(pk__in=[city.alpha.pk, city.beta.pk]).update(status=StationStatus.PUBLISHED)
    city.alpha.refresh_from_db()
    city.beta.refresh_from_db()
    yield
    city.alpha.refresh_from_db()
    city.beta.refresh_from_db()


@pytest.fixture
def spare_waiting(city):
    """One fresh spare schema waiting (in this test's transaction): the console's onboarding then opens the station in
    the request instead of queueing it (a web request never makes a schema: core.onboarding)."""
    from tenants.spare_schemas import spare_schemas_refill

    spare_schemas_refill(size=1)


@pytest.fixture
def public_host() -> str:
    return settings.BASE_DOMAIN


@pytest.fixture
def alpha_host(city) -> str:
    return station_host(city.alpha.code)


@pytest.fixture
def beta_host(city) -> str:
    return station_host(city.beta.code)


@pytest.fixture
def unreachable_cache(settings) -> None:
    """Django's cache pointed at a Redis that is not there (a closed port): every cache call raises, as in an outage."""
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
    }


CLAUSE_MARKS = pytest.StashKey[dict[str, list[str]]]()


def pytest_addoption(parser):
    parser.addoption("--write-compliance", action="store_true", help="write docs/compliance.md from clause marks")


def pytest_collection_modifyitems(session, config, items):
    # A test that uses the session city uses the database, even when it requests no `db` fixture itself (browser
    # tests talk to it through other processes): mark it, so that pytest-django creates the test database.
    for item in items:
        if "city" in getattr(item, "fixturenames", ()) and item.get_closest_marker("django_db") is None:
            item.add_marker(pytest.mark.django_db)
    from tests.compliance import own_clause_marks

    marks = {item.nodeid: own_clause_marks(item) for item in items}
    config.stash[CLAUSE_MARKS] = {nodeid: numbers for nodeid, numbers in marks.items() if numbers}
    if config.getoption("--write-compliance"):
        from tests.compliance import COMPLIANCE_MD, render

        COMPLIANCE_MD.write_text(render(config.stash[CLAUSE_MARKS]), encoding="utf-8")


@pytest.fixture(scope="session")
def web_server(city, tmp_path_factory):
    """A gunicorn process serving the test database; yields its port."""
    from tests.processes import serving

    with serving(tmp_path_factory.mktemp("web")) as port:
        yield port


@pytest.fixture
def celery_worker(tmp_path):
    """A Celery worker process on this run's queue, against the test database, mailing into a folder."""
    from stationnet.celery import worker_queues_purge
    from tests.processes import working

    with working(tmp_path) as worker:
        yield worker
    # What the test left queued belongs to its rolled-back or cleaned-up data: a later worker would only have to
    # wade through it (the file-system broker lists its whole folder for every queue it polls).
    worker_queues_purge()

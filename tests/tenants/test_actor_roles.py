"""Who acts in which role (`tenants.selectors.actor_roles`), the one rule the write services check with
`require_role`, and the tenants' own write services refusing whoever may not call them, whatever the view."""

import pytest
from django.core.exceptions import PermissionDenied
from django.db import connection
from django_tenants.utils import schema_context

from core.catalog.models import ServiceItem
from core.catalog.services import service_item_retire
from core.evaluation.services import station_publish
from tenants.models import BureauRole, MemberRole, Membership, Station, StationStatus, StationStatusChange, User
from tenants.selectors import (
    DEMO,
    MESSAGES,
    PLATFORM,
    PUBLIC,
    actor_person,
    actor_roles,
    require_bureau_admin,
    require_head,
    require_member,
    require_role,
)
from tenants.services import (
    membership_create,
    station_change_status,
    station_create,
    station_items_set,
    user_create,
)
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

NEW_STATION = {
    "name": "清河只读测试站",
    "code": "qhro",
    "district": "qinghe",
    "address": "铁岭市清河区测试路1号",
    "service_phone": "024-70000011",
    "complaint_phone": "024-70000012",
    "head_full_name": "清河站长",
    "head_email": "qhro-head@example.test",
}


def test_on_the_public_schema_a_user_acts_in_their_bureau_role(city):
    assert actor_roles(user=city.bureau_admin) == {BureauRole.ADMIN}
    assert actor_roles(user=city.bureau_viewer) == {BureauRole.VIEWER}
    assert actor_roles(user=city.alpha_head) == set()  # a head is no one at the bureau
    assert actor_roles(user=city.outsider) == set()


def test_in_a_station_a_user_acts_in_their_membership_role(city):
    with schema_context(city.alpha.schema_name):
        assert actor_roles(user=city.alpha_head) == {MemberRole.HEAD}
        assert actor_roles(user=city.alpha_staff) == {MemberRole.STAFF}
        assert actor_roles(user=city.beta_head) == set()
        assert actor_roles(user=city.bureau_admin) == set()  # the bureau is no one inside a station
    # Named explicitly, the station need not be the schema in use.
    assert connection.schema_name == "public"
    assert actor_roles(user=city.beta_staff, station=city.beta) == {MemberRole.STAFF}
    assert actor_roles(user=city.beta_staff, station=city.alpha) == set()


def test_nobody_and_the_inactive_hold_no_role(city):
    from django.contrib.auth.models import AnonymousUser

    assert actor_roles(user=None) == set()
    assert actor_roles(user=AnonymousUser()) == set()
    Membership.objects.filter(user=city.alpha_staff, station=city.alpha).update(is_active=False)
    assert actor_roles(user=city.alpha_staff, station=city.alpha) == set()
    User.objects.filter(pk=city.bureau_viewer.pk).update(is_active=False)
    assert actor_roles(user=User.objects.get(pk=city.bureau_viewer.pk)) == set()


def test_a_system_actor_holds_its_own_role_only(city):
    for actor in (PLATFORM, MESSAGES, DEMO, PUBLIC):
        assert actor_roles(user=actor) == {actor.role}
        assert actor_roles(user=actor, station=city.alpha) == {actor.role}
        assert actor_person(actor) is None
        # Never taken for a person: a service lets it in only if it names it.
        with pytest.raises(PermissionDenied):
            require_bureau_admin(user=actor)
        with pytest.raises(PermissionDenied):
            require_member(user=actor, station=city.alpha)
    require_bureau_admin(user=PLATFORM, system=(PLATFORM,))
    require_member(user=MESSAGES, station=city.alpha, system=(MESSAGES,))
    with pytest.raises(PermissionDenied):
        require_member(user=PLATFORM, station=city.alpha, system=(MESSAGES,))
    assert actor_person(city.alpha_head) == city.alpha_head


def test_require_role_refuses_with_the_message_it_is_given(city):
    with pytest.raises(PermissionDenied, match="^没有权限$"):
        require_role(user=city.bureau_viewer, roles=(BureauRole.ADMIN,), message="没有权限")
    require_role(user=city.bureau_admin, roles=(BureauRole.ADMIN,), message="没有权限")
    with pytest.raises(PermissionDenied):
        require_head(user=city.alpha_staff, station=city.alpha)
    require_head(user=city.alpha_head, station=city.alpha)
    with pytest.raises(PermissionDenied):
        require_member(user=None, station=city.alpha)


@pytest.mark.parametrize("who", ["bureau_viewer", "alpha_head", "outsider"])
def test_only_the_bureau_and_the_platform_open_stations(city, who):
    with pytest.raises(PermissionDenied):
        station_create(actor=getattr(city, who), **NEW_STATION)
    with pytest.raises(PermissionDenied):
        user_create(actor=getattr(city, who), username="qhro-new")
    with pytest.raises(PermissionDenied):
        membership_create(user=city.outsider, station=city.alpha, role=MemberRole.STAFF, actor=getattr(city, who))
    assert not Station.objects.filter(code=NEW_STATION["code"]).exists()
    assert not User.objects.filter(username="qhro-new").exists()
    assert not Membership.objects.filter(user=city.outsider).exists()


def test_a_bureau_administrator_opens_a_station(city):
    station = station_create(actor=city.bureau_admin, **NEW_STATION)
    assert station.memberships.get().role == MemberRole.HEAD


@pytest.mark.parametrize("who", ["bureau_viewer", "alpha_head", "outsider"])
def test_only_the_bureau_and_the_platform_change_a_station_status(city, who):
    with pytest.raises(PermissionDenied):
        station_change_status(station=city.alpha, status=StationStatus.EVALUATING, user=getattr(city, who))
    with pytest.raises(PermissionDenied):
        station_publish(station=city.alpha, user=getattr(city, who))
    assert Station.objects.get(pk=city.alpha.pk).status == StationStatus.DRAFT
    assert not StationStatusChange.objects.filter(station=city.alpha).exists()


def test_the_platform_changes_a_status_explicitly_and_is_kept_as_nobody(city):
    station = station_change_status(station=city.alpha, status=StationStatus.EVALUATING, user=PLATFORM)
    assert station.status == StationStatus.EVALUATING
    assert StationStatusChange.objects.get(station=city.alpha).changed_by is None
    with pytest.raises(PermissionDenied):  # an actor the service does not name: refused, not "the platform"
        station_change_status(station=city.alpha, status=StationStatus.DRAFT, user=MESSAGES)


def test_only_the_head_sets_the_items_a_station_serves(city):
    item = ServiceItem.objects.filter(retired_at__isnull=True).first()
    for who in (city.alpha_staff, city.beta_head, city.bureau_admin):
        with pytest.raises(PermissionDenied):
            station_items_set(station=city.alpha, user=who, items=[item])
    assert not city.alpha.items.exists()
    station_items_set(station=city.alpha, user=city.alpha_head, items=[item])
    assert list(city.alpha.items.all()) == [item]


def test_only_the_bureau_administrators_retire_a_catalog_item(city):
    item = ServiceItem.objects.filter(retired_at__isnull=True).first()
    for who in (city.bureau_viewer, city.alpha_head, PUBLIC):
        with pytest.raises(PermissionDenied):
            service_item_retire(item=item, user=who)
    assert ServiceItem.objects.get(pk=item.pk).retired_at is None
    assert service_item_retire(item=item, user=city.bureau_admin).retired_at is not None


def test_a_factory_user_without_a_role_is_refused(city):
    nobody = UserFactory()
    with pytest.raises(PermissionDenied):
        require_bureau_admin(user=nobody)
    with pytest.raises(PermissionDenied):
        require_member(user=nobody, station=city.alpha)


def test_a_bureau_service_asks_the_bureau_role_whatever_schema_a_caller_left_in_use(city):
    """A request to a station host leaves that station's schema in use; the bureau's services still know the admin."""
    with schema_context(city.alpha.schema_name):
        assert actor_roles(user=city.bureau_admin) == set()  # inside alpha, by default: a membership
        assert actor_roles(user=city.bureau_admin, bureau=True) == {BureauRole.ADMIN}
        require_bureau_admin(user=city.bureau_admin)
        with pytest.raises(PermissionDenied):
            require_bureau_admin(user=city.alpha_head)
        station = station_change_status(station=city.alpha, status=StationStatus.EVALUATING, user=city.bureau_admin)
    assert station.status == StationStatus.EVALUATING

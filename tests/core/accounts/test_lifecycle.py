"""A station's members and the bureau's users through their whole life (issue 18): invited, shared by two stations,
deactivated at once (sessions and tokens end, open cases wait for another assignee, nothing re-attributed), brought
back; the head role handed over; bureau roles given and taken; each refused to whoever may not do it, in the service."""

import pytest
from django.contrib.sessions.models import Session
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django_tenants.utils import schema_context

from core.accounts.models import UserSession
from core.accounts.services import (
    FormerHead,
    account_link_send,
    bureau_user_invite,
    member_invite,
    membership_deactivate,
    membership_reactivate,
    station_head_handover,
    user_bureau_role_set,
    user_deactivate,
)
from core.audit.models import AuditAction, AuditEntry
from tenants.models import BureauRole, MemberRole, Membership, User
from tenants.selectors import PLATFORM, membership_get
from tests.conftest import host_client
from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db


def signed_in(host: str, user) -> tuple:
    """A client signed in through the sign-in form (so that its session is noted), and its session key."""
    client = host_client(host)
    response = client.post("/accounts/login/", {"username": user.username, "password": PASSWORD})
    assert response.status_code == 302, response.content.decode()[:500]
    return client, client.session.session_key


def test_the_head_invites_a_new_person_who_gets_the_link(city):
    membership = member_invite(
        actor=city.alpha_head,
        station=city.alpha,
        email="new.staff@example.test",
        full_name="新员工",
        phone="13912340000",
    )
    user = membership.user
    assert membership.role == MemberRole.STAFF and membership.is_active
    assert user.username == "new.staff@example.test" and not user.has_usable_password()
    entry = AuditEntry.objects.get(action=AuditAction.MEMBER_INVITED)
    assert entry.user_id == city.alpha_head.pk and entry.station_code == "alpha" and "new.staff" in entry.target
    assert membership_get(user=user, station=city.alpha) is not None


def test_staff_and_other_stations_heads_may_not_invite(city):
    for actor in (city.alpha_staff, city.beta_head, city.bureau_admin, city.bureau_viewer):
        with pytest.raises(PermissionDenied):
            member_invite(actor=actor, station=city.alpha, email="x@example.test", full_name="某人")
    assert not User.objects.filter(email="x@example.test").exists()


def test_the_security_administrator_may_invite_too(city):
    security = UserFactory(bureau_role=BureauRole.SECURITY)
    assert member_invite(actor=security, station=city.beta, email="y@example.test", full_name="某人").is_active


def test_an_invitation_is_refused_field_by_field(city):
    with pytest.raises(ValidationError) as refused:
        member_invite(actor=city.alpha_head, station=city.alpha, email="", full_name="")
    assert set(refused.value.message_dict) == {"email", "full_name"}
    with pytest.raises(ValidationError) as refused:
        member_invite(actor=city.alpha_head, station=city.alpha, email=city.alpha_staff.email, full_name="x")
    assert "已是本站成员" in refused.value.message_dict["email"][0]


def test_a_member_of_another_station_joins_with_their_account_and_switches(city, alpha_host, beta_host):
    membership = member_invite(
        actor=city.beta_head, station=city.beta, email=city.alpha_staff.email, full_name="ignored"
    )
    assert membership.user == city.alpha_staff and not User.objects.filter(full_name="ignored").exists()
    page = host_client(alpha_host, city.alpha_staff).get("/").content.decode()
    assert 'id="station-switcher"' in page and city.beta.name in page and "beta.localhost" in page
    assert host_client(beta_host, city.alpha_staff).get("/").status_code == 200


def test_deactivation_takes_effect_at_once_and_keeps_the_work(city, alpha_host, public_host):
    from core.desk.selectors import case_list_to_reassign
    from core.desk.services import case_assign
    from core.operations.demo import pre_duty_training_record
    from tests.core.desk.builders import new_enterprise, take_demand

    staff = UserFactory(username="leaving")
    membership = member_invite(actor=city.alpha_head, station=city.alpha, email=staff.email, full_name="x")
    pre_duty_training_record(station=city.alpha, members=[staff])
    with schema_context(city.alpha.schema_name):
        case = take_demand(city, new_enterprise()).cases.get()
        case = case_assign(case=case, user=city.alpha_head, assignee=staff)
    client, key = signed_in(alpha_host, staff)
    public_client, public_key = signed_in(public_host, staff)
    assert client.get("/").status_code == 200
    from core.tokens.services import api_token_create

    _token, secret = api_token_create(actor=staff, user=staff, name="脚本", days=30)
    token = {"HTTP_AUTHORIZATION": f"Token {secret}"}
    assert host_client(public_host).get("/api/v1/me/", **token).status_code == 200

    membership_deactivate(actor=city.alpha_head, membership=membership)

    assert client.get("/").status_code == 302  # the session on the station ended: back to sign-in
    assert host_client(public_host).get("/api/v1/me/", **token).status_code == 401  # the token is revoked
    assert host_client(alpha_host).get("/api/v1/station/", **token).status_code == 401
    assert not Session.objects.filter(session_key__in=[key, public_key]).exists()  # nothing else left to them
    assert UserSession.objects.filter(user=staff, ended_at__isnull=True).count() == 0
    assert membership_get(user=staff, station=city.alpha) is None
    with schema_context(city.alpha.schema_name):
        case.refresh_from_db()
        assert case.assignee_id == staff.pk  # not re-attributed
        assert list(case_list_to_reassign()) == [case]
    entry = AuditEntry.objects.get(action=AuditAction.MEMBER_DEACTIVATED)
    assert entry.target == "leaving" and entry.user_id == city.alpha_head.pk

    # The head hands the case to another member: it leaves the list, and its history keeps who had it.
    with schema_context(city.alpha.schema_name):
        case = case_assign(case=case, user=city.alpha_head, assignee=city.alpha_staff)
        assert list(case_list_to_reassign()) == []
        assert case.events.filter(text__contains=city.alpha_staff.display_name).exists()

    membership_reactivate(actor=city.alpha_head, membership=membership)
    assert membership_get(user=staff, station=city.alpha) is not None


def test_a_member_of_two_stations_keeps_the_other_station(city, beta_host):
    shared = UserFactory(username="shared-staff")
    alpha_membership = member_invite(actor=city.alpha_head, station=city.alpha, email=shared.email, full_name="x")
    member_invite(actor=city.beta_head, station=city.beta, email=shared.email, full_name="x")
    client, key = signed_in(beta_host, shared)
    membership_deactivate(actor=city.alpha_head, membership=alpha_membership)
    assert Session.objects.filter(session_key=key).exists()
    assert client.get("/").status_code == 200


def test_nobody_deactivates_the_head_or_themselves_and_staff_deactivate_nobody(city):
    head = Membership.objects.get(station=city.alpha, user=city.alpha_head)
    staff = Membership.objects.get(station=city.alpha, user=city.alpha_staff)
    with pytest.raises(ValidationError):
        membership_deactivate(actor=city.alpha_head, membership=head)
    with pytest.raises(PermissionDenied):
        membership_deactivate(actor=city.alpha_staff, membership=head)
    with pytest.raises(PermissionDenied):
        membership_deactivate(actor=city.beta_head, membership=staff)
    staff.refresh_from_db()
    assert staff.is_active


@pytest.mark.parametrize("fate", [FormerHead.STAFF, FormerHead.DEACTIVATED])
def test_the_bureau_hands_the_head_role_to_a_member(city, fate):
    station_head_handover(
        actor=city.bureau_admin, station=city.alpha, email=city.alpha_staff.username, former_head=fate
    )
    new = Membership.objects.get(station=city.alpha, user=city.alpha_staff)
    old = Membership.objects.get(station=city.alpha, user=city.alpha_head)
    assert new.role == MemberRole.HEAD and new.is_active
    assert old.role == MemberRole.STAFF and old.is_active == (fate == FormerHead.STAFF)
    entry = AuditEntry.objects.get(action=AuditAction.HEAD_HANDED_OVER)
    assert entry.target == city.alpha_staff.username and entry.station_code == "alpha"


def test_the_head_role_goes_to_a_new_person_who_is_invited(city):
    membership = station_head_handover(
        actor=city.bureau_admin, station=city.beta, email="new.head@example.test", full_name="新站长"
    )
    assert membership.role == MemberRole.HEAD and membership.user.full_name == "新站长"
    assert Membership.objects.filter(station=city.beta, role=MemberRole.HEAD, is_active=True).count() == 1


def test_a_handover_is_refused_to_the_viewer_and_the_head_and_without_a_name(city):
    for actor in (city.bureau_viewer, city.alpha_head, city.alpha_staff):
        with pytest.raises(PermissionDenied):
            station_head_handover(actor=actor, station=city.alpha, email=city.alpha_staff.username)
    with pytest.raises(ValidationError) as refused:
        station_head_handover(actor=city.bureau_admin, station=city.alpha, email="nobody@example.test")
    assert "full_name" in refused.value.message_dict


def test_the_security_administrator_gives_and_takes_bureau_roles(city, public_host):
    security = UserFactory(bureau_role=BureauRole.SECURITY)
    user = bureau_user_invite(
        actor=security, email="viewer2@example.test", full_name="新查看员", bureau_role=BureauRole.VIEWER
    )
    assert user.bureau_role == BureauRole.VIEWER and not user.has_usable_password()
    viewer = UserFactory(bureau_role=BureauRole.VIEWER)
    user_bureau_role_set(actor=security, user=viewer, bureau_role=BureauRole.ADMIN)
    assert User.objects.get(pk=viewer.pk).bureau_role == BureauRole.ADMIN
    actions = set(AuditEntry.objects.values_list("action", flat=True))
    assert {AuditAction.USER_CREATED, AuditAction.ROLE_CHANGED} <= actions
    with pytest.raises(ValidationError):
        user_bureau_role_set(actor=security, user=security, bureau_role=BureauRole.ADMIN)


@pytest.mark.parametrize("who", ["bureau_admin", "bureau_viewer", "alpha_head"])
def test_only_the_security_administrator_runs_bureau_accounts(city, who):
    actor = getattr(city, who)
    with pytest.raises(PermissionDenied):
        bureau_user_invite(actor=actor, email="z@example.test", full_name="z", bureau_role=BureauRole.ADMIN)
    with pytest.raises(PermissionDenied):
        user_bureau_role_set(actor=actor, user=city.outsider, bureau_role=BureauRole.ADMIN)
    with pytest.raises(PermissionDenied):
        user_deactivate(actor=actor, user=city.outsider)
    outsider = User.objects.get(pk=city.outsider.pk)
    assert outsider.bureau_role == "" and outsider.is_active


def test_a_closed_account_signs_in_nowhere(city, alpha_host):
    security = UserFactory(bureau_role=BureauRole.SECURITY)
    client, key = signed_in(alpha_host, city.alpha_staff)
    user_deactivate(actor=security, user=city.alpha_staff)
    assert not Session.objects.filter(session_key=key).exists()
    entry = AuditEntry.objects.get(action=AuditAction.USER_DEACTIVATED)
    assert entry.user_id == security.pk and entry.target == city.alpha_staff.username
    response = host_client(alpha_host).post(
        "/accounts/login/", {"username": city.alpha_staff.username, "password": PASSWORD}
    )
    assert response.status_code == 200 and "/accounts/login/" in response.request["PATH_INFO"]


def test_a_bureau_account_gets_its_link_by_e_mail(city):
    user = User.objects.create(username="linked@example.test", email="linked@example.test", full_name="新人")
    user.bureau_role = BureauRole.AUDITOR
    user.save()
    assert account_link_send(user_id=user.pk, host="", purpose="invite")
    message = mail.outbox[-1]
    assert "审计管理员" in message.body and "http://localhost" in message.body or "https://localhost" in message.body
    assert account_link_send(user_id=PLATFORM.pk or 0, host="", purpose="invite") is False


def test_the_operator_makes_the_first_security_administrator(city):
    from django.core.management import CommandError, call_command

    call_command("bureau_role_grant", email="first.security@example.test", role="security", full_name="首位安全管理员")
    assert User.objects.get(email="first.security@example.test").bureau_role == BureauRole.SECURITY
    with pytest.raises(CommandError):
        call_command("bureau_role_grant", email="someone@example.test", role="security")  # a new person needs a name

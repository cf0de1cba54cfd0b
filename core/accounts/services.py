"""Writes of accounts: a station's members (invited, deactivated, reactivated, the head handed over), the bureau's
users and roles, lockouts, profiles, password links and signed-in sessions.

Who may act is checked here, never only in the page: a station head runs their own station's staff; the bureau's
security administrator runs every account and role (GB/T 22239-2019 访问控制: separated administrator duties); a
bureau administrator hands a station's head role over (clause 4.4.2: one head per station). Every change is recorded
in the audit trail (`core.audit`).
"""

import datetime
import logging

from django.conf import settings
from django.contrib.sessions.models import Session
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.http import HttpRequest
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django.utils.translation import gettext as _
from django_tenants.utils import schema_context

from core.accounts.models import UserSession
from core.accounts.tokens import password_reset_token
from core.activity.models import ActivityVerb
from core.activity.services import activity_record
from core.audit.models import AuditAction
from core.audit.services import audit_record
from tenants.hosts import client_address, public_url, station_host, station_url
from tenants.models import BureauRole, MemberRole, Membership, Station, User
from tenants.selectors import PLATFORM, SystemActor, actor_roles, require_role
from tenants.services import membership_create, user_create

logger = logging.getLogger(__name__)

# Who runs accounts and roles: the bureau's security administrator (and the platform: a command, a test).
ACCOUNT_ADMINS = (BureauRole.SECURITY, PLATFORM.role)
# The services below check their actor first, then make the user and membership rows through `tenants.services`
# as the platform (`PLATFORM`): those primitives let only the bureau's administrators provision, and a head inviting
# staff is not one.


def _require_account_admin(actor: User | SystemActor, message: str = "") -> None:
    require_role(
        user=actor,
        roles=ACCOUNT_ADMINS,
        bureau=True,
        message=message or _("Only the bureau's security administrator manages accounts and roles."),
    )


def _is_head_of(actor: User | SystemActor, station: Station) -> bool:
    return MemberRole.HEAD in actor_roles(user=actor, station=station)


def _require_head_or_account_admin(actor: User | SystemActor, station: Station, message: str) -> None:
    if _is_head_of(actor, station):
        return
    _require_account_admin(actor, message)


def _audit_user(actor: User | SystemActor) -> User | None:
    return None if isinstance(actor, SystemActor) else actor


def _user_by_email(email: str) -> User | None:
    """The account an e-mail address names: by its e-mail, else by a user name that is the address."""
    return User.objects.filter(email__iexact=email).first() or User.objects.filter(username__iexact=email).first()


def _person_create(*, email: str, full_name: str, phone: str, bureau_role: str = "") -> User:
    """A new account named by its e-mail address (its user name), without a password until its link is used; the
    user name's errors are the e-mail field's."""
    try:
        return user_create(
            actor=PLATFORM,
            username=email,
            full_name=full_name.strip(),
            email=email,
            phone=phone.strip(),
            bureau_role=bureau_role,
        )
    except ValidationError as error:
        raise ValidationError(
            {("email" if field == "username" else field): messages for field, messages in error.message_dict.items()}
        ) from None


# --- Sessions ------------------------------------------------------------------------------------------------------


def user_session_start(*, request: HttpRequest, user: User) -> UserSession:
    """Note the session `user` has just signed in with (after Django rotated its key)."""
    if not request.session.session_key:
        request.session.save()
    now = timezone.now()
    session, _created = UserSession.objects.update_or_create(
        session_key=request.session.session_key,
        defaults={
            "user": user,
            "host": request.get_host()[:255],
            "address": client_address(request) or None,
            "user_agent": request.META.get("HTTP_USER_AGENT", "")[:300],
            "last_seen_at": now,
            "ended_at": None,
        },
    )
    return session


def user_session_seen(*, session_key: str, at: datetime.datetime) -> None:
    UserSession.objects.filter(session_key=session_key, ended_at__isnull=True).update(last_seen_at=at)


def user_session_closed(*, session_key: str) -> None:
    """The session was ended by its own request (signed out, timed out): note when."""
    UserSession.objects.filter(session_key=session_key, ended_at__isnull=True).update(ended_at=timezone.now())


def _sessions_end(sessions) -> int:
    """End `sessions` (UserSession rows) at once: their Django sessions are deleted, so their next request is
    anonymous."""
    keys = list(sessions.filter(ended_at__isnull=True).values_list("session_key", flat=True))
    if not keys:
        return 0
    Session.objects.filter(session_key__in=keys).delete()
    UserSession.objects.filter(session_key__in=keys).update(ended_at=timezone.now())
    return len(keys)


@transaction.atomic
def user_session_end(*, actor: User, session: UserSession, request: HttpRequest | None = None) -> None:
    """End one of `actor`'s own sessions (or, for the security administrator, anyone's)."""
    if session.user_id != actor.pk:
        _require_account_admin(actor, _("You can end only your own sessions."))
    _sessions_end(UserSession.objects.filter(pk=session.pk))
    audit_record(
        action=AuditAction.SESSION_ENDED, request=request, user=actor, target=f"{session.user} @ {session.host}"
    )


def user_sessions_end_all(*, user: User, host: str | None = None) -> int:
    """End every open session of `user` (only those on `host`, when given). Called by the services that take access
    away; no check of its own."""
    sessions = UserSession.objects.filter(user=user)
    if host is not None:
        sessions = sessions.filter(host__iexact=host) | sessions.filter(host__istartswith=f"{host}:")
    return _sessions_end(sessions)


def _access_revoke_if_none_left(user: User) -> None:
    """A user with no active membership and no bureau role has nothing left to reach: every session ends, every API
    token is revoked."""
    if user.bureau_role or Membership.objects.filter(user=user, is_active=True).exists():
        return
    user_sessions_end_all(user=user)
    _tokens_revoke_all(user=user)


def _tokens_revoke_all(*, user: User) -> int:
    """Revoke `user`'s API tokens (core.tokens, when installed)."""
    from django.apps import apps

    if not apps.is_installed("core.tokens"):
        return 0
    from core.tokens import services as tokens

    return tokens.api_tokens_revoke_all(user=user)


# --- A station's members -------------------------------------------------------------------------------------------


@transaction.atomic
def member_invite(
    *,
    actor: User | SystemActor,
    station: Station,
    email: str,
    full_name: str,
    phone: str = "",
    request: HttpRequest | None = None,
) -> Membership:
    """Add a staff member to `station` and e-mail them the link that sets their password: the station's head does
    it, or the security administrator. Someone with an account already (by e-mail: a staff member shared by two
    stations) joins with it; a former member is reactivated."""
    _require_head_or_account_admin(
        actor, station, _("Only the station head or the bureau's security administrator adds members.")
    )
    email = email.strip()
    errors = {}
    if not email:
        errors["email"] = [_("Enter the new member's e-mail address: the invitation is sent there.")]
    if not full_name.strip():
        errors["full_name"] = [_("Enter the new member's name.")]
    if errors:
        raise ValidationError(errors)
    user = _user_by_email(email)
    if user is None:
        user = _person_create(email=email, full_name=full_name, phone=phone)
    existing = Membership.objects.select_for_update().filter(user=user, station=station).first()
    if existing is not None and existing.is_active:
        raise ValidationError({"email": [_("%(name)s is a member of this station already.") % {"name": user}]})
    if existing is not None:
        membership = _membership_reactivate(existing)
    else:
        membership = membership_create(
            actor=PLATFORM, user=user, station=station, role=MemberRole.STAFF, invite=not user.has_usable_password()
        )
    audit_record(
        action=AuditAction.MEMBER_INVITED,
        request=request,
        user=_audit_user(actor),
        station_code=station.code,
        target=f"{user.username} ({membership.get_role_display()})",
    )
    return membership


def _membership_reactivate(membership: Membership) -> Membership:
    membership.is_active = True
    membership.role = MemberRole.STAFF
    membership.full_clean()
    membership.save(update_fields=["is_active", "role"])
    return membership


@transaction.atomic
def membership_deactivate(
    *, actor: User | SystemActor, membership: Membership, request: HttpRequest | None = None
) -> Membership:
    """Take a member out of their station at once: every page and API call there is refused from their next request,
    their sessions on the station's host end, and when nothing else is left to them (no other station, no bureau role)
    all their sessions and API tokens end too. Their work stays theirs: cases, records and history keep their name;
    their open cases show on the head's list of work to reassign. The head is never deactivated this way (hand the
    role over first), nor does anyone deactivate themselves."""
    membership = Membership.objects.select_for_update().select_related("user", "station").get(pk=membership.pk)
    station = membership.station
    _require_head_or_account_admin(
        actor, station, _("Only the station head or the bureau's security administrator deactivates members.")
    )
    if membership.user_id == getattr(actor, "pk", None):
        raise ValidationError(_("You cannot deactivate yourself."), code="self")
    if membership.role == MemberRole.HEAD:
        raise ValidationError(
            _("The station head is not deactivated: the bureau hands the head role to someone else first."),
            code="head",
        )
    if not membership.is_active:
        return membership
    membership.is_active = False
    membership.save(update_fields=["is_active"])
    user_sessions_end_all(user=membership.user, host=station_host(station.code))
    _access_revoke_if_none_left(membership.user)
    with schema_context(station.schema_name), translation.override(settings.LANGUAGE_CODE):
        activity_record(
            verb=ActivityVerb.MEMBER_LEFT, actor=_audit_user(actor), detail=str(membership.user.display_name)
        )
    audit_record(
        action=AuditAction.MEMBER_DEACTIVATED,
        request=request,
        user=_audit_user(actor),
        station_code=station.code,
        target=membership.user.username,
    )
    logger.info("member %s of %s deactivated", membership.user.username, station.code)
    return membership


@transaction.atomic
def membership_reactivate(
    *, actor: User | SystemActor, membership: Membership, request: HttpRequest | None = None
) -> Membership:
    """Bring a former member back as staff."""
    membership = Membership.objects.select_for_update().select_related("user", "station").get(pk=membership.pk)
    _require_head_or_account_admin(
        actor, membership.station, _("Only the station head or the bureau's security administrator adds members.")
    )
    if membership.is_active:
        return membership
    _membership_reactivate(membership)
    audit_record(
        action=AuditAction.MEMBER_REACTIVATED,
        request=request,
        user=_audit_user(actor),
        station_code=membership.station.code,
        target=membership.user.username,
    )
    return membership


class FormerHead:
    """What becomes of the head who hands the role over."""

    STAFF = "staff"
    DEACTIVATED = "deactivated"


@transaction.atomic
def station_head_handover(
    *,
    actor: User | SystemActor,
    station: Station,
    email: str,
    full_name: str = "",
    phone: str = "",
    former_head: str = FormerHead.STAFF,
    request: HttpRequest | None = None,
) -> Membership:
    """Hand `station`'s head role to a member (found by e-mail or user name) or to a new person (invited), in one
    step: the head before becomes staff or is deactivated (`former_head`). A bureau administrator or the security
    administrator does it (clause 4.4.2: the station's one head answers to the bureau)."""
    require_role(
        user=actor,
        roles=(BureauRole.ADMIN, *ACCOUNT_ADMINS),
        bureau=True,
        message=_("Only the bureau's administrators hand a station's head role over."),
    )
    if former_head not in (FormerHead.STAFF, FormerHead.DEACTIVATED):
        raise ValidationError({"former_head": [_("Choose what becomes of the head before.")]})
    email = email.strip()
    if not email:
        raise ValidationError({"email": [_("Enter the new head's e-mail address or user name.")]})
    station = Station.objects.select_for_update().get(pk=station.pk)
    new_head = _user_by_email(email)
    current = (
        Membership.objects.select_for_update()
        .select_related("user")
        .filter(station=station, role=MemberRole.HEAD, is_active=True)
        .first()
    )
    if current is not None and new_head is not None and current.user_id == new_head.pk:
        raise ValidationError({"email": [_("%(name)s is this station's head already.") % {"name": new_head}]})
    if new_head is None and not full_name.strip():
        raise ValidationError({"full_name": [_("No account has this e-mail address: enter the new head's name.")]})

    if current is not None:  # the unique constraint allows one active head: step the current one down first
        current.role = MemberRole.STAFF
        if former_head == FormerHead.DEACTIVATED:
            current.is_active = False
        current.save(update_fields=["role", "is_active"])
        if former_head == FormerHead.DEACTIVATED:
            user_sessions_end_all(user=current.user, host=station_host(station.code))
            _access_revoke_if_none_left(current.user)

    if new_head is None:
        new_head = _person_create(email=email, full_name=full_name, phone=phone)
    membership = Membership.objects.select_for_update().filter(station=station, user=new_head).first()
    if membership is None:
        membership = membership_create(
            actor=PLATFORM,
            user=new_head,
            station=station,
            role=MemberRole.HEAD,
            invite=not new_head.has_usable_password(),
        )
    else:
        membership.role = MemberRole.HEAD
        membership.is_active = True
        membership.full_clean()
        membership.save(update_fields=["role", "is_active"])
    audit_record(
        action=AuditAction.HEAD_HANDED_OVER,
        request=request,
        user=_audit_user(actor),
        station_code=station.code,
        target=new_head.username,
        detail=_("Head before: %(name)s (%(fate)s)")
        % {
            "name": current.user.username if current else "—",
            "fate": _("now staff") if former_head == FormerHead.STAFF else _("deactivated"),
        },
    )
    return membership


# --- The bureau's users ----------------------------------------------------------------------------------------------


@transaction.atomic
def bureau_user_invite(
    *,
    actor: User | SystemActor,
    email: str,
    full_name: str,
    bureau_role: str,
    phone: str = "",
    request: HttpRequest | None = None,
) -> User:
    """Give someone a bureau role (the security administrator does it): a new account is e-mailed the link that sets
    its password; an existing one gets the role."""
    _require_account_admin(actor)
    if bureau_role not in BureauRole.values or not bureau_role:
        raise ValidationError({"bureau_role": [_("Choose the bureau role.")]})
    email = email.strip()
    if not email:
        raise ValidationError({"email": [_("Enter the e-mail address: the invitation is sent there.")]})
    user = _user_by_email(email)
    if user is not None:
        return user_bureau_role_set(actor=actor, user=user, bureau_role=bureau_role, request=request)
    if not full_name.strip():
        raise ValidationError({"full_name": [_("Enter the person's name.")]})
    user = _person_create(email=email, full_name=full_name, phone=phone, bureau_role=bureau_role)
    from core.accounts.tasks import account_link_send_task

    transaction.on_commit(lambda: account_link_send_task.delay(user_id=user.pk, host="", purpose="invite"))
    audit_record(
        action=AuditAction.USER_CREATED,
        request=request,
        user=_audit_user(actor),
        target=user.username,
        detail=str(user.get_bureau_role_display()),
    )
    return user


@transaction.atomic
def user_bureau_role_set(
    *, actor: User | SystemActor, user: User, bureau_role: str, request: HttpRequest | None = None
) -> User:
    """Change someone's bureau role (none to take it away). The security administrator does it, never to themselves."""
    _require_account_admin(actor)
    if bureau_role not in BureauRole.values:
        raise ValidationError({"bureau_role": [_("Choose the bureau role.")]})
    if user.pk == getattr(actor, "pk", None):
        raise ValidationError({"bureau_role": [_("You cannot change your own role.")]})
    user = User.objects.select_for_update().get(pk=user.pk)
    before = user.get_bureau_role_display() if user.bureau_role else _("None")
    user.bureau_role = bureau_role
    user.full_clean()
    user.save(update_fields=["bureau_role"])
    if not bureau_role:
        user_sessions_end_all(user=user, host=settings.BASE_DOMAIN)
        _access_revoke_if_none_left(user)
    audit_record(
        action=AuditAction.ROLE_CHANGED,
        request=request,
        user=_audit_user(actor),
        target=user.username,
        detail=f"{before} → {user.get_bureau_role_display() if bureau_role else _('None')}",
    )
    return user


@transaction.atomic
def user_deactivate(*, actor: User | SystemActor, user: User, request: HttpRequest | None = None) -> User:
    """Close an account everywhere at once (the security administrator): no sign-in, every session and API token
    ended. What the person did keeps their name."""
    _require_account_admin(actor)
    if user.pk == getattr(actor, "pk", None):
        raise ValidationError(_("You cannot deactivate yourself."), code="self")
    user = User.objects.select_for_update().get(pk=user.pk)
    if not user.is_active:
        return user
    user.is_active = False
    user.save(update_fields=["is_active"])
    user_sessions_end_all(user=user)
    _tokens_revoke_all(user=user)
    audit_record(action=AuditAction.USER_DEACTIVATED, request=request, user=_audit_user(actor), target=user.username)
    return user


@transaction.atomic
def user_reactivate(*, actor: User | SystemActor, user: User, request: HttpRequest | None = None) -> User:
    _require_account_admin(actor)
    user = User.objects.select_for_update().get(pk=user.pk)
    if user.is_active:
        return user
    user.is_active = True
    user.save(update_fields=["is_active"])
    audit_record(action=AuditAction.USER_REACTIVATED, request=request, user=_audit_user(actor), target=user.username)
    return user


@transaction.atomic
def lockout_lift(
    *, actor: User | SystemActor, username: str = "", address: str = "", request: HttpRequest | None = None
) -> int:
    """Lift a sign-in lockout (django-axes) of an account or an address before its cool-off ends: the security
    administrator does it. How many records of failed attempts were removed."""
    _require_account_admin(actor, _("Only the bureau's security administrator lifts lockouts."))
    if not username and not address:
        raise ValidationError(_("Name the account or the address to unlock."))
    from axes.utils import reset

    removed = 0
    if username:
        removed += reset(username=username)
    if address:
        removed += reset(ip=address)
    audit_record(
        action=AuditAction.UNLOCKED,
        request=request,
        user=_audit_user(actor),
        target=" / ".join(part for part in (username, address) if part),
    )
    return removed


# --- One's own account ---------------------------------------------------------------------------------------------


@transaction.atomic
def user_profile_update(
    *, user: User, full_name: str, phone: str, email: str, request: HttpRequest | None = None
) -> User:
    """The owner changes their own name, phone and e-mail (their user name stays)."""
    user = User.objects.select_for_update().get(pk=user.pk)
    email = email.strip()
    if email and User.objects.filter(email__iexact=email).exclude(pk=user.pk).exists():
        raise ValidationError({"email": [_("Another account uses this e-mail address.")]})
    changed = [
        name
        for name, value in (("full_name", full_name.strip()), ("phone", phone.strip()), ("email", email))
        if getattr(user, name) != value
    ]
    user.full_name, user.phone, user.email = full_name.strip(), phone.strip(), email
    if not user.full_name:
        raise ValidationError({"full_name": [_("Enter your name.")]})
    user.full_clean()
    user.save(update_fields=["full_name", "phone", "email"])
    if changed:
        audit_record(
            action=AuditAction.PROFILE_CHANGED,
            request=request,
            user=user,
            target=user.username,
            detail=",".join(changed),
        )
    return user


def password_changed(*, request: HttpRequest, user: User, reset: bool = False) -> int:
    """After a password change or reset: every other session of the user ends (a stolen one included); recorded."""
    keep = request.session.session_key if not reset else None
    sessions = UserSession.objects.filter(user=user)
    if keep:
        sessions = sessions.exclude(session_key=keep)
    ended = _sessions_end(sessions)
    audit_record(
        action=AuditAction.PASSWORD_RESET if reset else AuditAction.PASSWORD_CHANGED,
        request=request,
        user=user,
        target=user.username,
    )
    return ended


def account_link_send(*, user_id: int, host: str, purpose: str) -> bool:
    """E-mail an account the one-use link that sets its password: `purpose` "reset" (a forgotten password, valid for
    `PASSWORD_RESET_LINK_MINUTES`) or "invite" (a new bureau account). `host` is the station code the request came
    from ("" for the public host), so the link opens where the person asked. False when there is nobody to send to."""
    user = User.objects.filter(pk=user_id, is_active=True).first()
    if user is None or not user.email:
        return False
    name = "accounts:password_reset_confirm" if purpose == "reset" else "accounts:invitation"
    token = password_reset_token.make_token(user) if purpose == "reset" else None
    if token is None:
        from django.contrib.auth.tokens import default_token_generator

        token = default_token_generator.make_token(user)
    kwargs = {"uidb64": urlsafe_base64_encode(force_bytes(user.pk)), "token": token}
    urlconf = settings.ROOT_URLCONF if host else settings.PUBLIC_SCHEMA_URLCONF
    path = reverse(name, urlconf=urlconf, kwargs=kwargs)
    link = station_url(host, path) if host else public_url(path)
    context = {
        "user": user,
        "link": link,
        "minutes": settings.PASSWORD_RESET_LINK_MINUTES,
        "days": settings.PASSWORD_RESET_TIMEOUT // 86400,
        "login_url": station_url(host, "/accounts/login/") if host else public_url("/accounts/login/"),
    }
    with translation.override(settings.LANGUAGE_CODE):
        subject = render_to_string(f"accounts/email/{purpose}_subject.txt", context).strip()
        body = render_to_string(f"accounts/email/{purpose}_body.txt", context)
    send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [user.email])
    return True


def password_reset_request(*, request: HttpRequest, email: str) -> None:
    """Someone asks for a password link: queued for the active accounts with that e-mail address, after the commit.
    The answer is the same whether or not any exists (the page says so), and both are recorded."""
    from core.accounts.tasks import account_link_send_task

    host = getattr(request.tenant, "code", "") or ""
    users = [
        user for user in User.objects.filter(email__iexact=email.strip(), is_active=True) if user.has_usable_password()
    ]
    for user in users:
        transaction.on_commit(
            lambda user_id=user.pk: account_link_send_task.delay(user_id=user_id, host=host, purpose="reset")
        )
    audit_record(
        action=AuditAction.PASSWORD_RESET_REQUESTED,
        request=request,
        user=users[0] if users else None,
        username=email.strip()[:150],
        detail="" if users else "no such active account",
    )

"""Writes of API tokens: issuing one (to its owner, once, after the password and, where needed, a two-factor code),
revoking one (its owner, or the security administrator), and noting its use. Every issue, refusal to issue and
revocation is in the audit trail; a use is recorded at most once an hour per token (see `api_token_used`)."""

import datetime
import secrets

from django.conf import settings
from django.contrib.auth import authenticate
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from core.audit.models import AuditAction, AuditOutcome
from core.audit.services import audit_record
from core.tokens.models import ApiToken
from core.tokens.selectors import api_token_by_secret, api_token_digest, may_manage_every_token
from tenants.models import BureauRole, User
from tenants.selectors import SystemActor, actor_person, require_role

# The secret: "sn_", a non-secret prefix shown in lists (8 hex digits), "_", then 256 random bits.
SECRET_START = "sn_"  # noqa: S105  (a marker, not a secret)
# `last_used_at` is written at most this often per token, not on every request.
LAST_USED_EVERY = datetime.timedelta(minutes=1)
# A token's use is recorded in the audit trail (TOKEN_USED) at most this often per token: an API client sends many
# requests a minute, and an entry for each would bury every other event of the trail. Its first use and then one
# entry an hour show who used which token, from where.
USE_RECORDED_EVERY = datetime.timedelta(hours=1)


class TokenRefused(Exception):
    """A request's token may not be used (unknown, expired, revoked, its user deactivated); the message says why."""


def _target(token: ApiToken) -> str:
    return f"api-token:{token.pk} {token.prefix} ({token.user.username})"


@transaction.atomic
def api_token_create(
    *,
    actor: User | SystemActor | None,
    user: User,
    name: str,
    days: int | None = None,
    request: HttpRequest | None = None,
) -> tuple[ApiToken, str]:
    """A new token of `user`, valid for `days` (default `API_TOKEN_DEFAULT_DAYS`, at most `API_TOKEN_MAX_DAYS`),
    and its secret. The secret is returned this once: only its digest is kept, so nobody can show it again."""
    person = actor_person(actor)
    if person is None or person.pk != user.pk or not user.is_active:
        raise PermissionDenied(_("Only the account's holder makes API tokens for it."))
    days = settings.API_TOKEN_DEFAULT_DAYS if days is None else days
    if not 1 <= days <= settings.API_TOKEN_MAX_DAYS:
        raise ValidationError(
            {"days": _("A token is valid for 1 to %(max)d days.") % {"max": settings.API_TOKEN_MAX_DAYS}}
        )
    prefix = SECRET_START + secrets.token_hex(4)
    secret = f"{prefix}_{secrets.token_urlsafe(32)}"
    now = timezone.now()
    token = ApiToken(
        user=user,
        name=(name or "").strip() or _("API token"),
        key_hash=api_token_digest(secret),
        prefix=prefix,
        created_at=now,
        expires_at=now + datetime.timedelta(days=days),
    )
    token.full_clean()
    token.save()
    audit_record(
        action=AuditAction.TOKEN_CREATED,
        request=request,
        user=user,
        target=_target(token),
        detail=f"expires {token.expires_at:%Y-%m-%d %H:%M %z}",
    )
    return token, secret


@transaction.atomic
def api_token_revoke(
    *, actor: User | SystemActor | None, token: ApiToken, request: HttpRequest | None = None
) -> ApiToken:
    """Revoke `token`: its owner may, and the bureau's security administrator may revoke anyone's. It stops working
    at once; it stays listed, revoked, with who revoked it."""
    person = actor_person(actor)
    if person is None or person.pk != token.user_id or not person.is_active:
        require_role(
            user=actor,
            roles=(BureauRole.SECURITY,),
            bureau=True,
            message=_("Only the token's owner or a security administrator revokes it."),
        )
    token = ApiToken.objects.select_for_update().select_related("user").get(pk=token.pk)
    if token.revoked_at is not None:
        raise ValidationError({"token": _("This token is already revoked.")})
    token.revoked_at = timezone.now()
    token.revoked_by = person
    token.full_clean()
    token.save(update_fields=["revoked_at", "revoked_by"])
    audit_record(
        action=AuditAction.TOKEN_REVOKED,
        request=request,
        user=person,
        target=_target(token),
        detail="by its owner" if person.pk == token.user_id else "by a security administrator",
    )
    return token


# --- Issuing a token for a user name and password (the API's sign-in) -------------------------------------------------


def api_token_issue_requires_otp(user: User) -> bool:
    """Whether `user` must give a two-factor code to get a token with their password: whoever has an authenticator, or
    whose role requires two-factor sign-in (core.twofactor), so that the password alone never yields a token."""
    from core.twofactor.selectors import two_factor_enrolled, two_factor_required

    return two_factor_required(user=user) or two_factor_enrolled(user=user)


def api_token_otp_valid(*, user: User, otp: str, request: HttpRequest | None = None) -> bool:
    """Whether `otp` is a valid two-factor code (or recovery code) of `user`'s: checked by two-factor sign-in's own
    service, which takes each code once, throttles wrong ones and records them."""
    if not otp:
        return False
    from core.twofactor.services import two_factor_code_verify

    try:
        two_factor_code_verify(user=user, code=otp, request=request)
    except ValidationError:
        return False
    return True


def api_token_issue(
    *, request: HttpRequest, username: str, password: str, name: str, days: int | None, otp: str = ""
) -> tuple[ApiToken, str]:
    """The API's sign-in: a new token of the user named by `username` and `password` (and a valid two-factor code
    `otp` where `api_token_issue_requires_otp` says so), with its secret, shown once.

    Not one transaction: a refusal is recorded in the audit trail and must outlive it; the token itself is made by
    `api_token_create`, which is."""
    user = authenticate(request, username=username, password=password)
    if user is None or not user.is_active:
        audit_record(
            action=AuditAction.TOKEN_CREATED,
            request=request,
            user=None,
            username=username,
            target=username,
            outcome=AuditOutcome.REFUSED,
            detail="wrong user name or password",
        )
        raise ValidationError({"password": _("The user name or password is wrong.")})
    if api_token_issue_requires_otp(user) and not api_token_otp_valid(user=user, otp=otp, request=request):
        audit_record(
            action=AuditAction.TOKEN_CREATED,
            request=request,
            user=user,
            target=user.username,
            outcome=AuditOutcome.REFUSED,
            detail="two-factor code missing or wrong",
        )
        message = (
            _("The two-factor code is wrong or used already.")
            if otp
            else _("Your account signs in with two factors: enter the code of your authenticator app.")
        )
        raise ValidationError({"otp": message})
    return api_token_create(actor=user, user=user, name=name, days=days, request=request)


# --- Using a token -------------------------------------------------------------------------------------------------


def api_token_authenticate(*, secret: str, request: HttpRequest | None = None) -> tuple[User, ApiToken]:
    """The user a request's token secret names, and the token; `TokenRefused` (its message in the user's language)
    for an unknown, expired or revoked token, or one whose user is deactivated. Notes the use (`api_token_used`)."""
    token = api_token_by_secret(secret=secret)
    if token is None:
        raise TokenRefused(_("The API token is not valid."))
    if token.revoked_at is not None:
        raise TokenRefused(_("The API token has been revoked."))
    if token.expires_at <= timezone.now():
        raise TokenRefused(_("The API token has expired: make a new one."))
    if not token.user.is_active:
        raise TokenRefused(_("The account of this API token is deactivated."))
    api_token_used(token=token, request=request)
    return token.user, token


def api_token_used(*, token: ApiToken, request: HttpRequest | None = None) -> None:
    """Note that `token` was used now: `last_used_at` at most once a minute, and the audit trail's TOKEN_USED at most
    once an hour (`USE_RECORDED_EVERY`), never on every request. Each is one conditional UPDATE, so that concurrent
    requests write it once."""
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at >= LAST_USED_EVERY:
        ApiToken.objects.filter(pk=token.pk).filter(
            Q(last_used_at__isnull=True) | Q(last_used_at__lte=now - LAST_USED_EVERY)
        ).update(last_used_at=now)
        token.last_used_at = now
    if token.use_recorded_at is None or now - token.use_recorded_at >= USE_RECORDED_EVERY:
        with transaction.atomic():
            claimed = (
                ApiToken.objects.filter(pk=token.pk)
                .filter(Q(use_recorded_at__isnull=True) | Q(use_recorded_at__lte=now - USE_RECORDED_EVERY))
                .update(use_recorded_at=now)
            )
            if claimed:
                audit_record(action=AuditAction.TOKEN_USED, request=request, user=token.user, target=_target(token))
        token.use_recorded_at = now


def may_revoke(*, user: User, token: ApiToken) -> bool:
    """Whether `user` may revoke `token` (for pages to show the button): its owner, or the security administrator."""
    return token.user_id == user.pk or may_manage_every_token(user=user)


def api_tokens_revoke_all(*, user: User, request: HttpRequest | None = None) -> int:
    """Revoke every live token of `user` at once, when nothing is left to them (core.accounts: a deactivated member of
    no other station, a closed account). No check of its own: the services that take access away call it. How many."""
    live = ApiToken.objects.filter(user=user, revoked_at__isnull=True)
    count = live.update(revoked_at=timezone.now())
    if count:
        audit_record(
            action=AuditAction.TOKEN_REVOKED,
            request=request,
            user=None,
            username=user.username,
            target=user.username,
            detail=f"{count} token(s) revoked with the access taken away",
        )
    return count

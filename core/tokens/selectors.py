"""Reads of API tokens (public schema): a person's own, every one (the security administrator's), one by its secret."""

import hashlib

from django.db.models import QuerySet
from django.http import Http404

from core.tokens.models import ApiToken
from tenants.models import BureauRole, User
from tenants.selectors import user_has_bureau_role


def api_token_digest(secret: str) -> str:
    """The SHA-256 digest (hex) under which a token's secret is kept: the secret itself never is."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def may_manage_every_token(*, user: User) -> bool:
    """The security administrator (安全管理员) lists and revokes everyone's tokens."""
    return user_has_bureau_role(user=user, roles=(BureauRole.SECURITY,))


def api_token_list_mine(*, user: User) -> QuerySet[ApiToken]:
    """`user`'s own tokens, newest first (revoked and expired ones too: the list is their history)."""
    return ApiToken.objects.filter(user=user).select_related("revoked_by").order_by("-created_at", "-id")


def api_token_list_all(*, username: str = "") -> QuerySet[ApiToken]:
    """Every token of every person (the security administrator's list), newest first; `username` narrows it to one
    person's. Callers check the role (`may_manage_every_token`)."""
    tokens = ApiToken.objects.select_related("user", "revoked_by").order_by("-created_at", "-id")
    if username:
        tokens = tokens.filter(user__username=username)
    return tokens


def api_token_access(*, pk: int, user: User) -> ApiToken:
    """The token `pk` for `user`: their own, or anyone's for the security administrator. Anything else answers the
    same 404 as a missing token, so that nobody learns which ids exist."""
    tokens = ApiToken.objects.select_related("user", "revoked_by")
    if not may_manage_every_token(user=user):
        tokens = tokens.filter(user=user)
    token = tokens.filter(pk=pk).first()
    if token is None:
        raise Http404
    return token


def api_token_by_secret(*, secret: str) -> ApiToken | None:
    """The token whose secret is `secret` (looked up by its digest), with its user; None if there is none."""
    if not secret:
        return None
    return ApiToken.objects.select_related("user").filter(key_hash=api_token_digest(secret)).first()

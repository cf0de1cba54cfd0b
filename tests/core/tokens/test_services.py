"""API tokens' services: made for oneself, shown once and kept as a digest, expiring, revoked by their owner or the
security administrator only, and every issue, revocation and (hourly) use in the audit trail."""

import datetime
import hashlib

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.utils import timezone

from core.audit.models import AuditAction, AuditEntry, AuditOutcome
from core.tokens.models import ApiToken, TokenState
from core.tokens.services import (
    TokenRefused,
    api_token_authenticate,
    api_token_create,
    api_token_revoke,
)
from tenants.models import BureauRole
from tenants.selectors import PLATFORM
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_a_token_is_kept_as_a_digest_and_its_secret_is_given_once(city):
    token, secret = api_token_create(actor=city.alpha_staff, user=city.alpha_staff, name="报表脚本")
    assert secret.startswith(token.prefix + "_")
    assert token.key_hash == hashlib.sha256(secret.encode()).hexdigest()
    # Nothing of the secret but its non-secret prefix is in the database: not in any column of the row.
    with connection.cursor() as cursor:
        cursor.execute("SELECT row_to_json(t)::text FROM tokens_apitoken t WHERE id = %s", [token.pk])
        (row,) = cursor.fetchone()
    assert secret not in row
    assert secret.removeprefix(token.prefix + "_") not in row
    # A token read back has no secret to give.
    assert not any(secret in str(value) for value in ApiToken.objects.filter(pk=token.pk).values().get().values())


def test_a_token_expires_after_90_days_by_default_and_never_after_the_maximum(city, settings):
    settings.API_TOKEN_MAX_DAYS = 365
    token, _secret = api_token_create(actor=city.alpha_staff, user=city.alpha_staff, name="默认")
    assert token.expires_at - token.created_at == datetime.timedelta(days=90)
    token, _secret = api_token_create(actor=city.alpha_staff, user=city.alpha_staff, name="一年", days=365)
    assert token.expires_at - token.created_at == datetime.timedelta(days=365)
    for days in (0, 366):
        with pytest.raises(ValidationError) as refused:
            api_token_create(actor=city.alpha_staff, user=city.alpha_staff, name="太长", days=days)
        assert refused.value.message_dict == {"days": ["令牌的有效期为 1 至 365 天。"]}


@pytest.mark.parametrize("who", ["bureau_admin", "alpha_head", "outsider"])
def test_nobody_makes_a_token_for_someone_else(city, who):
    with pytest.raises(PermissionDenied, match="只有账号本人才能为其创建 API 令牌"):
        api_token_create(actor=getattr(city, who), user=city.alpha_staff, name="冒名")
    with pytest.raises(PermissionDenied):
        api_token_create(actor=PLATFORM, user=city.alpha_staff, name="平台")
    assert not ApiToken.objects.filter(user=city.alpha_staff, name="冒名").exists()


def test_the_owner_revokes_their_token_and_it_stops_working_at_once(city):
    token, secret = api_token_create(actor=city.alpha_staff, user=city.alpha_staff, name="旧脚本")
    assert api_token_authenticate(secret=secret)[0] == city.alpha_staff
    revoked = api_token_revoke(actor=city.alpha_staff, token=token)
    assert revoked.state == TokenState.REVOKED
    assert revoked.revoked_by == city.alpha_staff
    with pytest.raises(TokenRefused, match="已被撤销"):
        api_token_authenticate(secret=secret)
    with pytest.raises(ValidationError):
        api_token_revoke(actor=city.alpha_staff, token=token)


def test_the_security_administrator_revokes_anyones_token(city):
    security = UserFactory(bureau_role=BureauRole.SECURITY)
    token, _secret = api_token_create(actor=city.alpha_head, user=city.alpha_head, name="站长脚本")
    revoked = api_token_revoke(actor=security, token=token)
    assert revoked.revoked_by == security
    entry = AuditEntry.objects.filter(action=AuditAction.TOKEN_REVOKED, target__contains=token.prefix).get()
    assert entry.username == security.username
    assert entry.detail == "by a security administrator"


@pytest.mark.parametrize("who", ["bureau_admin", "bureau_viewer", "alpha_head", "beta_staff", "outsider"])
def test_nobody_else_revokes_a_token(city, who):
    token, secret = api_token_create(actor=city.alpha_staff, user=city.alpha_staff, name="别人的")
    with pytest.raises(PermissionDenied, match="只有令牌的所有者或安全管理员"):
        api_token_revoke(actor=getattr(city, who), token=token)
    token.refresh_from_db()
    assert token.revoked_at is None
    assert api_token_authenticate(secret=secret)[0] == city.alpha_staff


def test_an_expired_token_is_refused(city):
    token, secret = api_token_create(actor=city.alpha_staff, user=city.alpha_staff, name="短期", days=1)
    with time_machine.travel(token.expires_at - datetime.timedelta(seconds=1), tick=False):
        assert api_token_authenticate(secret=secret)[0] == city.alpha_staff
    with time_machine.travel(token.expires_at, tick=False):
        assert token.state == TokenState.EXPIRED
        with pytest.raises(TokenRefused, match="已过期"):
            api_token_authenticate(secret=secret)


def test_a_deactivated_users_token_is_refused(city):
    user = UserFactory()
    _token, secret = api_token_create(actor=user, user=user, name="离职")
    user.is_active = False
    user.save(update_fields=["is_active"])
    with pytest.raises(TokenRefused, match="已停用"):
        api_token_authenticate(secret=secret)


def test_an_unknown_secret_is_refused(city):
    with pytest.raises(TokenRefused, match="无效"):
        api_token_authenticate(secret="sn_00000000_guess")


def test_a_use_is_noted_once_a_minute_and_audited_once_an_hour(city):
    user = UserFactory()
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        token, secret = api_token_create(actor=user, user=user, name="频繁")
        for _ in range(3):
            api_token_authenticate(secret=secret)
    token.refresh_from_db()
    assert token.last_used_at == start
    with time_machine.travel(start + datetime.timedelta(seconds=30), tick=False):
        api_token_authenticate(secret=secret)
    token.refresh_from_db()
    assert token.last_used_at == start
    with time_machine.travel(start + datetime.timedelta(seconds=61), tick=False):
        api_token_authenticate(secret=secret)
    token.refresh_from_db()
    assert token.last_used_at == start + datetime.timedelta(seconds=61)

    def uses() -> int:
        return AuditEntry.objects.filter(action=AuditAction.TOKEN_USED, user_id=user.pk).count()

    assert uses() == 1
    with time_machine.travel(start + datetime.timedelta(minutes=59), tick=False):
        api_token_authenticate(secret=secret)
    assert uses() == 1
    with time_machine.travel(start + datetime.timedelta(minutes=61), tick=False):
        api_token_authenticate(secret=secret)
    assert uses() == 2


def test_making_a_token_is_audited(city):
    token, _secret = api_token_create(actor=city.alpha_head, user=city.alpha_head, name="审计")
    entry = AuditEntry.objects.filter(action=AuditAction.TOKEN_CREATED, target__contains=token.prefix).get()
    assert entry.user_id == city.alpha_head.pk
    assert entry.outcome == AuditOutcome.SUCCESS

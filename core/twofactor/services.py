"""Writes of two-factor sign-in: enrolling an authenticator, recovery codes, passing the second factor, turning it off
and the security administrator's reset.

A wrong code is a failure that must stay recorded (django-otp's throttling counter on the device, the audit entry)
while the caller is refused: such a service does its work in an inner `@transaction.atomic` function that commits
and returns the refusal, then raises it as a `ValidationError` on the `code` field outside that transaction.
"""

import math
import re

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django_otp.models import Device
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from core.audit.models import AuditAction, AuditOutcome
from core.audit.services import audit_record
from core.twofactor.selectors import (
    RECOVERY_DEVICE_NAME,
    TOTP_DEVICE_NAME,
    totp_device_get,
    totp_device_pending,
    two_factor_required,
)
from tenants.models import BureauRole, User
from tenants.selectors import SystemActor, require_role

RECOVERY_CODE_COUNT = 10
SEPARATORS = re.compile(r"[\s\-]+")


def _normalized(code: str) -> str:
    """A typed code without spaces and dashes, in lower case (recovery codes are shown in groups)."""
    return SEPARATORS.sub("", code or "").lower()


def _require_signed_in(user: User) -> None:
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        raise PermissionDenied(_("Sign in first."))


def _throttled(device: Device) -> str:
    """The refusal of a device that takes no code now (django-otp's throttling after wrong codes), or ""."""
    allowed, info = device.verify_is_allowed()
    if allowed:
        return ""
    locked_until = (info or {}).get("locked_until")
    seconds = max(1, math.ceil((locked_until - timezone.now()).total_seconds())) if locked_until else 1
    return ngettext(
        "Too many wrong codes. Wait %(seconds)d second and try again.",
        "Too many wrong codes. Wait %(seconds)d seconds and try again.",
        seconds,
    ) % {"seconds": seconds}


def _totp_check(device: TOTPDevice, code: str) -> str:
    """Check `code` against `device` (throttled, never the same time step twice): the refusal, or "" if accepted."""
    refusal = _throttled(device)
    if refusal:
        return refusal
    if not (code.isdigit() and len(code) == device.digits):
        device.throttle_increment()
        return _("Wrong code. Enter the 6-digit code your authenticator app shows now.")
    if not device.verify_token(code):
        return _("Wrong code. Enter the 6-digit code your authenticator app shows now.")
    return ""


# --- Enrolling an authenticator -----------------------------------------------------------------------------------


@transaction.atomic
def totp_device_start(*, user: User) -> TOTPDevice:
    """The authenticator `user` is enrolling: the one begun before (same secret, so that a page shown again matches
    the app), or a new one with a new random secret. Unconfirmed: it counts for nothing until a first code confirms
    it. Refused when the user already has a confirmed one (a second factor is replaced only after a reset)."""
    _require_signed_in(user)
    if totp_device_get(user=user) is not None:
        raise ValidationError(_("Two-factor sign-in is already set up for this account."))
    device = totp_device_pending(user=user)
    if device is None:
        device = TOTPDevice(user=user, name=TOTP_DEVICE_NAME, confirmed=False)
        device.full_clean()
        device.save()
    return device


@transaction.atomic
def _totp_device_confirm(*, user: User, device: TOTPDevice, code: str, request: HttpRequest | None) -> str:
    device = TOTPDevice.objects.select_for_update().get(pk=device.pk)
    refusal = _totp_check(device, _normalized(code))
    if refusal:
        audit_record(
            action=AuditAction.TWO_FACTOR_FAILED,
            request=request,
            user=user,
            target=user.username,
            outcome=AuditOutcome.FAILURE,
            detail="enrolment: first code refused",
        )
        return refusal
    device.confirmed = True
    device.full_clean()
    device.save()
    TOTPDevice.objects.filter(user=user, confirmed=False).delete()
    audit_record(action=AuditAction.TWO_FACTOR_ENROLLED, request=request, user=user, target=user.username)
    return ""


def totp_device_confirm(*, user: User, device: TOTPDevice, code: str, request: HttpRequest | None = None) -> TOTPDevice:
    """Confirm the authenticator `user` is enrolling with the first code it shows: from then on the user passes the
    second factor at every sign-in. A wrong code is refused on the `code` field (and counts for the throttling)."""
    _require_signed_in(user)
    if device.user_id != user.pk or device.confirmed:
        raise PermissionDenied(_("This authenticator is not being set up by you."))
    refusal = _totp_device_confirm(user=user, device=device, code=code, request=request)
    if refusal:
        raise ValidationError({"code": refusal})
    device.refresh_from_db()
    return device


@transaction.atomic
def recovery_codes_make(*, user: User, request: HttpRequest | None = None) -> list[str]:
    """Ten new single-use recovery codes for `user` (an authenticator enrolled), replacing any made before. Returned
    once, to be shown once: each passes the second factor one time when the authenticator is not at hand."""
    _require_signed_in(user)
    if totp_device_get(user=user) is None:
        raise ValidationError(_("Set up an authenticator first."))
    device = StaticDevice.objects.filter(user=user).order_by("pk").first()
    if device is None:
        device = StaticDevice(user=user, name=RECOVERY_DEVICE_NAME, confirmed=True)
        device.full_clean()
        device.save()
    StaticDevice.objects.filter(user=user).exclude(pk=device.pk).delete()
    device.token_set.all().delete()
    device.throttle_reset()
    codes = [StaticToken.random_token() for _i in range(RECOVERY_CODE_COUNT)]
    StaticToken.objects.bulk_create([StaticToken(device=device, token=code) for code in codes])
    audit_record(
        action=AuditAction.RECOVERY_CODES_MADE,
        request=request,
        user=user,
        target=user.username,
        detail=f"{RECOVERY_CODE_COUNT} codes",
    )
    return codes


# --- Passing the second factor ------------------------------------------------------------------------------------


@transaction.atomic
def _two_factor_code_verify(*, user: User, code: str, request: HttpRequest | None) -> tuple[Device | None, str]:
    code = _normalized(code)
    authenticators = list(TOTPDevice.objects.select_for_update().filter(user=user, confirmed=True).order_by("pk"))
    if not authenticators:
        return None, _("Two-factor sign-in is not set up for this account.")
    throttled = ""
    if code.isdigit() and len(code) == authenticators[0].digits:  # a recovery code has 8 letters and digits
        for device in authenticators:
            throttled = _throttled(device)
            if throttled:
                continue
            if device.verify_token(code):
                audit_record(
                    action=AuditAction.TWO_FACTOR_VERIFIED,
                    request=request,
                    user=user,
                    target=user.username,
                    detail="authenticator",
                )
                return device, ""
    else:
        for device in StaticDevice.objects.select_for_update().filter(user=user, confirmed=True).order_by("pk"):
            throttled = _throttled(device)
            if throttled:
                continue
            if device.verify_token(code):  # a recovery code is used up
                left = device.token_set.count()
                audit_record(
                    action=AuditAction.TWO_FACTOR_VERIFIED,
                    request=request,
                    user=user,
                    target=user.username,
                    detail=f"recovery code ({left} left)",
                )
                return device, ""
    refusal = throttled or _(
        "Wrong code. Enter the 6-digit code your authenticator app shows now, or one of your recovery codes."
    )
    audit_record(
        action=AuditAction.TWO_FACTOR_FAILED,
        request=request,
        user=user,
        target=user.username,
        outcome=AuditOutcome.FAILURE,
        detail="code refused",
    )
    return None, refusal


def two_factor_code_verify(*, user: User, code: str, request: HttpRequest | None = None) -> Device:
    """Check the second factor of `user`: the 6-digit code of their authenticator (each time step once only), or one
    of their recovery codes (used up). The device that accepted it; a wrong code is refused on the `code` field, with
    django-otp's throttling (1, 2, 4 … seconds between tries after wrong codes) and an audit entry."""
    _require_signed_in(user)
    device, refusal = _two_factor_code_verify(user=user, code=code, request=request)
    if device is None:
        raise ValidationError({"code": refusal})
    return device


# --- Turning it off -----------------------------------------------------------------------------------------------


def _devices_delete(user: User) -> int:
    removed = TOTPDevice.objects.filter(user=user).count() + StaticDevice.objects.filter(user=user).count()
    TOTPDevice.objects.filter(user=user).delete()
    StaticDevice.objects.filter(user=user).delete()
    return removed


@transaction.atomic
def two_factor_disable(*, user: User, request: HttpRequest | None = None) -> None:
    """`user` turns their own two-factor sign-in off (authenticator and recovery codes): only when their role does not
    require it."""
    _require_signed_in(user)
    if two_factor_required(user=user):
        raise PermissionDenied(_("Your role requires two-factor sign-in; it cannot be turned off."))
    removed = _devices_delete(user)
    audit_record(
        action=AuditAction.TWO_FACTOR_RESET,
        request=request,
        user=user,
        target=user.username,
        detail=f"turned off by the user ({removed} devices removed)",
    )


@transaction.atomic
def _two_factor_reset(*, actor: User, user: User, request: HttpRequest | None) -> int:
    removed = _devices_delete(user)
    audit_record(
        action=AuditAction.TWO_FACTOR_RESET,
        request=request,
        user=actor,
        target=user.username,
        detail=f"{removed} devices removed; enrols again at the next sign-in",
    )
    return removed


def two_factor_reset(*, actor: User | SystemActor, user: User, request: HttpRequest | None = None) -> int:
    """The bureau's security administrator removes `user`'s authenticator and recovery codes (a lost phone): their
    sessions lose the second factor at once, and they enrol again at the next sign-in if their role requires it.
    Anyone else is refused, and the refusal recorded. How many devices were removed."""
    try:
        require_role(
            user=actor,
            roles=(BureauRole.SECURITY,),
            bureau=True,
            message=_("Only the security administrator resets someone's two-factor sign-in."),
        )
    except PermissionDenied:
        audit_record(
            action=AuditAction.TWO_FACTOR_RESET,
            request=request,
            user=actor if isinstance(actor, User) else None,
            target=user.username,
            outcome=AuditOutcome.REFUSED,
        )
        raise
    return _two_factor_reset(actor=actor, user=user, request=request)

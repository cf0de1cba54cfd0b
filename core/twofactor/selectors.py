"""Reads of two-factor sign-in: who must use it, and what a user has enrolled.

A user's second factor is a TOTP device of django-otp (an authenticator app: HMAC-SHA1 over the time, RFC 6238) and,
as a fallback, one static device holding single-use recovery codes. Both live in the public schema with the users.
"""

from dataclasses import dataclass

from django.conf import settings
from django.db.models import Exists, OuterRef
from django.shortcuts import get_object_or_404
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from tenants.models import Membership, User

# The name of the device a user enrols (one authenticator app per user) and of their recovery codes.
TOTP_DEVICE_NAME = "authenticator"
RECOVERY_DEVICE_NAME = "recovery"


def user_get(*, pk: int) -> User:
    """An account by its id, for the security administrator's pages (404 if there is none)."""
    return get_object_or_404(User.objects.all(), pk=pk)


def two_factor_required(*, user: User) -> bool:
    """Whether `user` must sign in with a second factor: their bureau role, or the role of one of their active
    memberships in any station, is one of `TWO_FACTOR_REQUIRED_ROLES` (by default the bureau's administrators, security
    and audit administrators, and station heads)."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    roles = set(settings.TWO_FACTOR_REQUIRED_ROLES)
    if user.bureau_role and user.bureau_role in roles:
        return True
    return Membership.objects.filter(user=user, is_active=True, role__in=roles).exists()


def two_factor_step(*, user: User) -> str | None:
    """What a signed-in session that has not passed the second factor must do first: "verify" (the user has an
    authenticator), "setup" (their role requires one and they have none), or None (nothing). One query at most, asked
    on every such request (`core.twofactor.middleware`)."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return None
    roles = set(settings.TWO_FACTOR_REQUIRED_ROLES)
    facts = (
        User.objects.filter(pk=user.pk)
        .annotate(
            enrolled=Exists(TOTPDevice.objects.filter(user=OuterRef("pk"), confirmed=True)),
            required_here=Exists(Membership.objects.filter(user=OuterRef("pk"), is_active=True, role__in=roles)),
        )
        .values("enrolled", "required_here")
        .first()
    )
    if facts is None:
        return None
    if facts["enrolled"]:
        return "verify"
    if (user.bureau_role and user.bureau_role in roles) or facts["required_here"]:
        return "setup"
    return None


def totp_device_get(*, user: User) -> TOTPDevice | None:
    """The user's confirmed authenticator, or None."""
    return TOTPDevice.objects.filter(user=user, confirmed=True).order_by("pk").first()


def totp_device_pending(*, user: User) -> TOTPDevice | None:
    """The authenticator the user began to enrol and has not confirmed with a first code, or None."""
    return TOTPDevice.objects.filter(user=user, confirmed=False).order_by("-pk").first()


def two_factor_enrolled(*, user: User) -> bool:
    """Whether the user has a confirmed authenticator, so must pass the second factor at every sign-in (with it, or
    with one of the recovery codes made with it)."""
    if not getattr(user, "is_authenticated", False):
        return False
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def recovery_codes_left(*, user: User) -> int:
    return sum(device.token_set.count() for device in StaticDevice.objects.filter(user=user, confirmed=True))


@dataclass(frozen=True)
class TwoFactorState:
    required: bool
    device: TOTPDevice | None
    recovery_codes_left: int

    @property
    def enrolled(self) -> bool:
        return self.device is not None


def two_factor_state(*, user: User) -> TwoFactorState:
    """What the account page and the security administrator see of someone's two-factor sign-in."""
    return TwoFactorState(
        required=two_factor_required(user=user),
        device=totp_device_get(user=user),
        recovery_codes_left=recovery_codes_left(user=user),
    )


def secret_groups(*, device: TOTPDevice) -> str:
    """The device's secret in base32, in groups of four characters, for typing into an app by hand."""
    from base64 import b32encode

    secret = b32encode(device.bin_key).decode("ascii").rstrip("=")
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def totp_qr_svg(*, device: TOTPDevice, title: str) -> str:
    """The device's otpauth:// address as a QR code in inline SVG, drawn here (segno): the secret never leaves the
    server for a QR service."""
    import segno

    svg = segno.make(device.config_url, error="m").svg_inline(scale=5, border=2, light="#fff", title=title)
    return svg.replace("<svg ", '<svg role="img" ', 1)

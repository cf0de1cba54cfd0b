import factory

from tenants.models import User

PASSWORD = "Test-pass-2026"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    full_name = factory.Sequence(lambda n: f"测试用户{n}")
    email = factory.LazyAttribute(lambda user: f"{user.username}@example.test")
    password = factory.django.Password(PASSWORD)


def approved_round(station, admin):
    """Take `station` through an approved evaluation round (every item met) with the real services, so that
    `station_publish` accepts it: the head's self-assessment, the submission, the review and the approval."""
    from core.evaluation.demo import round_approve_all

    return round_approve_all(station=station, admin=admin)


# --- Two-factor sign-in (core.twofactor) ---------------------------------------------------------------------------


def _totp_device_committed(user_id: int) -> int | None:
    """On a connection of its own (autocommit): the user's confirmed authenticator, made if missing; its id, or None
    when the user is not committed (made inside the calling test)."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from core.twofactor.selectors import TOTP_DEVICE_NAME

    if not User.objects.filter(pk=user_id).exists():
        return None
    device = TOTPDevice.objects.filter(user_id=user_id, confirmed=True).order_by("pk").first()
    if device is None:
        device = TOTPDevice.objects.create(user_id=user_id, name=TOTP_DEVICE_NAME, confirmed=True)
    return device.pk


def totp_device(user):
    """The user's confirmed authenticator (a django-otp TOTP device), made if missing: committed when the user is (so
    that a web server under test and later tests see it, like the session's city), else in the test's transaction."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from core.twofactor.selectors import TOTP_DEVICE_NAME
    from tests.committed import on_own_connection

    device = TOTPDevice.objects.filter(user=user, confirmed=True).order_by("pk").first()
    if device is not None:
        return device
    device_id = on_own_connection(_totp_device_committed, user.pk)
    if device_id is None:
        return TOTPDevice.objects.create(user=user, name=TOTP_DEVICE_NAME, confirmed=True)
    return TOTPDevice.objects.get(pk=device_id)


def two_factor_ready(user):
    """For a user whose role requires two-factor sign-in, or who has it: their confirmed authenticator (made if
    missing); None for anyone else."""
    from core.twofactor.selectors import totp_device_get, two_factor_required

    if two_factor_required(user=user):
        return totp_device(user)
    return totp_device_get(user=user)


def totp_code_at(key: bytes, t: int, *, step: int = 30, digits: int = 6) -> str:
    """The code an authenticator with secret `key` shows in time step `t` (RFC 6238)."""
    from django_otp.oath import hotp

    return f"{hotp(key, t, digits):0{digits}d}"


def totp_code(user) -> str:
    """The code the user's authenticator shows now, as a person would type it: the confirmed one's, else the one
    being set up (its key scanned from the setup page), else one made (`totp_device`). A code is taken once: when
    this time step's was used already, the next one's, which the server accepts one step early (waiting for the clock
    when even that one was used)."""
    import time

    from django_otp.plugins.otp_totp.models import TOTPDevice

    device = TOTPDevice.objects.filter(user=user).order_by("-confirmed", "-pk").first() or totp_device(user)
    while True:
        now = int((time.time() - device.t0) // device.step) + device.drift
        t = max(now, device.last_t + 1)
        if t <= now + device.tolerance:
            return totp_code_at(device.bin_key, t, step=device.step, digits=device.digits)
        time.sleep(device.step - (time.time() - device.t0) % device.step + 0.05)

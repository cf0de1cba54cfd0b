"""The guards of the forms anyone may send without signing in (a station's opinion form, an objection to a station's
publication): a rate limit per client address and a signed stamp of when the form was shown.

- `client_key` keeps a salted hash of the address, never the address itself; each form names its own salt.
- `rate_limit` counts the submissions of one client in the past hour in the caller's table (a model with `client`
  and `submitted_at`), refuses the one over the limit with the caller's message (on no field: the whole form), and
  forgets what is older than a day.
- `form_stamp` / `form_stamp_check`: a form sent back sooner than `min_seconds` after it was shown (filled by a
  program) or later than `max_seconds` (a stale page) is refused.
"""

import datetime
import hashlib
import hmac

from django.conf import settings
from django.core import signing
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _


def client_key(address: str, *, salt: bytes) -> str:
    """A salted hash of a client's address: what a rate limit keeps instead of the address."""
    key = hmac.new(settings.SECRET_KEY.encode(), salt, hashlib.sha256).digest()
    return hmac.new(key, (address or "").encode(), hashlib.sha256).hexdigest()


def rate_limit(*, model, client: str, per_hour: int, message: str) -> None:
    """Refuse (`rate_limited`, on no field) a submission from `client` when it sent `per_hour` in the past hour, as
    counted in `model`; otherwise count this one. Rows older than a day are deleted on the way."""
    now = timezone.now()
    model.objects.filter(submitted_at__lt=now - datetime.timedelta(days=1)).delete()
    recent = model.objects.filter(client=client, submitted_at__gte=now - datetime.timedelta(hours=1))
    if recent.count() >= per_hour:
        raise ValidationError({NON_FIELD_ERRORS: ValidationError(message, code="rate_limited")})
    model.objects.create(client=client, submitted_at=now)


def form_stamp(*, salt: str) -> str:
    """The signed time a public form was shown: sent with the form, checked when it comes back."""
    return signing.dumps({"t": timezone.now().timestamp()}, salt=salt)


def form_stamp_check(*, stamp: str, salt: str, min_seconds: int, max_seconds: int) -> None:
    """Refuse a form whose stamp is missing or forged, that came back sooner than `min_seconds` after it was shown
    (filled by a program, not a person), or later than `max_seconds`."""
    try:
        shown = float(signing.loads(stamp or "", salt=salt)["t"])
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        raise ValidationError(
            _("This form could not be checked. Please reload the page and send it again."), code="stamp"
        ) from None
    age = timezone.now().timestamp() - shown
    if age < min_seconds:
        raise ValidationError(
            _("The form was sent too quickly. Please check what you wrote and send it again."), code="too_fast"
        )
    if age > max_seconds:
        raise ValidationError(
            _("This form was open for too long. What you wrote is kept below: please send it again."),
            code="too_stale",
        )

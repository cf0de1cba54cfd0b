"""Whether a phone number as people type it can be dialled in mainland China: a mobile number (11 digits,
`core.common.sms.mobile_number`), a landline with its area code (0 + 2–3 digits, then 7–8), or a 400/800 service
number. The enterprise's contact phone is where its SMS go, so a number that cannot be one is refused on the form."""

import re
import unicodedata

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from core.common.sms import COUNTRY_PREFIX, SEPARATORS, mobile_number

LANDLINE = re.compile(r"0\d{9,11}")
SERVICE = re.compile(r"[48]00\d{7}")
EXTENSION = re.compile(r"(?:转|ext\.?|x|#)\d{1,6}$", re.IGNORECASE)


def phone_number_valid(value: str) -> bool:
    if mobile_number(value):
        return True
    text = SEPARATORS.sub("", unicodedata.normalize("NFKC", value or ""))
    text = EXTENSION.sub("", COUNTRY_PREFIX.sub("", text))
    if text.startswith(("+86", "0086")):
        text = "0" + text.removeprefix("+86").removeprefix("0086").lstrip("0")
    return bool(LANDLINE.fullmatch(text) or SERVICE.fullmatch(text))


def phone_number_check(value: str, *, field: str = "phone") -> None:
    """Refuse, on `field`, a phone that is neither a mobile number nor a landline with its area code."""
    if value and not phone_number_valid(value):
        raise ValidationError(
            {
                field: [
                    _(
                        "“%(value)s” is not a phone number we can reach: enter a mobile number of 11 digits "
                        "(e.g. 139 1234 5678) or a landline with its area code (e.g. 024-72345678)."
                    )
                    % {"value": value}
                ]
            },
            code="phone",
        )

"""The unified social credit code (统一社会信用代码, USCC) of GB 32100-2015.

A code has 18 characters from ``ALPHABET`` (digits and the capital letters except I, O, S, V and Z):

* position 1: registration authority (登记管理部门代码): 1 机构编制, 5 民政, 9 市场监管, N 农业农村, Y 其他, ...
* position 2: kind of organisation (机构类别代码)
* positions 3-8: administrative division code of the registration authority (登记管理机关行政区划码, GB/T 2260)
* positions 9-17: organisation identifier (主体标识码, the GB 11714 organisation code)
* position 18: check character (校验码)

The check character makes the weighted sum of all 18 values a multiple of 31; the weight of position ``i`` is
``3 ** (i - 1) mod 31`` and the check character's weight is 1. Because 31 is prime and no weight is 0 mod 31, every
single wrong character is detected, and so is every swap of two different characters except between positions 1 and
18 (both have weight 1).

python-stdnum's ``cn.uscc`` requires positions 1-8 to be digits, so it rejects valid codes issued by authorities that
use a letter (for example N2... for rural collective economic organisations). This module accepts any alphabet
character in positions 1 and 2; the tests use stdnum as an oracle for digit-first codes.

Some codes issued in pilot regions before the standard (for example in Xiamen) do not pass the check; they are
rejected here like any other mistyped code.
"""

import random
import unicodedata
from functools import lru_cache

from django.core.exceptions import ValidationError
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from core.districts import CITY_REGION, REGION_CODES, District

ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)  # 3 ** (i - 1) % 31 for i in 1..17
LENGTH = 18

_VALUE = {char: index for index, char in enumerate(ALPHABET)}
_NEVER_USED = frozenset("IOSVZ")
# Separators people type or paste between groups of the code; whitespace of any kind is removed as well.
_SEPARATORS = frozenset("-\u2010\u2011\u2012\u2013\u2014\u2015\u2212\u200b\u200c\u200d\u2060\ufeff")

# Keys are message names (not error codes: both "alphabet" messages have the error code "alphabet").
MESSAGES = {
    "length": _("A unified social credit code has 18 characters, not %(count)d."),
    "never_used": _(
        "Character %(position)d is “%(char)s”, but the letters I, O, S, V and Z are never used in this code."
    ),
    "alphabet": _("Character %(position)d (“%(char)s”) is not allowed: use only digits and capital letters."),
    "region": _(
        "Characters 3 to 8 must be digits: they are the administrative division code of the registration authority."
    ),
    "checksum": _(
        "The last character (the check character) does not match the rest of the code. Please check the code for a typing mistake."
    ),
}

# Administrative division codes (GB/T 2260) of Tieling and its county-level divisions (kept in core.districts).
TIELING_REGION = CITY_REGION
TIELING_DISTRICT_REGIONS = REGION_CODES
# The city's own division codes: its authority (211200) and its districts' common code (211201, 市辖区).
CITY_LEVEL_REGIONS = frozenset({CITY_REGION, CITY_REGION[:4] + "01"})


def compact(value: str) -> str:
    """Return ``value`` without separators, in half-width upper case (``"９１１１ 0000-…"`` -> ``"91110000…"``).

    The one normaliser of the code: the directory keeps codes in this form, and forms (``USCCField``), services,
    the directory search and imports all pass what people type through it before comparing or storing a code.
    """
    value = unicodedata.normalize("NFKC", value)  # full-width digits, letters and hyphens become ASCII
    return "".join(char for char in value if not char.isspace() and char not in _SEPARATORS).upper()


def _weighted_sum(chars: str) -> int:
    return sum(_VALUE[char] * weight for char, weight in zip(chars, WEIGHTS, strict=False))


def check_character(first17: str) -> str:
    """Return the check character for the first 17 characters of a code (which must be compact and in ALPHABET)."""
    if len(first17) != LENGTH - 1:
        raise ValueError(f"expected 17 characters, got {len(first17)}")
    return ALPHABET[-_weighted_sum(first17) % 31]


def validate(value: str) -> str:
    """Return the compact form of ``value`` if it is a valid code; raise ``ValidationError`` otherwise.

    The error ``code`` is one of "length", "alphabet", "region" and "checksum", checked in that order.
    """
    code = compact(value)
    if len(code) != LENGTH:
        raise ValidationError(MESSAGES["length"], code="length", params={"count": len(code)})
    for position, char in enumerate(code, start=1):
        if char not in _VALUE:
            message = MESSAGES["never_used" if char in _NEVER_USED else "alphabet"]
            raise ValidationError(message, code="alphabet", params={"position": position, "char": char})
    if not code[2:8].isdigit():  # isdigit() is safe here: every character is already in ALPHABET
        raise ValidationError(MESSAGES["region"], code="region")
    if code[-1] != check_character(code[:-1]):
        raise ValidationError(MESSAGES["checksum"], code="checksum")
    return code


REGION_WARNINGS = {
    "outside": _(
        "Characters 3 to 8 of the unified social credit code (%(region)s) name a registration authority outside "
        "Tieling. The entry was saved: please check the code."
    ),
    "district": _(
        "Characters 3 to 8 of the unified social credit code (%(region)s) name the registration authority of "
        "%(region_district)s, not of %(district)s. The entry was saved: please check the code or the district."
    ),
}


def region_warning(code: str, *, district: str = "") -> str:
    """A warning (never a refusal) when the registration authority's division (characters 3 to 8) of a valid `code` is
    outside the city or, with `district`, another district's; "" otherwise. A code of the city's own authority
    (211200) fits every district: the city's bureau registers enterprises of all of them."""
    region = compact(code)[2:8]
    if len(region) != 6 or region in CITY_LEVEL_REGIONS:
        return ""
    district_of = {value: key for key, value in REGION_CODES.items()}
    if region not in district_of:
        return gettext(REGION_WARNINGS["outside"]) % {"region": region}
    if district and district in REGION_CODES and district_of[region] != district:
        return gettext(REGION_WARNINGS["district"]) % {
            "region": region,
            "region_district": District(district_of[region]).label,
            "district": District(district).label,
        }
    return ""


def is_valid(value: str) -> bool:
    try:
        validate(value)
    except ValidationError:
        return False
    return True


def validate_uscc(value: str) -> None:
    """Validator for model and form fields. It accepts what ``validate`` accepts (spaces, lower case, full width),
    so a form should store ``validate(value)`` (the compact code) rather than the raw input."""
    validate(value)


# GB 11714 check character of the organisation code (position 17 of the USCC): weights for its first 8 characters,
# letters valued A=10 ... Y=34. Not enforced by validate() (GB 32100 does not require it to be checked), but
# generate() follows it so that generated codes look like real ones.
_ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)
_ORG_VALUE = {char: int(char, 36) for char in ALPHABET}


@lru_cache(maxsize=256)
def _prefix_sum(prefix: str) -> int:
    if len(prefix) != 8 or any(char not in _VALUE for char in prefix) or not prefix[2:].isdigit():
        raise ValueError(f"invalid USCC prefix {prefix!r}: need 2 alphabet characters and a 6-digit region code")
    return _weighted_sum(prefix)


def generate(rng: random.Random, *, region: str = TIELING_REGION, first: str = "9", second: str = "1") -> str:
    """Return a random valid code registered by authority ``first``, of kind ``second``, in ``region``."""
    prefix = first + second + region
    total = _prefix_sum(prefix)
    body = rng.choices(ALPHABET, k=8)
    org_check = -sum(_ORG_VALUE[char] * weight for char, weight in zip(body, _ORG_WEIGHTS, strict=True)) % 11
    body.append("X" if org_check == 10 else str(org_check))
    total += sum(_VALUE[char] * weight for char, weight in zip(body, WEIGHTS[8:], strict=True))
    return prefix + "".join(body) + ALPHABET[-total % 31]

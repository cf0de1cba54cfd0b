"""Contact details shown masked (个人信息保护): a phone number or an e-mail address in a list shows only enough of
itself to be recognised; the record's own page shows it whole.

- `mask_phone("13912340000")` → `139****0000` (a mobile number: its first 3 and last 4 digits);
  `mask_phone("024-70000001")` → `024-****0001` (a fixed line: its area code and last 4 digits);
- `mask_email("zhang@example.com")` → `z***@example.com` (the first character of the name and the domain).

Pure functions, for any input (blank, short, with spaces or letters): a number too short to be a local number shows
only a third of its digits, and a letter is never shown. Also template filters on every page
(`{{ m.user.phone|mask_phone }}`, settings.TEMPLATES' `builtins`).
"""

import re

from django import template

register = template.Library()

MASK = "*"
# What stays in place in a phone number besides the digits kept: separators tell nothing.
PHONE_SEPARATORS = frozenset(" +-()")
DIGITS = frozenset("0123456789")
# A leading group a phone number may start with, followed by a separator: an area code (024, (0410)) or a country
# code (+86); or +86 right before a mobile number. It is kept whole: it names a city or a country, not a person.
LEADING_GROUP = re.compile(r"^(?:\+\d{1,4}|\(?0\d{2,3}\)?)(?=[\s\-)])|^\+86(?=1\d{10}$)")
MOBILE_DIGITS = 11  # a mainland mobile number: 3 digits of its network are kept
HEAD_DIGITS = 3
TAIL_DIGITS = 4
# Fewer digits than this (no whole local number): only a third of them (rounded down) is kept, at the end.
FULL_TAIL_FROM = 7


def _kept_positions(digits: list[int]) -> set[int]:
    """The positions (in the text) of the digits that stay visible, among the `digits` after any leading group."""
    count = len(digits)
    tail = TAIL_DIGITS if count >= FULL_TAIL_FROM else count // 3
    head = HEAD_DIGITS if count >= MOBILE_DIGITS else 0
    return set(digits[:head]) | set(digits[count - tail :] if tail else [])


def mask_phone(value) -> str:
    """`value` with its middle digits (and any letter) replaced by `*`; "" for a blank one."""
    text = "" if value is None else str(value).strip()
    if not text:
        return ""
    leading = LEADING_GROUP.match(text)
    start = leading.end() if leading else 0
    kept = _kept_positions([i for i in range(start, len(text)) if text[i] in DIGITS])
    return text[:start] + "".join(
        char if i in kept or char in PHONE_SEPARATORS else MASK for i, char in enumerate(text[start:], start)
    )


def mask_email(value) -> str:
    """The first character of the name, `***`, then the domain whole; "" for a blank one. A name of one character
    is not shown at all, nor is a value that is no address (no `@`) beyond its first character."""
    text = "" if value is None else "".join(str(value).split())
    if not text:
        return ""
    name, at, domain = text.rpartition("@")
    if not at:
        return text[0] + MASK * 3
    shown = name[0] if len(name) > 1 else ""
    return f"{shown}{MASK * 3}@{domain}"


register.filter("mask_phone", mask_phone, is_safe=True)
register.filter("mask_email", mask_email, is_safe=True)

"""Contact details masked in lists (core.common.masking): the rules on ordinary and odd input, and the template
filters every page has."""

import pytest
from django.template import Context, Template

from core.common.masking import mask_email, mask_phone


@pytest.mark.parametrize(
    ("value", "masked"),
    [
        ("13912340000", "139****0000"),  # a mobile number: its network and its last 4 digits
        ("024-70000001", "024-****0001"),  # a fixed line: its area code and its last 4 digits
        ("0410-1234567", "0410-***4567"),  # a 4-digit area code and a 7-digit local number
        ("(024) 7000-0001", "(024) ****-0001"),
        ("02470000001", "024****0001"),  # no separator: read as 11 digits
        ("+86 139 1234 0000", "+86 139 **** 0000"),  # spaces stay where they were
        ("+8613912340000", "+86139****0000"),
        ("  13912340000  ", "139****0000"),  # surrounding spaces dropped
        ("7000001", "***0001"),  # a local number without its area code
        ("12345", "****5"),  # too short for a number: a third of its digits at most
        ("110", "**0"),
        ("1", "*"),
        ("13912340000 转 8001", "139******** * 8001"),  # an extension: the letters never shown
        ("WeChat zhang", "****** *****"),  # no digits at all: nothing shown
        ("<b>", "***"),
        (13912340000, "139****0000"),  # not a string
        ("", ""),
        ("   ", ""),
        (None, ""),
    ],
)
def test_mask_phone(value, masked):
    assert mask_phone(value) == masked


def test_a_masked_phone_keeps_its_length_and_hides_the_middle():
    for number in ("13912340000", "024-70000001", "0410-1234567"):
        masked = mask_phone(number)
        assert len(masked) == len(number)
        assert "*" in masked
        assert number not in masked


@pytest.mark.parametrize(
    ("value", "masked"),
    [
        ("zhang@example.com", "z***@example.com"),
        ("ab@example.com", "a***@example.com"),
        ("a@example.com", "***@example.com"),  # a one-letter name is not shown at all
        ("@example.com", "***@example.com"),
        ("  zhang@example.com ", "z***@example.com"),
        ("zh ang@example.com", "z***@example.com"),  # spaces inside are no part of an address
        ("a@b@example.com", "a***@example.com"),  # only the last @ separates the domain
        ("zhang", "z***"),  # no address: its first character only
        ("x@", "***@"),
        ("", ""),
        ("  ", ""),
        (None, ""),
    ],
)
def test_mask_email(value, masked):
    assert mask_email(value) == masked


def test_the_template_filters_are_on_every_page_and_escape():
    page = Template("{{ phone|mask_phone }} {{ email|mask_email }} {{ odd|mask_email }}")
    rendered = page.render(Context({"phone": "13912340000", "email": "zhang@example.com", "odd": "<i>@x.com"}))
    assert rendered == "139****0000 z***@example.com &lt;***@x.com"

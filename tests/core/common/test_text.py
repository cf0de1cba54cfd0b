"""The text rules of `core.common.text`: what a validator refuses, and what cleaning keeps (in Python and in SQL)."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from core.common.text import (
    DateRangeValidator,
    NestedTextValidator,
    TextValidator,
    text_clean,
    text_clean_sql,
)

ALL_CONTROLS = "".join(chr(c) for c in [*range(0x01, 0x20), *range(0x7F, 0xA0)])


@pytest.mark.parametrize("character", [chr(c) for c in [*range(0x00, 0x20), *range(0x7F, 0xA0)]])
def test_every_control_character_is_refused_in_one_line(character):
    with pytest.raises(ValidationError):
        TextValidator()(f"甲{character}乙")


@pytest.mark.parametrize("character", ["\t", "\n", "\r"])
def test_tabs_and_line_breaks_are_a_multi_line_fields_own(character):
    TextValidator(multiline=True)(f"甲{character}乙")
    with pytest.raises(ValidationError):
        TextValidator(multiline=True)("甲\x0b乙")


def test_ordinary_text_passes_whatever_its_script():
    for text in ["铁岭市银州区（工业园）", "O'Brien & Söhne — №5", "emoji 🙂", "\u00a0nbsp", ""]:
        TextValidator()(text)
    TextValidator()(None)  # not text: the field's own type check answers


def test_the_nested_rule_reads_keys_and_values_at_every_depth():
    NestedTextValidator()({"a": ["b", {"c": "d\ne"}], "n": 1, "none": None})
    with pytest.raises(ValidationError):
        NestedTextValidator()({"a": [{"c": "d\x00"}]})
    with pytest.raises(ValidationError):
        NestedTextValidator()({"k\x07": "v"})


@pytest.mark.parametrize(
    ("value", "refused"),
    [
        (datetime.date(1900, 1, 1), False),
        (datetime.date(2100, 12, 31), False),
        (datetime.date(1899, 12, 31), True),
        (datetime.date(2101, 1, 1), True),
        (datetime.datetime(9999, 12, 31, 23, 59, tzinfo=datetime.UTC), True),
        (datetime.datetime(2026, 5, 1, 8, 0, tzinfo=datetime.UTC), False),
    ],
)
def test_dates_outside_1900_to_2100_are_refused(value, refused):
    if refused:
        with pytest.raises(ValidationError) as error:
            DateRangeValidator()(value)
        assert error.value.params == {"min": "1900-01-01", "max": "2100-12-31"}
    else:
        DateRangeValidator()(value)


def test_cleaning_removes_controls_and_keeps_a_multi_line_texts_lines():
    assert text_clean("铃声\x07控制\x9f字符企业") == "铃声控制字符企业"
    assert text_clean("银州区\r\n\t工业园") == "银州区 工业园"
    assert text_clean("一\r\n二\t三\x0b\x1b", multiline=True) == "一\r\n二\t三"


@pytest.mark.django_db
def test_the_sql_cleaning_is_the_python_one():
    texts = [f"甲{ALL_CONTROLS}乙", "丙\r\n丁\t戊", "plain"]
    with connection.cursor() as cursor:
        cursor.execute("CREATE TEMPORARY TABLE cleaning (id int, one text, many text)")
        for n, text in enumerate(texts):
            cursor.execute("INSERT INTO cleaning VALUES (%s, %s, %s)", [n, text, text])
        cursor.execute(text_clean_sql("cleaning", single_line=("one",), multiline=("many",)))
        assert cursor.rowcount == 2  # the plain row is left alone
        cursor.execute("SELECT one, many FROM cleaning ORDER BY id")
        rows = cursor.fetchall()
        cursor.execute("DROP TABLE cleaning")
    assert rows == [(text_clean(text), text_clean(text, multiline=True)) for text in texts]

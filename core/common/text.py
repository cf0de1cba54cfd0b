"""What the platform accepts as text, dates and whole numbers, wherever they come in (issue 16).

One set of rules, applied by the base classes of every page form (`core.common.forms`) and of every API serializer
(`api.serializers`), so that a new field gets them without asking:

- **Text is text.** NUL and the other control characters (Unicode category Cc: U+0000–U+001F, U+007F–U+009F) are
  refused; a field that takes several lines (a text area, a model `TextField`) also takes tabs and line breaks. They
  are refused at input rather than removed: a name holding a bell character (U+0007) breaks the spreadsheets it is
  exported to, and PostgreSQL cannot store a NUL at all. `text_clean` removes them from text already kept (the
  data migrations of the directory and the desk).
- **Dates between 1900 and 2100.** Nothing the stations record happens outside that range; a date in year 9999 only
  breaks the arithmetic done on it (a due date one interval later, the end of a period).
- **Whole numbers fit PostgreSQL's `integer`**, unless a field names a smaller range of its own.

`text_nfkc` is Unicode's compatibility normalisation (NFKC), for what is compared as typed: full-width letters,
digits and brackets (（铁岭）１２３) become their half-width twins, so that names kept and names searched for match
however they were typed (the directory's names and codes, issue 20).
"""

import datetime
import re
import unicodedata

from django.core.exceptions import ValidationError
from django.utils.deconstruct import deconstructible
from django.utils.translation import gettext_lazy as _

# Control characters (Unicode category Cc). Tab, line feed and carriage return are the multi-line fields' own.
CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f-\x9f]")
CONTROL_CHARACTERS_BUT_LINES = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
LINE_CHARACTERS = re.compile(r"[\t\n\r]+")

DATE_MIN = datetime.date(1900, 1, 1)
DATE_MAX = datetime.date(2100, 12, 31)

INTEGER_MIN = -(2**31)
INTEGER_MAX = 2**31 - 1


def _code_point(character: str) -> str:
    return f"U+{ord(character):04X}"


@deconstructible
class TextValidator:
    """Refuses NUL and control characters; `multiline` lets tabs and line breaks through."""

    null_message = _("Null characters are not allowed.")
    multiline_message = _("Control characters are not allowed (found %(character)s).")
    single_line_message = _(
        "Line breaks, tabs and other control characters are not allowed in this field (found %(character)s)."
    )

    def __init__(self, *, multiline: bool = False):
        self.multiline = multiline

    def __call__(self, value) -> None:
        if not isinstance(value, str):
            return
        if "\x00" in value:
            raise ValidationError(self.null_message, code="null_characters_not_allowed")
        pattern = CONTROL_CHARACTERS_BUT_LINES if self.multiline else CONTROL_CHARACTERS
        found = pattern.search(value)
        if found:
            raise ValidationError(
                self.multiline_message if self.multiline else self.single_line_message,
                code="control_characters_not_allowed",
                params={"character": _code_point(found.group())},
            )

    def __eq__(self, other) -> bool:
        return isinstance(other, TextValidator) and other.multiline == self.multiline

    def __hash__(self) -> int:
        return hash((TextValidator, self.multiline))


@deconstructible
class NestedTextValidator:
    """The text rule for every string (keys and values) inside a JSON value."""

    def __call__(self, value) -> None:
        validator = TextValidator(multiline=True)
        for text in _strings(value):
            validator(text)

    def __eq__(self, other) -> bool:
        return isinstance(other, NestedTextValidator)

    def __hash__(self) -> int:
        return hash(NestedTextValidator)


def _strings(value):
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _strings(key)
            yield from _strings(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _strings(item)


@deconstructible
class DateRangeValidator:
    """Refuses a date (or a moment) outside `DATE_MIN`–`DATE_MAX`, naming the range."""

    message = _("Enter a date between %(min)s and %(max)s.")

    def __call__(self, value) -> None:
        if isinstance(value, datetime.datetime):
            value = value.date()
        if isinstance(value, datetime.date) and not DATE_MIN <= value <= DATE_MAX:
            raise ValidationError(
                self.message,
                code="date_out_of_range",
                params={"min": DATE_MIN.isoformat(), "max": DATE_MAX.isoformat()},
            )

    def __eq__(self, other) -> bool:
        return isinstance(other, DateRangeValidator)

    def __hash__(self) -> int:
        return hash(DateRangeValidator)


def text_clean(value: str, *, multiline: bool = False) -> str:
    """`value` without control characters: a single-line text's tabs and line breaks become one space each run."""
    if not multiline:
        value = LINE_CHARACTERS.sub(" ", value)
        return CONTROL_CHARACTERS.sub("", value)
    return CONTROL_CHARACTERS_BUT_LINES.sub("", value)


def text_nfkc(value: str) -> str:
    """`value` in Unicode normalisation form NFKC: full-width letters, digits, brackets and spaces become ASCII
    ("（ＡＢＣ）１２３" -> "(ABC)123"), compatibility ideographs their unified twins; Chinese text is unchanged."""
    return unicodedata.normalize("NFKC", value)


# The same as `text_clean`, as PostgreSQL regular expressions (the data migrations clean rows in one UPDATE each).
SQL_CONTROL_CHARACTERS = r"[\x01-\x1f\x7f-\x9f]"
SQL_CONTROL_CHARACTERS_BUT_LINES = r"[\x01-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]"
SQL_LINE_CHARACTERS = r"[\t\n\r]+"


def text_clean_sql(table: str, *, single_line: tuple[str, ...] = (), multiline: tuple[str, ...] = ()) -> str:
    """One UPDATE removing control characters from `table`'s text columns, touching only the rows holding any (the
    SQL twin of `text_clean`, for data migrations)."""
    sets = [
        f"{column} = regexp_replace(regexp_replace({column}, '{SQL_LINE_CHARACTERS}', ' ', 'g'), "
        f"'{SQL_CONTROL_CHARACTERS}', '', 'g')"
        for column in single_line
    ] + [f"{column} = regexp_replace({column}, '{SQL_CONTROL_CHARACTERS_BUT_LINES}', '', 'g')" for column in multiline]
    wheres = [f"{column} ~ '{SQL_CONTROL_CHARACTERS}'" for column in single_line] + [
        f"{column} ~ '{SQL_CONTROL_CHARACTERS_BUT_LINES}'" for column in multiline
    ]
    return f"UPDATE {table} SET {', '.join(sets)} WHERE {' OR '.join(wheres)}"  # noqa: S608  (names are constants)

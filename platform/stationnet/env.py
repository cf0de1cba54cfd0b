"""Reading settings from the environment, failing in one line that names the setting.

A missing or malformed setting stops start-up with a single line on stderr such as
``stationnet: setting DATABASE_URL is missing: expected a PostgreSQL URL like postgres://user@host:5432/stationnet``
instead of a traceback, so an operator sees at once what to fix.
"""

import os
from urllib.parse import urlparse

TRUE_WORDS = {"1", "true", "yes", "on"}
FALSE_WORDS = {"0", "false", "no", "off", ""}


class SettingError(SystemExit):
    """Raised for a missing or malformed setting; carries the one-line message as the exit status."""

    def __init__(self, name: str, problem: str, expected: str) -> None:
        self.setting = name
        message = f"stationnet: setting {name} {problem}: expected {expected}"
        super().__init__(message)


def fail(name: str, problem: str, expected: str) -> SettingError:
    return SettingError(name, problem, expected)


def text(name: str, default: str | None = None, *, expected: str = "a value") -> str:
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        if default is None:
            raise fail(name, "is missing", expected)
        return default
    return value.strip()


def flag(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    word = value.strip().lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise fail(name, f"is {value!r}", "one of 1/0, true/false, yes/no, on/off")


def integer(name: str, default: int) -> int:
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return default
    try:
        return int(value)
    except ValueError:
        raise fail(name, f"is {value!r}", "a whole number") from None


def url(name: str, *, schemes: tuple[str, ...], example: str, default: str | None = None) -> str:
    value = text(name, default, expected=f"a URL like {example}")
    scheme = urlparse(value).scheme
    if scheme not in schemes:
        raise fail(name, f"has scheme {scheme or 'none'!r}", f"one of {', '.join(schemes)} (like {example})")
    return value

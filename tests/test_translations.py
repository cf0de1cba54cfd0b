"""Chinese first: every message the code marks for translation is in the shipped zh-hans catalogue.

Python files are read with `ast`: a call to any of Django's gettext functions, under whatever name a module imported
it (`gettext_lazy as _lazy` once hid four job titles from `makemessages`), with a literal message. Templates are read
for `{% translate "…" %}` with a literal message. A message missing from the compiled catalogue is shown in English
to a Chinese user."""

import ast
import gettext
import re
from pathlib import Path

import django

from tests.compliance import REPO_ROOT

CATALOGUES = (
    REPO_ROOT / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.mo",
    # Django's own messages, used as they are (a form's "This field is required.").
    Path(django.__file__).parent / "conf" / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.mo",
)
SOURCES = ("core", "api", "tenants", "platform")
SINGULAR = {"gettext", "gettext_lazy", "gettext_noop", "ugettext", "ugettext_lazy"}
CONTEXTUAL = {"pgettext", "pgettext_lazy"}
PLURAL = {"ngettext", "ngettext_lazy"}
TEMPLATE_TAG = re.compile(
    r"""{%\s*(?:translate|trans)\s+(["'])(.+?)\1(?:\s+context\s+(["'])(.+?)\3)?\s*(?:as\s+\w+\s*)?%}"""
)


def _catalogue() -> set:
    known = set()
    for catalogue in CATALOGUES:
        with catalogue.open("rb") as handle:
            entries = gettext.GNUTranslations(handle)._catalog  # noqa: SLF001  (its keys are what we check)
        known |= {key if isinstance(key, str) else key[0] for key in entries}
    return known


def _python_messages(path: Path):
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: dict[str, str] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module == "django.utils.translation":
            for alias in node.names:
                names[alias.asname or alias.name] = alias.name
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in names):
            continue
        function, args = names[node.func.id], node.args
        literal = [a.value if isinstance(a, ast.Constant) and isinstance(a.value, str) else None for a in args]
        if function in SINGULAR and literal[:1] and literal[0]:
            yield node.lineno, literal[0]
        elif function in CONTEXTUAL and len(literal) >= 2 and literal[0] and literal[1]:
            yield node.lineno, f"{literal[0]}\x04{literal[1]}"
        elif function in PLURAL and literal[:1] and literal[0]:
            yield node.lineno, literal[0]


def _template_messages(path: Path):
    text = path.read_text(encoding="utf-8")
    for match in TEMPLATE_TAG.finditer(text):
        message, context = match.group(2), match.group(4)
        yield text.count("\n", 0, match.start()) + 1, f"{context}\x04{message}" if context else message


def test_every_marked_message_is_in_the_zh_hans_catalogue():
    known = _catalogue()
    missing = []
    for root in SOURCES:
        for path in sorted((REPO_ROOT / root).rglob("*.py")):
            if "migrations" in path.parts:
                continue
            missing += [
                f"{path.relative_to(REPO_ROOT)}:{line}: {m!r}" for line, m in _python_messages(path) if m not in known
            ]
    for path in sorted((REPO_ROOT / "frontend_templates").rglob("*.html")):
        missing += [
            f"{path.relative_to(REPO_ROOT)}:{line}: {m!r}" for line, m in _template_messages(path) if m not in known
        ]
    assert missing == [], "not in the zh-hans catalogue:\n" + "\n".join(missing)

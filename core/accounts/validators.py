"""Password rules beyond Django's own (GB/T 22239-2019 身份鉴别: passwords of sufficient complexity)."""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

CLASSES = (
    ("lower", str.islower),
    ("upper", str.isupper),
    ("digit", str.isdigit),
    ("symbol", lambda char: not char.isalnum() and not char.isspace()),
)


class CharacterClassesValidator:
    """At least `min_classes` of four kinds of character: lower-case letters, upper-case letters, digits, symbols."""

    def __init__(self, min_classes: int = 3):
        self.min_classes = min_classes

    def validate(self, password: str, user=None) -> None:
        found = sum(1 for _name, test in CLASSES if any(test(char) for char in password))
        if found < self.min_classes:
            raise ValidationError(
                ngettext(
                    "Use at least %(count)d kind of character: lower-case and upper-case letters, digits, symbols.",
                    "Use at least %(count)d of these kinds of character: lower-case and upper-case letters, digits, "
                    "symbols.",
                    self.min_classes,
                )
                % {"count": self.min_classes},
                code="password_too_simple",
            )

    def get_help_text(self) -> str:
        return _("At least %(count)d of: lower-case letters, upper-case letters, digits, symbols.") % {
            "count": self.min_classes
        }

from django import forms
from django.utils.translation import gettext_lazy as _

from core.common.forms import Form


class OneTimeCodeInput(forms.TextInput):
    """A code field shown empty again after a refusal: a refused code is kept nowhere, not even on the page."""

    def format_value(self, value):
        return None


class CodeForm(Form):
    """A code of the second factor: the authenticator's 6 digits, or (when signing in) a recovery code."""

    code = forms.CharField(
        label=_("Two-factor code"),
        max_length=32,
        widget=OneTimeCodeInput(attrs={"autocomplete": "one-time-code", "autofocus": True, "spellcheck": "false"}),
    )

    def __init__(self, *args, digits_only: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if digits_only:
            self.fields["code"].label = _("6-digit code")
            self.fields["code"].widget.attrs["inputmode"] = "numeric"
        else:
            self.fields["code"].help_text = _(
                "The 6 digits your authenticator app shows now, or one of your recovery codes."
            )

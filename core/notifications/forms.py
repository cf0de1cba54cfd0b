from django import forms

from core.common.forms import Form
from core.notifications.kinds import KINDS


def field_name(kind: str, channel: str) -> str:
    return f"{kind}.{channel}"


class PreferencesForm(Form):
    """Per kind of notification: also by e-mail, also by SMS (fields `<kind>.email`, `<kind>.sms`)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for code, kind in KINDS.items():
            for channel in ("email", "sms"):
                self.fields[field_name(code, channel)] = forms.BooleanField(label=kind.label, required=False)

    def choices(self) -> dict[str, tuple[bool, bool]]:
        data = self.cleaned_data
        return {code: (data[field_name(code, "email")], data[field_name(code, "sms")]) for code in KINDS}

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _

from core.common.forms import Form
from tenants.selectors import membership_get


class StationAuthenticationForm(Form, AuthenticationForm):
    """Sign-in on a station host: only the station's active members get in."""

    error_messages = {
        **AuthenticationForm.error_messages,
        "not_member": _("This account is not a member of this station. Ask the station head to add you."),
    }

    def confirm_login_allowed(self, user):
        super().confirm_login_allowed(user)
        self.membership = membership_get(user=user, station=self.request.tenant)
        if self.membership is None:
            raise forms.ValidationError(self.error_messages["not_member"], code="not_member")

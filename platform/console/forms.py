"""Forms of the bureau console. They check types and shapes; the rules are the services' (their errors come back
onto these forms field by field)."""

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.utils.translation import gettext_lazy as _

from core.common.forms import DATE, Form
from core.districts import District
from core.network.models import ReferralPolicy
from tenants.models import StationStatus


class PeriodForm(Form):
    """The period the referral pages look at: referrals requested from / to (either may be left open)."""

    requested_from = forms.DateField(required=False, widget=DATE, label=_("Requested from"))
    requested_to = forms.DateField(required=False, widget=DATE, label=_("Requested to"))

    def clean(self):
        data = super().clean()
        start, end = data.get("requested_from"), data.get("requested_to")
        if start and end and start > end:
            raise ValidationError({"requested_to": _("The end of the period is before its start.")})
        return data


def _bounds(field) -> dict:
    """The model field's own bounds as the browser's min/max hints."""
    bounds = {}
    for validator in field._validators:
        if isinstance(validator, MinValueValidator):
            bounds["min"] = validator.limit_value
        elif isinstance(validator, MaxValueValidator):
            bounds["max"] = validator.limit_value
    return bounds


ACCEPT_DAYS = ReferralPolicy._meta.get_field("accept_working_days")


class ReferralPolicyForm(Form):
    # The form checks only that it is a whole number: what is allowed (the model's validators) is the service's say.
    accept_working_days = forms.IntegerField(
        label=ACCEPT_DAYS.verbose_name, widget=forms.NumberInput(attrs=_bounds(ACCEPT_DAYS))
    )


class StationCreateForm(Form):
    """The onboarding form: the station's facts and its head. The host follows from the code; whether a name, code or
    host is free, and the shapes the model allows, are the service's say."""

    name = forms.CharField(label=_("Station name"), max_length=100)
    code = forms.CharField(
        label=_("Code"),
        max_length=30,
        help_text=_("2 to 30 lower-case letters and digits, starting with a letter."),
        widget=forms.TextInput(attrs={"autocapitalize": "none", "spellcheck": "false"}),
    )
    district = forms.ChoiceField(label=_("District"), choices=[("", "—"), *District.choices])
    address = forms.CharField(label=_("Address"), max_length=200)
    service_phone = forms.CharField(label=_("Service phone"), max_length=30)
    complaint_phone = forms.CharField(label=_("Complaint phone"), max_length=30)
    hours = forms.CharField(
        label=_("Opening hours"), max_length=200, help_text=_("For example: Monday to Friday 8:30–17:00")
    )
    founding_body = forms.CharField(
        label=_("Founding body"), max_length=200, help_text=_("The organisation that set up the station.")
    )
    head_full_name = forms.CharField(label=_("Station head's full name"), max_length=100)
    head_phone = forms.CharField(label=_("Station head's phone"), max_length=30)
    head_email = forms.EmailField(
        label=_("Station head's e-mail"), help_text=_("The invitation to set a password is sent here.")
    )

    STATION_FIELDS = (
        "name",
        "code",
        "district",
        "address",
        "service_phone",
        "complaint_phone",
        "hours",
        "founding_body",
    )
    HEAD_FIELDS = ("head_full_name", "head_phone", "head_email")

    def station_fields(self):
        return [self[name] for name in self.STATION_FIELDS]

    def head_fields(self):
        return [self[name] for name in self.HEAD_FIELDS]


class StationStatusForm(Form):
    """Suspend or reactivate a station (the service says which change is allowed and that a suspension needs its
    reason)."""

    status = forms.ChoiceField(
        choices=[(StationStatus.SUSPENDED, _("Suspend")), (StationStatus.PUBLISHED, _("Reactivate"))],
        widget=forms.HiddenInput,
    )
    reason = forms.CharField(
        label=_("Reason"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 3})
    )

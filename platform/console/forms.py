"""Forms of the bureau console. They check types and shapes; the rules are the services' (their errors come back
onto these forms field by field)."""

import datetime

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.network.models import ReferralPolicy

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
DEFAULT_PERIOD_DAYS = 90


def default_period() -> tuple[datetime.date, datetime.date]:
    """The last 90 days, today included (the city's calendar)."""
    today = timezone.localdate()
    return today - datetime.timedelta(days=DEFAULT_PERIOD_DAYS), today


class PeriodForm(forms.Form):
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


class ReferralPolicyForm(forms.Form):
    # The form checks only that it is a whole number: what is allowed (the model's validators) is the service's say.
    accept_working_days = forms.IntegerField(
        label=ACCEPT_DAYS.verbose_name, widget=forms.NumberInput(attrs=_bounds(ACCEPT_DAYS))
    )

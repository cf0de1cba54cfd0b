"""Forms of the referral pages. They check types and shapes; every rule is `core.referrals.services`'. A service's
refusal comes back onto these forms field by field (`core.desk.forms.errors_onto`), keeping everything typed."""

from django import forms
from django.utils.translation import gettext_lazy as _

from core.catalog.forms import ServiceItemChoiceField
from core.common.forms import DATETIME, DATETIME_FORMATS, Form
from core.districts import District
from core.referrals.models import ConsentChannel, Referral
from tenants.models import Station, User


def _blank(choices, label="—"):
    return [("", label), *choices]


def consent_channel_field() -> forms.ChoiceField:
    """How the enterprise agreed to its data going elsewhere: the same field wherever data leaves the station."""
    return forms.ChoiceField(
        choices=_blank(ConsentChannel.choices),
        required=False,
        label=Referral._meta.get_field("consent_channel").verbose_name,
    )


def consent_at_field() -> forms.DateTimeField:
    return forms.DateTimeField(
        required=False,
        widget=DATETIME,
        input_formats=DATETIME_FORMATS,
        label=Referral._meta.get_field("consent_at").verbose_name,
    )


class StationFilterForm(Form):
    """Narrow the stations a case may be referred to (the refer page's GET)."""

    district = forms.ChoiceField(choices=_blank(District.choices), required=False, label=_("District"))
    item = ServiceItemChoiceField(
        required=False,
        empty_label=_("Any item"),
        label=_("Serves the catalog item"),
    )
    q = forms.CharField(required=False, max_length=100, label=_("Station name"))


class ReferForm(Form):
    """The referral itself: to which station, why, what is asked, what travels, and the enterprise's consent."""

    # Rendered by the page as one radio per listed candidate; the service says which stations may take it.
    station = forms.ModelChoiceField(queryset=Station.objects.all(), required=False, label=_("Station"))
    reason = forms.CharField(
        required=False, widget=forms.Textarea(attrs={"rows": 3}), label=Referral._meta.get_field("reason").verbose_name
    )
    ask = forms.CharField(
        required=False, widget=forms.Textarea(attrs={"rows": 3}), label=Referral._meta.get_field("ask").verbose_name
    )
    parts = forms.MultipleChoiceField(
        choices=(), required=False, widget=forms.CheckboxSelectMultiple, label=_("What else of the demand form travels")
    )
    consent_channel = consent_channel_field()
    consent_at = consent_at_field()
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, share_options=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["parts"].choices = list(share_options)


class AcceptForm(Form):
    assignee = forms.ModelChoiceField(
        queryset=User.objects.none(),
        required=False,
        empty_label=_("Me"),
        label=_("Who serves the case"),
    )
    version = forms.IntegerField(widget=forms.HiddenInput)

    def __init__(self, *args, members=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assignee"].queryset = members if members is not None else User.objects.none()
        self.fields["assignee"].label_from_instance = lambda user: user.display_name


class DeclineForm(Form):
    reason = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}), label=_("Why it is declined"))
    version = forms.IntegerField(widget=forms.HiddenInput)


class WithdrawForm(Form):
    reason = forms.CharField(
        required=False, widget=forms.Textarea(attrs={"rows": 2}), label=_("Why it is withdrawn (optional)")
    )
    version = forms.IntegerField(widget=forms.HiddenInput)


class HandoverForm(Form):
    """What of the demand form the station hands to an institution, and the enterprise's consent to it."""

    parts = forms.MultipleChoiceField(
        choices=(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label=_("What else of the demand form is handed over"),
    )
    consent_channel = consent_channel_field()
    consent_at = consent_at_field()
    version = forms.IntegerField(widget=forms.HiddenInput)

    def __init__(self, *args, share_options=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["parts"].choices = list(share_options)


class RecordStateForm(Form):
    """A step of an institution's referral, recorded by the station on the institution's behalf."""

    to = forms.ChoiceField(choices=(), label=_("New state"))
    reason = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        label=_("Reason (needed to decline or to record a failure)"),
    )
    outcome = forms.CharField(
        required=False, widget=forms.Textarea(attrs={"rows": 2}), label=_("Outcome (needed to complete)")
    )
    # What the institution's work was, when completing (the station's service record starts from it).
    on_site_at = forms.DateTimeField(
        required=False,
        widget=DATETIME,
        input_formats=DATETIME_FORMATS,
        label=_("On-site handling time (when completing)"),
    )
    service_ended_at = forms.DateTimeField(
        required=False,
        widget=DATETIME,
        input_formats=DATETIME_FORMATS,
        label=_("Service end time (when completing)"),
    )
    technician = forms.CharField(required=False, max_length=50, label=_("Technician (when completing)"))
    version = forms.IntegerField(widget=forms.HiddenInput)

    def __init__(self, *args, states=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["to"].choices = [(state.value, state.label) for state in states]

"""Forms of complaints: types only; the rules are the services'."""

from django import forms
from django.utils.translation import gettext_lazy

from core.common.forms import Form
from core.complaints.models import ComplaintState, Feedback
from core.supervision.models import OpinionChannel


class ComplaintForm(Form):
    channel = forms.ChoiceField(label=gettext_lazy("Channel"), choices=OpinionChannel.choices)
    subject = forms.CharField(label=gettext_lazy("Complaint"), widget=forms.Textarea(attrs={"rows": 5}))
    received_at = forms.DateTimeField(label=gettext_lazy("Received at"), required=False)
    complainant_name = forms.CharField(label=gettext_lazy("Complainant"), required=False, max_length=100)
    complainant_phone = forms.CharField(label=gettext_lazy("Phone"), required=False, max_length=30)
    complainant_email = forms.EmailField(label=gettext_lazy("E-mail"), required=False)
    case = forms.CharField(label=gettext_lazy("Case number (optional)"), required=False)


class ComplaintFilterForm(Form):
    state = forms.ChoiceField(label=gettext_lazy("State"), choices=[("", "—"), *ComplaintState.choices], required=False)
    overdue = forms.BooleanField(label=gettext_lazy("Overdue only"), required=False)
    escalated = forms.NullBooleanField(
        label=gettext_lazy("Escalated"),
        required=False,
        widget=forms.Select(choices=[("", "—"), ("true", gettext_lazy("Yes")), ("false", gettext_lazy("No"))]),
    )
    q = forms.CharField(label=gettext_lazy("Text"), required=False)


class TransitionForm(Form):
    to = forms.ChoiceField(choices=ComplaintState.choices, widget=forms.HiddenInput)
    version = forms.IntegerField(widget=forms.HiddenInput)
    text = forms.CharField(label=gettext_lazy("Note"), widget=forms.Textarea(attrs={"rows": 3}), required=False)


class RespondForm(TransitionForm):
    text = forms.CharField(
        label=gettext_lazy("Response to the complainant"), widget=forms.Textarea(attrs={"rows": 4}), required=False
    )


class CloseForm(TransitionForm):
    feedback = forms.ChoiceField(
        label=gettext_lazy("Complainant's feedback"),
        choices=[("", "—"), *Feedback.choices],
        required=False,
    )
    feedback_text = forms.CharField(
        label=gettext_lazy("Feedback in words"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )
    text = forms.CharField(widget=forms.HiddenInput, required=False)


class EscalateForm(Form):
    reason = forms.CharField(
        label=gettext_lazy("Why it goes to the bureau"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )
    unresolvable = forms.BooleanField(
        label=gettext_lazy("The dispute cannot be settled at the station (escalate before responding)"),
        required=False,
    )


class CaseLinkForm(Form):
    case = forms.CharField(label=gettext_lazy("Case number"), required=False)

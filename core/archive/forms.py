from django import forms
from django.utils.translation import gettext_lazy as _

from core.archive.models import AccessAction
from core.common.forms import Form


class AccessLogFilterForm(Form):
    user = forms.TypedChoiceField(label=_("User"), required=False, coerce=int, empty_value=None)
    action = forms.ChoiceField(label=_("Action"), required=False, choices=[("", "—"), *AccessAction.choices])
    enterprise = forms.CharField(label=_("Enterprise"), required=False, max_length=100)
    date_from = forms.DateField(label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    date_to = forms.DateField(label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args, members=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["user"].choices = [("", "—"), *((m.pk, str(m)) for m in members)]


class DisposalRequestForm(Form):
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 2}))


class ConfidentialForm(Form):
    confidential = forms.BooleanField(label=_("Confidential"), required=False)
    reason = forms.CharField(label=_("Reason"), required=False, max_length=500)

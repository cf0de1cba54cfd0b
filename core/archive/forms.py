from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from core.archive.models import AccessAction, AccessChannel
from core.common.forms import Form


class AccessLogFilterForm(Form):
    """The access log's filters: per member (`user`), per enterprise (`enterprise`, its id, as the enterprise's
    archive page links to it; `q` finds enterprises by name or USCC), by action, channel and dates."""

    user = forms.TypedChoiceField(label=_("Member"), required=False, coerce=int, empty_value=None)
    enterprise = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)
    q = forms.CharField(label=_("Enterprise"), required=False, max_length=100)
    action = forms.ChoiceField(label=_("Action"), required=False, choices=[("", "—"), *AccessAction.choices])
    channel = forms.ChoiceField(label=_("Channel"), required=False, choices=[("", "—"), *AccessChannel.choices])
    date_from = forms.DateField(
        label=pgettext_lazy("dates", "From"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = forms.DateField(
        label=pgettext_lazy("dates", "To"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(self, *args, members=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["user"].choices = [("", "—"), *((m.pk, str(m)) for m in members)]


class DisposalRequestForm(Form):
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 2}))


class ConfidentialForm(Form):
    confidential = forms.BooleanField(label=_("Confidential"), required=False)
    reason = forms.CharField(label=_("Reason"), required=False, max_length=500)

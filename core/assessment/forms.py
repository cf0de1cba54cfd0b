"""Forms of the assessment pages: types and shapes only; the rules are the services', whose field errors come back
onto them (`core.desk.forms.errors_onto`)."""

from django import forms
from django.utils.translation import gettext_lazy as _

from core.assessment.models import Level, PeriodKind, ReviewConclusion
from core.common.forms import DATE, Form
from tenants.models import User

LEVELS = [("", "—"), *Level.choices]


class MarkForm(Form):
    reason = forms.CharField(label=_("Why it is reviewed"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))


class ReviewForm(Form):
    findings = forms.CharField(label=_("Findings"), max_length=8000, widget=forms.Textarea(attrs={"rows": 4}))
    conclusion = forms.ChoiceField(label=_("Conclusion"), choices=[("", "—"), *ReviewConclusion.choices])
    follow_up = forms.CharField(
        label=_("Follow-up"), max_length=4000, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class PeriodForm(Form):
    """A month or a quarter, named by any day in it."""

    period_kind = forms.ChoiceField(label=_("Period"), choices=PeriodKind.choices, initial=PeriodKind.MONTH)
    day = forms.DateField(label=_("Any day in it"), widget=DATE)


class OpenForm(PeriodForm):
    member = forms.ModelChoiceField(
        label=_("Member"), queryset=User.objects.none(), required=False, empty_label=_("Every staff member")
    )

    def __init__(self, *args, members=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["member"].queryset = members if members is not None else User.objects.none()
        self.fields["member"].label_from_instance = lambda user: user.display_name


class AdjustForm(Form):
    version = forms.IntegerField(widget=forms.HiddenInput)
    civility = forms.ChoiceField(label=_("Civility"), choices=LEVELS, required=False)
    civility_remark = forms.CharField(label=_("Remark on civility"), required=False, max_length=2000)
    timeliness = forms.ChoiceField(label=_("Timeliness"), choices=LEVELS, required=False)
    timeliness_remark = forms.CharField(label=_("Remark on timeliness"), required=False, max_length=2000)
    accuracy = forms.ChoiceField(label=_("Accuracy"), choices=LEVELS, required=False)
    accuracy_remark = forms.CharField(label=_("Remark on accuracy"), required=False, max_length=2000)
    remark = forms.CharField(
        label=_("Overall remark"), required=False, max_length=4000, widget=forms.Textarea(attrs={"rows": 2})
    )


class VersionForm(Form):
    version = forms.IntegerField(widget=forms.HiddenInput)

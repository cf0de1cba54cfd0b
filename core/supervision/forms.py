"""Forms of public supervision: the public opinion form (with its spam guard) and the staff's forms. Types only; the
rules are the services'."""

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy

from core.common.forms import Form, GuardedForm
from core.supervision import services
from core.supervision.models import OpinionChannel, OpinionKind, OpinionState, OpinionTopic

PUBLIC_KINDS = OpinionKind.choices


class PublicOpinionForm(GuardedForm):
    """The public form. `website` is a honeypot (hidden from people; a robot fills it) and `stamp` the signed time
    the form was shown (see `services.form_stamp_check`)."""

    kind = forms.ChoiceField(label=gettext_lazy("This is a"), choices=PUBLIC_KINDS, initial=OpinionKind.SUGGESTION)
    text = forms.CharField(label=gettext_lazy("Your opinion"), widget=forms.Textarea(attrs={"rows": 6}))
    anonymous = forms.BooleanField(label=gettext_lazy("Send anonymously"), required=False, initial=True)
    name = forms.CharField(label=gettext_lazy("Name"), required=False, max_length=100)
    phone = forms.CharField(label=gettext_lazy("Phone"), required=False, max_length=30)
    email = forms.EmailField(label=gettext_lazy("E-mail"), required=False)
    photo = forms.FileField(
        label=gettext_lazy("Photo (optional)"),
        required=False,
        help_text=gettext_lazy("A JPEG or PNG photo of up to %(size)s MB.")
        % {"size": settings.SUPERVISION_PHOTO_MAX_BYTES // (1024 * 1024)},
    )

    def stamp_check(self, *, stamp: str) -> None:
        services.form_stamp_check(stamp=stamp)


class LogOpinionForm(Form):
    channel = forms.ChoiceField(
        label=gettext_lazy("Channel"), choices=[(c.value, c.label) for c in services.STAFF_CHANNELS]
    )
    kind = forms.ChoiceField(label=gettext_lazy("Kind"), choices=OpinionKind.choices)
    text = forms.CharField(label=gettext_lazy("Opinion"), widget=forms.Textarea(attrs={"rows": 5}))
    received_at = forms.DateTimeField(label=gettext_lazy("Received at"), required=False)
    anonymous = forms.BooleanField(label=gettext_lazy("Anonymous"), required=False)
    name = forms.CharField(label=gettext_lazy("Name"), required=False, max_length=100)
    phone = forms.CharField(label=gettext_lazy("Phone"), required=False, max_length=30)
    email = forms.EmailField(label=gettext_lazy("E-mail"), required=False)
    case = forms.CharField(label=gettext_lazy("Case number (optional)"), required=False)
    photo = forms.FileField(label=gettext_lazy("Photo (optional)"), required=False)


class OpinionFilterForm(Form):
    state = forms.ChoiceField(label=gettext_lazy("State"), choices=[("", "—"), *OpinionState.choices], required=False)
    kind = forms.ChoiceField(label=gettext_lazy("Kind"), choices=[("", "—"), *OpinionKind.choices], required=False)
    channel = forms.ChoiceField(
        label=gettext_lazy("Channel"), choices=[("", "—"), *OpinionChannel.choices], required=False
    )
    topic = forms.ChoiceField(label=gettext_lazy("Topic"), choices=OpinionTopic.choices, required=False)
    q = forms.CharField(label=gettext_lazy("Text"), required=False)


class ClassifyForm(Form):
    kind = forms.ChoiceField(label=gettext_lazy("Kind"), choices=OpinionKind.choices)
    topic = forms.ChoiceField(label=gettext_lazy("Topic"), choices=OpinionTopic.choices, required=False)
    case = forms.CharField(label=gettext_lazy("Case number (optional)"), required=False)


class AnswerForm(Form):
    answer = forms.CharField(label=gettext_lazy("Answer"), widget=forms.Textarea(attrs={"rows": 4}), required=False)


class PlanForm(Form):
    what = forms.CharField(label=gettext_lazy("What will be improved"), widget=forms.Textarea(attrs={"rows": 3}))
    owner = forms.TypedChoiceField(label=gettext_lazy("Owner"), coerce=int, choices=())
    due_on = forms.DateField(label=gettext_lazy("Due on"), widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args, members=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].choices = [(user.pk, user.display_name) for user in members]


class PlanDoneForm(Form):
    result = forms.CharField(label=gettext_lazy("Result"), widget=forms.Textarea(attrs={"rows": 3}), required=False)


class PublishForm(Form):
    public_result = forms.CharField(
        label=gettext_lazy("Result to publish"),
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        help_text=gettext_lazy("Left empty: the results of the done improvement plans, else the answer."),
    )

"""Forms of evaluation rounds, one per item on the self-assessment and review pages (prefixed with the item's code).
They check types and shapes only; the rules are the services', whose errors come back onto them item by item."""

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from core.common.forms import DATE, Form
from core.evaluation.checklist import CHECKLIST
from core.evaluation.models import PASS_MARK_MAX, WEIGHT_MAX, Conclusion

MET = {"yes": True, "no": False}


class MetField(forms.TypedChoiceField):
    """Met / not met as radio buttons; left blank: not answered yet (None)."""

    def __init__(self, **kwargs):
        super().__init__(
            choices=[("yes", _("Met")), ("no", _("Not met"))],
            coerce=MET.get,
            empty_value=None,
            required=False,
            widget=forms.RadioSelect,
            **kwargs,
        )


def met_initial(value: bool | None) -> str | None:
    return None if value is None else ("yes" if value else "no")


class SelfAssessmentForm(Form):
    met = MetField(label=_("Self-assessment"))
    note = forms.CharField(label=_("Note"), required=False, max_length=4000, widget=forms.Textarea(attrs={"rows": 2}))
    file = forms.FileField(
        label=_("Add evidence"),
        required=False,
        widget=forms.FileInput(attrs={"accept": ".jpg,.jpeg,.png,.pdf,.docx,.xlsx"}),
    )
    # Shown only for an item that takes the operations figures (the page words its label by what is attached).
    figures = forms.BooleanField(label=_("Attach the operations figures"), required=False)


class ReviewForm(Form):
    """Met (the item's full weight) or not met (0), or a score of its own (0 to the weight; the page sets its `max`)."""

    met = MetField(label=_("Review"))
    score = forms.IntegerField(
        label=_("Score"),
        required=False,
        min_value=0,
        max_value=WEIGHT_MAX,
        widget=forms.NumberInput(attrs={"inputmode": "numeric", "class": "narrow"}),
    )
    remark = forms.CharField(
        label=_("Remark"), required=False, max_length=4000, widget=forms.Textarea(attrs={"rows": 2})
    )


class ConclusionForm(Form):
    conclusion = forms.ChoiceField(
        label=_("Conclusion"), choices=Conclusion.choices, required=False, widget=forms.RadioSelect
    )
    rectify_by = forms.DateField(label=_("Rectify by"), required=False, widget=DATE)
    summary = forms.CharField(
        label=_("Summary (the reason, when rejected)"),
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class TemplateForm(Form):
    """A round template: its pass mark and one weight per checklist item, each field named by the item's code."""

    pass_mark = forms.IntegerField(label=_("Pass mark"), min_value=1, max_value=PASS_MARK_MAX)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for entry in CHECKLIST:
            self.fields[entry.code] = forms.IntegerField(
                label=entry.code,
                min_value=1,
                max_value=WEIGHT_MAX,
                widget=forms.NumberInput(attrs={"inputmode": "numeric", "class": "narrow"}),
            )

    def weights(self) -> dict[str, int]:
        return {entry.code: self.cleaned_data[entry.code] for entry in CHECKLIST}


class ScheduleForm(Form):
    due_on = forms.DateField(label=_("Re-evaluation on"), widget=DATE)


def item_forms(form_class, items, data=None, files=None, initial=None) -> dict[str, forms.Form]:
    """One form per item, prefixed with its code; `initial(item)` gives an unbound form's values."""
    return {
        item.code: form_class(
            data, files, prefix=item.code, initial=None if data is not None or initial is None else initial(item)
        )
        for item in items
    }


def item_errors_onto(item_forms_by_code: dict[str, forms.Form], error: ValidationError, top=None) -> list[str]:
    """Put a service's errors onto the item forms (keys `<item code>.<field>`) or onto `top` (a form: its own fields
    by name); what fits nowhere is returned, to show at the top of the page."""
    rest = []
    for key, messages in error.message_dict.items():
        code, _dot, name = key.rpartition(".")
        form = item_forms_by_code.get(code)
        if form is not None:
            form.add_error(name if name in form.fields else None, messages)
        elif top is not None and key in top.fields:
            top.add_error(key, messages)
        else:
            rest.extend(messages)
    return rest

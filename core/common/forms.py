"""The base classes of every page form: `Form` and `ModelForm`, holding the input rules of `core.common.text`.

Every field of a form built on them gets, when its class is made (and, for a field added in `__init__`, before the form
is cleaned):
- a text field: the text rule (no NUL, no control characters; tabs and line breaks only in a text area);
- a date or date-time field: dates between 1900 and 2100, the range named in the message;
- a whole-number field without a maximum (or minimum) of its own: PostgreSQL's `integer` range.

So a form refuses such input with a field-level message and is shown again with everything typed kept, like any other
refusal; a new form and a new field get the rules without asking.
"""

from django import forms
from django.contrib import messages as flash
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, ProhibitNullCharactersValidator
from django.forms.forms import DeclarativeFieldsMetaclass
from django.forms.models import ModelFormMetaclass
from django.utils.choices import BlankChoiceIterator
from django.utils.translation import gettext, gettext_lazy

from core.common.text import INTEGER_MAX, INTEGER_MIN, DateRangeValidator, TextValidator

RULES_APPLIED = "_input_rules_applied"

# The widgets of dates and times every page uses: the browser's own pickers.
DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
DATETIME = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
DATETIME_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S"]


def field_rules_apply(field: forms.Field) -> forms.Field:
    """Gives `field` the input rules that fit its kind (once)."""
    if getattr(field, RULES_APPLIED, False):
        return field
    if isinstance(field, forms.CharField):
        multiline = isinstance(field.widget, forms.Textarea)
        # Ours names NUL too (with a correct Chinese message): Django's own would say it a second time.
        field.validators = [v for v in field.validators if not isinstance(v, ProhibitNullCharactersValidator)]
        field.validators.append(TextValidator(multiline=multiline))
    elif isinstance(field, forms.DateField | forms.DateTimeField):
        field.validators.append(DateRangeValidator())
    elif isinstance(field, forms.IntegerField):
        if field.max_value is None:
            field.max_value = INTEGER_MAX
            field.validators.append(MaxValueValidator(INTEGER_MAX))
        if field.min_value is None:
            field.min_value = INTEGER_MIN
            field.validators.append(MinValueValidator(INTEGER_MIN))
    elif isinstance(field, forms.MultiValueField):
        for subfield in field.fields:
            field_rules_apply(subfield)
    _blank_choice_plain(field)
    setattr(field, RULES_APPLIED, True)
    return field


# Django's empty choice of a model field's select: shown as a dash like every other select of the product.
DJANGO_BLANK = "---------"
BLANK = "—"


def _blank_choice_plain(field: forms.Field) -> None:
    if isinstance(field, forms.ModelChoiceField):
        if field.empty_label == DJANGO_BLANK:
            field.empty_label = BLANK
    elif isinstance(field, forms.ChoiceField) and isinstance(field.choices, list | tuple | BlankChoiceIterator):
        # a model field's choices with Django's blank (never a lazy query: those are ModelChoiceField's)
        choices = list(field.choices)
        if choices and choices[0] == ("", DJANGO_BLANK):
            field.choices = [("", BLANK), *choices[1:]]


def _fields_rules_apply(fields) -> None:
    for field in fields.values():
        field_rules_apply(field)


class FieldRulesMetaclass(DeclarativeFieldsMetaclass):
    def __new__(mcs, name, bases, attrs):
        new_class = super().__new__(mcs, name, bases, attrs)
        _fields_rules_apply(new_class.base_fields)
        return new_class


class ModelFieldRulesMetaclass(ModelFormMetaclass):
    def __new__(mcs, name, bases, attrs):
        new_class = super().__new__(mcs, name, bases, attrs)
        _fields_rules_apply(new_class.base_fields)
        return new_class


class FieldRulesMixin:
    """Fields added to `self.fields` after the class was made (in a form's `__init__`) get the rules before cleaning."""

    def full_clean(self):
        _fields_rules_apply(self.fields)
        super().full_clean()


class Form(FieldRulesMixin, forms.Form, metaclass=FieldRulesMetaclass):
    pass


class ModelForm(FieldRulesMixin, forms.ModelForm, metaclass=ModelFieldRulesMetaclass):
    pass


def errors_onto(form: forms.Form, error: ValidationError, formsets: dict | None = None, sources: dict | None = None):
    """Put a service's errors onto the form: a field's on the field, a table row's (`table.position.field`) on that
    row's form, anything else (and an error of no field at all) at the top."""
    if not hasattr(error, "error_dict"):
        form.add_error(None, error.messages)
        return
    for key, messages in error.message_dict.items():
        table, _dot, rest = key.partition(".")
        if formsets and table in formsets and rest:
            position, _dot, field = rest.partition(".")
            row_form = sources[table][int(position) - 1]
            row_form.add_error(field if field in row_form.fields else None, messages)
        elif key in form.fields:
            form.add_error(key, messages)
        else:
            form.add_error(None, messages)


def form_call(request, form: forms.Form, call, *, success: str) -> bool:
    """Run a page's service `call()` for `form`: its errors go onto the form (`errors_onto`), its success becomes a
    message for the next page. Whether it succeeded."""
    try:
        call()
    except ValidationError as error:
        errors_onto(form, error)
        return False
    flash.success(request, success)
    return True


HONEYPOT = "website"


class GuardedForm(Form):
    """A form anyone may send without signing in (a station's opinion form, an objection to a publication): `website`
    is a honeypot (hidden from people by the page; a robot fills it) and `stamp` the signed time the form was shown,
    checked by the subclass's `stamp_check(stamp=...)` (see `core.common.public_forms`)."""

    website = forms.CharField(label=gettext_lazy("Leave this field empty"), required=False)
    stamp = forms.CharField(widget=forms.HiddenInput, required=False)

    def stamp_check(self, *, stamp: str) -> None:
        raise NotImplementedError

    def clean(self):
        data = super().clean()
        if data.get(HONEYPOT):
            raise ValidationError(gettext("This form could not be accepted."), code="honeypot")
        self.stamp_check(stamp=data.get("stamp", ""))
        return data

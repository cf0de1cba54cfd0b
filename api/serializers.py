"""The base classes of every API serializer: `Serializer` and `ModelSerializer`, holding the input rules of
`core.common.text` (the API's twin of `core.common.forms`).

Every field a serializer declares or builds from its model gets, when the serializer makes its fields:
- a text field: no NUL and no control characters. Tabs and line breaks are let through, except in a field built from a
  model's one-line `CharField` (a name, an address), which takes one line like the page's input box;
- a date or date-time field: dates between 1900 and 2100, the range named in the message;
- a whole-number field without a maximum (or minimum) of its own: PostgreSQL's `integer` range (also in the schema);
- a JSON field: the text rule for every string inside it;
- a list's or a dictionary's items: the rules of their kind.
So a new serializer, and a new field, get them without asking; a test walks every serializer of the API to hold them.
"""

from django.core.validators import MaxValueValidator, MinValueValidator, ProhibitNullCharactersValidator
from rest_framework import serializers
from rest_framework.utils.formatting import lazy_format

from core.common.text import INTEGER_MAX, INTEGER_MIN, DateRangeValidator, NestedTextValidator, TextValidator

RULES_APPLIED = "_input_rules_applied"


def _multiline(field: serializers.Field) -> bool:
    return field.style.get("base_template") != "input.html"


def field_rules_apply(field: serializers.Field, *, multiline: bool = True) -> serializers.Field:
    """Gives `field` the input rules that fit its kind (once)."""
    if getattr(field, RULES_APPLIED, False):
        return field
    if isinstance(field, serializers.CharField):
        field.validators = [v for v in field.validators if not isinstance(v, ProhibitNullCharactersValidator)]
        field.validators.append(TextValidator(multiline=multiline and _multiline(field)))
    elif isinstance(field, serializers.DateField | serializers.DateTimeField):
        field.validators.append(DateRangeValidator())
    elif isinstance(field, serializers.IntegerField):
        if field.max_value is None:
            field.max_value = INTEGER_MAX
            message = lazy_format(field.error_messages["max_value"], max_value=INTEGER_MAX)
            field.validators.append(MaxValueValidator(INTEGER_MAX, message=message))
        if field.min_value is None:
            field.min_value = INTEGER_MIN
            message = lazy_format(field.error_messages["min_value"], min_value=INTEGER_MIN)
            field.validators.append(MinValueValidator(INTEGER_MIN, message=message))
    elif isinstance(field, serializers.JSONField):
        field.validators.append(NestedTextValidator())
    elif isinstance(field, serializers.ListField | serializers.DictField):
        field_rules_apply(field.child)
    setattr(field, RULES_APPLIED, True)
    return field


class FieldRulesMixin:
    def get_fields(self):
        fields = super().get_fields()
        declared = self._declared_fields
        for name, field in fields.items():
            # A field a ModelSerializer built from a one-line model field (a CharField, not a TextField) is one line.
            built = isinstance(self, serializers.ModelSerializer) and name not in declared
            multiline = not built or field.style.get("base_template") == "textarea.html"
            field_rules_apply(field, multiline=multiline)
        return fields


class Serializer(FieldRulesMixin, serializers.Serializer):
    pass


class ModelSerializer(FieldRulesMixin, serializers.ModelSerializer):
    pass

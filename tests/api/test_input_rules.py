"""Every serializer of the API holds the input rules (`api.serializers`): a walk over all of them and all their fields,
nested ones and list items included, so that a new serializer or field without them fails here."""

import importlib
import pkgutil

import pytest
from rest_framework import serializers

import api
import api.serializers as api_serializers_module
from api.serializers import FieldRulesMixin
from core.common.text import INTEGER_MAX, DateRangeValidator, NestedTextValidator, TextValidator

BIGINT_MAX = 2**63 - 1


def _api_modules():
    return [importlib.import_module(module.name) for module in pkgutil.walk_packages(api.__path__, "api.")]


def _subclasses(cls):
    for subclass in cls.__subclasses__():
        yield subclass
        yield from _subclasses(subclass)


def _is_serializer(value) -> bool:
    return isinstance(value, type) and issubclass(value, serializers.Serializer)


def api_serializers() -> list[type]:
    """Every serializer class of the API: those its modules define, and those they build with type() (whose module is
    the metaclass's), found among the modules' names and the dictionaries they keep them in."""
    found = {cls for cls in _subclasses(serializers.Serializer) if cls.__module__.startswith("api.v1.")}
    for module in _api_modules():
        for value in vars(module).values():
            candidates = value.values() if isinstance(value, dict) else [value]
            found.update(candidate for candidate in candidates if _is_serializer(candidate))
    # Abstract bases (a ModelSerializer without its Meta) are checked through their subclasses.
    found = {cls for cls in found if not (issubclass(cls, serializers.ModelSerializer) and not hasattr(cls, "Meta"))}
    found -= {api_serializers_module.Serializer, api_serializers_module.ModelSerializer}
    return sorted(found, key=lambda cls: (cls.__module__, cls.__qualname__))


def walk(field: serializers.Field, path: str):
    """Every field under `field` with its dotted path."""
    if isinstance(field, serializers.ListSerializer):
        yield from walk(field.child, path + "[]")
    elif isinstance(field, serializers.BaseSerializer):
        for name, child in field.fields.items():
            yield from walk(child, f"{path}.{name}")
    else:
        yield path, field
        if isinstance(field, serializers.ListField | serializers.DictField):
            yield from walk(field.child, path + "[]")


def test_the_walk_finds_the_apis_serializers():
    names = {cls.__name__ for cls in api_serializers()}
    assert {"EnterpriseSerializer", "DemandInput", "EquipmentInput", "MatrixFilter", "InstrumentRowSerializer"} <= names
    assert len(names) > 80


@pytest.mark.parametrize("cls", api_serializers(), ids=lambda cls: f"{cls.__module__}.{cls.__qualname__}")
def test_every_field_of_every_serializer_holds_the_input_rules(cls):
    assert issubclass(cls, FieldRulesMixin), f"{cls.__name__} must inherit api.serializers.Serializer/ModelSerializer"
    for path, field in walk(cls(), cls.__name__):
        if field.read_only:
            continue  # only what comes in is checked
        if isinstance(field, serializers.CharField):
            text_rules = [v for v in field.validators if isinstance(v, TextValidator)]
            assert len(text_rules) == 1, path
        elif isinstance(field, serializers.DateField | serializers.DateTimeField):
            assert any(isinstance(v, DateRangeValidator) for v in field.validators), path
        elif isinstance(field, serializers.IntegerField):
            # PostgreSQL's integer, or a model field's own (smaller, or a bigint's) range.
            assert field.max_value is not None and field.max_value <= max(INTEGER_MAX, BIGINT_MAX), path
            assert field.min_value is not None, path
        elif isinstance(field, serializers.JSONField):
            assert any(isinstance(v, NestedTextValidator) for v in field.validators), path


def test_a_one_line_model_field_is_one_line_and_a_text_field_or_a_declared_one_takes_lines():
    from api.v1.desk.demands import DemandInput
    from api.v1.directory import EnterpriseSerializer
    from api.v1.supervision import OpinionSerializer

    def multiline(serializer, name):
        [rule] = [v for v in serializer.fields[name].validators if isinstance(v, TextValidator)]
        return rule.multiline

    assert multiline(EnterpriseSerializer(), "name") is False
    assert multiline(DemandInput(), "opinions") is True
    assert multiline(OpinionSerializer(), "text") is True  # a model TextField

"""Every page form holds the input rules (`core.common.forms`): a walk over all form classes of the project and their
fields, and a page refusing bad text the way it refuses anything else: the field's error, everything typed kept."""

import importlib
import pkgutil

import pytest
from django import forms
from django.conf import settings
from django.utils import translation
from django.utils.choices import CallableChoiceIterator

import console
import core
import portal
import tenants
from core.common.forms import FieldRulesMixin, Form, ModelForm
from core.common.text import INTEGER_MAX, DateRangeValidator, TextValidator
from core.directory.models import Enterprise
from tests.conftest import host_client

PACKAGES = (core, tenants, console, portal)
SKIPPED = (".migrations", ".management", ".demo")


@pytest.fixture(autouse=True)
def _language_restored():
    """A request with the language cookie leaves its language active in this thread: the next tests get theirs."""
    yield
    translation.activate(settings.LANGUAGE_CODE)


def _modules():
    for package in PACKAGES:
        for module in pkgutil.walk_packages(package.__path__, package.__name__ + "."):
            if not any(part in module.name for part in SKIPPED):
                importlib.import_module(module.name)


def _subclasses(cls):
    for subclass in cls.__subclasses__():
        yield subclass
        yield from _subclasses(subclass)


def project_forms() -> list[type]:
    _modules()
    prefixes = tuple(package.__name__ + "." for package in PACKAGES)
    found = {
        cls
        for cls in _subclasses(forms.BaseForm)
        # Forms built with type() (the demand's table rows) take the module of the metaclass that built them.
        if cls.__module__.startswith(prefixes) or issubclass(cls, FieldRulesMixin)
    }
    return sorted(found - {Form, ModelForm}, key=lambda cls: (cls.__module__, cls.__qualname__))


def test_the_walk_finds_the_projects_forms():
    names = {cls.__name__ for cls in project_forms()}
    assert {
        "DemandForm",
        "EquipmentForm",
        "StationCreateForm",
        "InstrumentRowForm",
        "StationAuthenticationForm",
    } <= names
    assert len(names) > 60


@pytest.mark.parametrize("cls", project_forms(), ids=lambda cls: f"{cls.__module__}.{cls.__qualname__}")
def test_every_field_of_every_form_holds_the_input_rules(cls):
    assert issubclass(cls, FieldRulesMixin), f"{cls.__name__} must inherit core.common.forms.Form/ModelForm"
    for name, field in cls.base_fields.items():
        if isinstance(field, forms.CharField):
            [rule] = [v for v in field.validators if isinstance(v, TextValidator)]
            assert rule.multiline is isinstance(field.widget, forms.Textarea), name
        elif isinstance(field, forms.DateField | forms.DateTimeField):
            assert any(isinstance(v, DateRangeValidator) for v in field.validators), name
        elif isinstance(field, forms.IntegerField):
            assert field.max_value is not None and field.max_value <= INTEGER_MAX, name
            assert field.min_value is not None, name


class Sample(Form):
    name = forms.CharField()
    note = forms.CharField(widget=forms.Textarea, required=False)
    day = forms.DateField(required=False)
    count = forms.IntegerField(required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["added"] = forms.CharField(required=False)


@pytest.mark.parametrize(
    ("data", "errors"),
    [
        ({"name": "甲\x07乙"}, {"name": ["control_characters_not_allowed"]}),
        ({"name": "甲\n乙"}, {"name": ["control_characters_not_allowed"]}),
        ({"name": "甲\x00乙"}, {"name": ["null_characters_not_allowed"]}),
        ({"name": "甲", "note": "一\r\n二\t三"}, {}),
        ({"name": "甲", "note": "一\x1b二"}, {"note": ["control_characters_not_allowed"]}),
        ({"name": "甲", "day": "9999-12-31"}, {"day": ["date_out_of_range"]}),
        ({"name": "甲", "day": "1899-12-31"}, {"day": ["date_out_of_range"]}),
        ({"name": "甲", "day": "2100-12-31", "count": str(INTEGER_MAX)}, {}),
        ({"name": "甲", "count": "2001112565555"}, {"count": ["max_value"]}),
        ({"name": "甲", "added": "加\x7f"}, {"added": ["control_characters_not_allowed"]}),
    ],
)
def test_a_form_refuses_each_bad_input_on_its_field(data, errors):
    form = Sample(data)
    assert form.is_valid() is not errors
    assert {name: [e.code for e in form.errors.as_data()[name]] for name in form.errors} == errors


def test_the_messages_name_the_range_and_the_character():
    with translation.override("en"):
        form = Sample({"name": "甲\x1b", "day": "9999-01-01"})
        assert not form.is_valid()
        assert form.errors["day"] == ["Enter a date between 1900-01-01 and 2100-12-31."]
        assert form.errors["name"] == [
            "Line breaks, tabs and other control characters are not allowed in this field (found U+001B)."
        ]


@pytest.mark.django_db
def test_a_page_shows_the_refusal_on_the_field_and_keeps_what_was_typed(city, alpha_host):
    client = host_client(alpha_host, city.alpha_staff)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    typed = {"name": "铃声\x07控制字符企业", "district": "yinzhou", "address": "铁岭市银州区工业街8号"}
    response = client.post("/directory/enterprises/new/", typed)
    assert response.status_code == 400  # the form shown again, as for any refusal
    form = response.context["form"]
    assert [e.code for e in form.errors.as_data()["name"]] == ["control_characters_not_allowed"]
    assert "Line breaks, tabs and other control characters are not allowed in this field (found U+0007)." in (
        response.content.decode()
    )
    assert "铁岭市银州区工业街8号" in response.content.decode()
    assert not Enterprise.objects.filter(address=typed["address"]).exists()


@pytest.mark.parametrize("cls", project_forms(), ids=lambda cls: f"{cls.__module__}.{cls.__qualname__}")
def test_no_select_shows_djangos_dashes_for_its_empty_choice(cls):
    """An empty choice reads "—" on every page, never Django's "---------" (a model field's select)."""
    for name, field in cls.base_fields.items():
        if isinstance(field, forms.ModelChoiceField):
            assert field.empty_label != "---------", name
        elif isinstance(field, forms.ChoiceField) and not isinstance(field.choices, CallableChoiceIterator):
            assert ("", "---------") not in list(field.choices), name

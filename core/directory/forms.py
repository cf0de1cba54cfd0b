from django import forms
from django.utils.translation import gettext_lazy as _

from core.catalog.forms import ServiceItemMultipleChoiceField, service_item_choices
from core.catalog.models import ServiceItem
from core.catalog.selectors import service_item_list
from core.common.forms import DATE, Form, ModelForm
from core.directory import uscc
from core.directory.models import (
    Enterprise,
    EnterpriseScale,
    Industry,
    Institution,
    InstitutionKind,
    Qualification,
)
from core.directory.selectors import EXPIRED_SHOWN
from core.districts import District


class USCCField(forms.CharField):
    """A unified social credit code as people type or paste it (full width, grouped by spaces or hyphens, lower
    case), cleaned to its compact form (`uscc.compact`), the one the directory keeps and compares. Its 18 characters
    are counted after that, by the model's validator, so the input itself has no length limit."""

    def __init__(self, *, max_length=None, **kwargs):
        super().__init__(**kwargs)

    def to_python(self, value):
        return uscc.compact(super().to_python(value))

    def widget_attrs(self, widget):
        return {**super().widget_attrs(widget), "autocomplete": "off", "spellcheck": "false"}


class EnterpriseForm(ModelForm):
    class Meta:
        model = Enterprise
        fields = [
            "name",
            "uscc",
            "legal_representative",
            "address",
            "district",
            "industry",
            "scale",
            "contact_person",
            "phone",
            "email",
        ]
        field_classes = {"uscc": USCCField}

    def validate_unique(self):
        """Left to the service: it refuses a code already in the directory naming the entry that has it."""


class InstitutionForm(ModelForm):
    districts = forms.MultipleChoiceField(
        choices=District.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
        label=Institution._meta.get_field("districts").verbose_name,
    )
    items = ServiceItemMultipleChoiceField(
        widget=forms.SelectMultiple(attrs={"size": 12}),
        required=False,
        label=Institution._meta.get_field("items").verbose_name,
    )

    class Meta:
        model = Institution
        fields = [
            "name",
            "kind",
            "uscc",
            "address",
            "districts",
            "items",
            "contact_person",
            "phone",
            "email",
            "is_active",
        ]
        field_classes = {"uscc": USCCField}


class QualificationForm(ModelForm):
    """A qualification of `institution`, and which of the items it offers the certificate covers (all of them until
    narrowed)."""

    items = ServiceItemMultipleChoiceField(
        queryset=ServiceItem.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        required=False,
        label=Qualification._meta.get_field("items").verbose_name,
        help_text=_("Among the items the institution offers: the ones this certificate covers."),
    )

    prefix = "qualification"  # on the institution's page, next to the institution's own form

    class Meta:
        model = Qualification
        fields = ["kind", "number", "scope", "items", "valid_from", "valid_until"]
        widgets = {"valid_from": DATE, "valid_until": DATE}

    def __init__(self, *args, institution: Institution, **kwargs):
        super().__init__(*args, **kwargs)
        offered = institution.items.all()
        self.fields["items"].queryset = offered
        if not self.is_bound:
            self.initial["items"] = [item.pk for item in offered]

    def _post_clean(self):
        """The service checks the qualification (and that its items are the institution's)."""


def _blank(choices):
    return [("", "—"), *choices]


class EnterpriseSearchForm(Form):
    q = forms.CharField(
        required=False,
        label=_("Name or USCC"),
        widget=forms.TextInput(attrs={"placeholder": _("Name, its pinyin or initials (hxfm)")}),
    )
    district = forms.ChoiceField(choices=_blank(District.choices), required=False, label=_("District"))
    industry = forms.ChoiceField(choices=_blank(Industry.choices), required=False, label=_("Industry"))
    scale = forms.ChoiceField(choices=_blank(EnterpriseScale.choices), required=False, label=_("Scale"))


class InstitutionSearchForm(Form):
    q = forms.CharField(
        required=False,
        label=_("institution name"),
        widget=forms.TextInput(attrs={"placeholder": _("Name, its pinyin or initials")}),
    )
    kind = forms.ChoiceField(choices=_blank(InstitutionKind.choices), required=False, label=_("Kind"))
    district = forms.ChoiceField(choices=_blank(District.choices), required=False, label=_("District covered"))
    item = forms.ChoiceField(required=False, label=_("Service item"))
    expired = forms.ChoiceField(
        choices=[("", _("Leave out")), (EXPIRED_SHOWN, _("Show, marked"))],
        required=False,
        label=_("Qualification for the item expired"),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["item"].choices = [("", "—"), *service_item_choices(service_item_list())]


class ImportForm(Form):
    what = forms.ChoiceField(
        choices=[("enterprises", _("Enterprises")), ("institutions", _("Institutions"))], label=_("What to import")
    )
    file = forms.FileField(label=_("CSV or XLSX file"))

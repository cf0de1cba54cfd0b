from django import forms
from django.utils.translation import gettext_lazy as _

from core.catalog.models import ServiceItem
from core.directory.models import Enterprise, EnterpriseScale, Industry, Institution, InstitutionKind
from core.districts import District


class EnterpriseForm(forms.ModelForm):
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


class InstitutionForm(forms.ModelForm):
    districts = forms.MultipleChoiceField(
        choices=District.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
        label=Institution._meta.get_field("districts").verbose_name,
    )
    items = forms.ModelMultipleChoiceField(
        queryset=ServiceItem.objects.active().select_related("category").order_by("position"),
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


def _blank(choices):
    return [("", "—"), *choices]


class EnterpriseSearchForm(forms.Form):
    q = forms.CharField(required=False, label=_("Name or USCC"))
    district = forms.ChoiceField(choices=_blank(District.choices), required=False, label=_("District"))
    industry = forms.ChoiceField(choices=_blank(Industry.choices), required=False, label=_("Industry"))
    scale = forms.ChoiceField(choices=_blank(EnterpriseScale.choices), required=False, label=_("Scale"))


class InstitutionSearchForm(forms.Form):
    q = forms.CharField(required=False, label=_("institution name"))
    kind = forms.ChoiceField(choices=_blank(InstitutionKind.choices), required=False, label=_("Kind"))
    district = forms.ChoiceField(choices=_blank(District.choices), required=False, label=_("District covered"))
    item = forms.ChoiceField(required=False, label=_("Service item"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        items = ServiceItem.objects.active().order_by("position")
        self.fields["item"].choices = [("", "—"), *[(i.clause, f"{i.clause} {i.name}") for i in items]]


class ImportForm(forms.Form):
    what = forms.ChoiceField(
        choices=[("enterprises", _("Enterprises")), ("institutions", _("Institutions"))], label=_("What to import")
    )
    file = forms.FileField(label=_("CSV or XLSX file"))

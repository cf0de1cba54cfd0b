from django import forms
from django.utils.translation import gettext_lazy as _

from core.common.forms import Form
from tenants.selectors import station_list_published


class StationChoiceForm(Form):
    """Which published station the enterprise's demand goes to."""

    station = forms.ModelChoiceField(
        queryset=station_list_published(),
        to_field_name="code",
        label=_("Station"),
        empty_label=_("Choose the station (your district's, or any other)"),
    )
    # Left empty by people; filled in by the robots that fill in every field.
    website = forms.CharField(required=False, widget=forms.TextInput(attrs={"tabindex": "-1", "autocomplete": "off"}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["station"].label_from_instance = lambda s: f"{s.get_district_display()} · {s.name}"

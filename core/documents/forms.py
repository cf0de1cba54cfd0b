"""Forms of the documents' pages: a file with its kind and title, and a new version of a document."""

from django import forms
from django.utils.translation import gettext_lazy as _

from core.common.forms import Form
from core.documents.models import DocumentKind

ACCEPT = ".pdf,.jpg,.jpeg,.png,.docx,.xlsx"


class DocumentForm(Form):
    kind = forms.ChoiceField(label=_("Kind of document"), choices=DocumentKind.choices)
    title = forms.CharField(label=_("Title"), max_length=200)
    file = forms.FileField(
        label=_("File"),
        help_text=_("PDF, JPEG, PNG, Word (DOCX) or Excel (XLSX)."),
        widget=forms.FileInput(attrs={"accept": ACCEPT}),
    )


class VersionForm(Form):
    title = forms.CharField(label=_("New title (optional)"), max_length=200, required=False)
    file = forms.FileField(label=_("File"), widget=forms.FileInput(attrs={"accept": ACCEPT}))

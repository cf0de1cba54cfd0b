"""The documents' section of the case and demand pages (`documents/_section.html`): what it lists and its forms."""

from django import template
from django.urls import reverse

from core.documents.forms import DocumentForm, VersionForm
from core.documents.selectors import documents_of_case, documents_of_demand

register = template.Library()


@register.simple_tag
def documents_section(case=None, demand=None) -> dict:
    """The documents of `case` (or, without a case, of `demand` and its cases) with one query, the upload form and its
    address, and a new-version form for each current version."""
    if getattr(case, "pk", None):
        documents = list(documents_of_case(case=case))
        upload = reverse("documents:case_upload", kwargs={"pk": case.pk})
    else:
        documents = list(documents_of_demand(demand=demand))
        upload = reverse("documents:demand_upload", kwargs={"pk": demand.pk})
    for document in documents:
        document.version_form = VersionForm(auto_id=f"id_version_{document.pk}_%s") if document.is_current else None
    return {
        "documents": documents,
        "form": DocumentForm(auto_id="id_document_%s"),
        "upload": upload,
        "of_demand": not getattr(case, "pk", None),
    }

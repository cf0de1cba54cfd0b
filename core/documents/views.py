"""Pages of documents, under /desk/documents/ on a station host: upload to a case or to a demand, a new version,
the release to the enterprise, and the download. The case and demand pages list the documents (the include
`documents/_section.html`) and post their forms here. The station's members only (`StationPage`); a case or demand
is reached through its access selector, a document through `document_access`: "not yours" is a 404 like "missing".

A refused upload shows the form again on a page of its own with the reason on the file and the kind and title kept.
"""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _

from core.common.forms import errors_onto
from core.desk.selectors import case_access, demand_access
from core.documents import services
from core.documents.forms import DocumentForm, VersionForm
from core.documents.models import Document
from core.documents.selectors import document_access, document_archive_number
from tenants.pages import StationPage


def owner_url(document: Document) -> str:
    """The page a document is listed on: its case's, or its demand's for a document of the demand as a whole."""
    if document.case_id:
        return reverse("desk:case", kwargs={"pk": document.case_id}) + "#documents"
    return reverse("desk:demand", kwargs={"pk": document.demand_id}) + "#documents"


class UploadPage(StationPage):
    """Upload a file to a case or a demand (POST), or the form alone (GET)."""

    template_name = "documents/upload.html"

    def target(self):
        raise NotImplementedError

    def back_url(self, target) -> str:
        raise NotImplementedError

    def get_context_data(self, form=None, **kwargs):
        target = self.target()
        return super().get_context_data(
            **kwargs, target=target, back=self.back_url(target), form=form or DocumentForm(), version_of=None
        )

    def upload(self, target, data) -> Document:
        raise NotImplementedError

    def post(self, request, *args, **kwargs):
        target = self.target()
        form = DocumentForm(request.POST, request.FILES)
        if form.is_valid():
            try:
                document = self.upload(target, form.cleaned_data)
            except ValidationError as error:
                errors_onto(form, error)
            else:
                messages.success(
                    request,
                    _("“%(title)s” uploaded: archive number %(number)s.")
                    % {"title": document.title, "number": document_archive_number(document=document)},
                )
                return redirect(self.back_url(target))
        return self.render_to_response(self.get_context_data(form=form), status=400)


class CaseUploadPage(UploadPage):
    def target(self):
        return case_access(pk=self.kwargs["pk"], user=self.request.user)

    def back_url(self, target) -> str:
        return reverse("desk:case", kwargs={"pk": target.pk}) + "#documents"

    def upload(self, target, data) -> Document:
        return services.document_upload(
            user=self.request.user,
            demand=target.demand,
            case=target,
            kind=data["kind"],
            title=data["title"],
            file=data["file"],
        )


class DemandUploadPage(UploadPage):
    def target(self):
        return demand_access(pk=self.kwargs["pk"], user=self.request.user)

    def back_url(self, target) -> str:
        return reverse("desk:demand", kwargs={"pk": target.pk}) + "#documents"

    def upload(self, target, data) -> Document:
        return services.document_upload(
            user=self.request.user, demand=target, kind=data["kind"], title=data["title"], file=data["file"]
        )


class VersionPage(StationPage):
    """A new version of a document (POST), or the form alone (GET)."""

    template_name = "documents/upload.html"

    def document(self) -> Document:
        return document_access(pk=self.kwargs["pk"], user=self.request.user)

    def get_context_data(self, form=None, **kwargs):
        document = self.document()
        target = document.case if document.case_id else document.demand
        return super().get_context_data(
            **kwargs, target=target, back=owner_url(document), form=form or VersionForm(), version_of=document
        )

    def post(self, request, *args, **kwargs):
        document = self.document()
        form = VersionForm(request.POST, request.FILES)
        if form.is_valid():
            try:
                new = services.document_replace(
                    user=request.user,
                    document=document,
                    file=form.cleaned_data["file"],
                    title=form.cleaned_data["title"],
                )
            except ValidationError as error:
                errors_onto(form, error)
            else:
                messages.success(
                    request,
                    _("Version %(version)s of “%(title)s” uploaded: archive number %(number)s.")
                    % {"version": new.version, "title": new.title, "number": document_archive_number(document=new)},
                )
                return redirect(owner_url(new))
        return self.render_to_response(self.get_context_data(form=form), status=400)


class ReleasePage(StationPage):
    """Release a document to the enterprise (POST only); a refusal is said on the page it was asked from."""

    http_method_names = ["post", "options"]

    def post(self, request, *args, **kwargs):
        document = document_access(pk=self.kwargs["pk"], user=request.user)
        try:
            services.document_release(user=request.user, document=document)
        except ValidationError as error:
            for message in error.messages:
                messages.error(request, message)
        else:
            messages.success(request, _("“%(title)s” released to the enterprise.") % {"title": document.title})
        return redirect(owner_url(document))


class DownloadView(StationPage):
    """The stored file, as an attachment named as it came, to the members who may see its case or demand."""

    http_method_names = ["get", "head", "options"]

    def get(self, request, *args, **kwargs):
        return document_response(document_access(pk=self.kwargs["pk"], user=request.user))


def document_response(document: Document) -> FileResponse:
    """A document's file as a download (used by the page and the API)."""
    try:
        handle = document.file.open("rb")
    except (FileNotFoundError, ValueError):
        raise Http404 from None
    return FileResponse(handle, as_attachment=True, filename=document.original_name, content_type=document.content_type)

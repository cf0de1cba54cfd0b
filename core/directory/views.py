"""Pages of the shared directory, on station hosts (members) and the public host (bureau roles)."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect
from django.utils import timezone
from django.utils.translation import gettext as _

from core.common.forms import errors_onto
from core.common.pagination import CappedPaginator
from core.directory import services
from core.directory.forms import (
    EnterpriseForm,
    EnterpriseSearchForm,
    ImportForm,
    InstitutionForm,
    InstitutionSearchForm,
    QualificationForm,
)
from core.directory.selectors import (
    SEARCH_CAP,
    directory_entry_warnings,
    directory_may_add,
    directory_may_edit,
    enterprise_get,
    enterprise_search,
    institution_get,
    institution_search,
    qualification_list_expiring,
)
from tenants.models import BureauRole
from tenants.pages import SharedPage

PAGE_SIZE = 50


class EntryListPage(SharedPage):
    # Its POST is an export of what the search shows: a read, sent as a job, for every reader of the directory.
    bureau_write_roles = (BureauRole.ADMIN, BureauRole.VIEWER)
    search_form = None
    search = None
    export_what = ""

    def get_context_data(self, **kwargs):
        form = self.search_form(self.request.GET or None)
        filters = {k: v for k, v in form.cleaned_data.items() if v} if form.is_valid() else {}
        page = CappedPaginator(type(self).search(**filters, cap=SEARCH_CAP), PAGE_SIZE).get_page(
            self.request.GET.get("page")
        )
        query = self.request.GET.copy()
        query.pop("page", None)
        return super().get_context_data(
            **kwargs, form=form, page=page, query=query.urlencode(), filters=filters, what=self.export_what
        )

    def post(self, request, *args, **kwargs):
        """Export what the search shows, as a job."""
        form = self.search_form(request.POST)
        filters = {k: v for k, v in form.cleaned_data.items() if v} if form.is_valid() else {}
        job = services.directory_export_start(
            what=self.export_what,
            user=request.user,
            file_format=request.POST.get("format", "xlsx"),
            filters=filters,
            request=request,
        )
        return redirect("jobs:detail", pk=job.pk)


class EnterpriseListPage(EntryListPage):
    template_name = "directory/enterprise_list.html"
    search_form = EnterpriseSearchForm
    search = staticmethod(enterprise_search)
    export_what = "enterprises"


class InstitutionListPage(EntryListPage):
    template_name = "directory/institution_list.html"
    search_form = InstitutionSearchForm
    search = staticmethod(institution_search)
    export_what = "institutions"

    def get_context_data(self, **kwargs):
        return super().get_context_data(**kwargs, expiring=qualification_list_expiring()[:20])


class EntryPage(SharedPage):
    """View an entry and, for those who may, edit it; with no pk, add one. Bad input keeps what was typed."""

    form_class = None
    get_entry = None
    create = None
    update = None
    kind = ""

    def entry(self):
        pk = self.kwargs.get("pk")
        if pk is None:
            return None
        entry = type(self).get_entry(pk=pk)
        if entry is None:
            raise Http404
        return entry

    def may_edit(self, entry) -> bool:
        if entry is None:
            return directory_may_add(user=self.request.user, station=self.station)
        return directory_may_edit(user=self.request.user, station=self.station, entry=entry)

    def get_context_data(self, form=None, **kwargs):
        entry = self.entry()
        may_edit = self.may_edit(entry)
        if form is None and may_edit:
            form = self.form_class(instance=entry)
        return super().get_context_data(**kwargs, entry=entry, form=form, may_edit=may_edit)

    def post(self, request, *args, **kwargs):
        entry = self.entry()
        if not self.may_edit(entry):
            raise PermissionDenied
        form = self.form_class(request.POST, instance=entry)
        if form.is_valid():
            values = {k: v for k, v in form.cleaned_data.items()}
            try:
                if entry is None:
                    entry = type(self).create(user=request.user, station=self.station, request=request, **values)
                else:
                    entry = type(self).update(entry, user=request.user, station=self.station, request=request, **values)
            except ValidationError as error:
                form.add_error(None, error)
            else:
                messages.success(request, _("Saved."))
                for warning in directory_entry_warnings(entry=entry):  # a doubtful USCC is saved, and said so
                    messages.warning(request, warning)
                return redirect(f"directory:{self.kind}", pk=entry.pk)
        return self.render_to_response(self.get_context_data(form=form), status=400)


class EnterprisePage(EntryPage):
    template_name = "directory/enterprise.html"
    form_class = EnterpriseForm
    get_entry = staticmethod(enterprise_get)
    create = staticmethod(services.enterprise_create)
    update = staticmethod(lambda entry, **kw: services.enterprise_update(enterprise=entry, **kw))
    kind = "enterprise"


class InstitutionPage(EntryPage):
    template_name = "directory/institution.html"
    form_class = InstitutionForm
    get_entry = staticmethod(institution_get)
    create = staticmethod(services.institution_create)
    update = staticmethod(lambda entry, **kw: services.institution_update(institution=entry, **kw))
    kind = "institution"

    def get_context_data(self, form=None, qualification_form=None, **kwargs):
        context = super().get_context_data(form=form, **kwargs)
        entry = context["entry"]
        if entry is not None and context["may_edit"] and qualification_form is None:
            qualification_form = QualificationForm(institution=entry)
        return {**context, "qualification_form": qualification_form, "today": timezone.localdate()}


class QualificationNewPage(InstitutionPage):
    """Add a qualification to an institution (its page shows the form); bad input comes back on that page, kept."""

    def post(self, request, *args, **kwargs):
        institution = self.entry()
        if not self.may_edit(institution):
            raise PermissionDenied
        form = QualificationForm(request.POST, institution=institution)
        if form.is_valid():
            try:
                services.qualification_create(
                    institution=institution,
                    user=request.user,
                    station=self.station,
                    request=request,
                    **form.cleaned_data,
                )
            except ValidationError as error:
                errors_onto(form, error)
            else:
                messages.success(request, _("Qualification recorded."))
                return redirect("directory:institution", pk=institution.pk)
        return self.render_to_response(self.get_context_data(qualification_form=form), status=400)

    def get(self, request, *args, **kwargs):
        return redirect("directory:institution", pk=self.entry().pk)


class ImportPage(SharedPage):
    template_name = "directory/import.html"

    def may_import(self) -> bool:
        return directory_may_add(user=self.request.user, station=self.station)

    def get_context_data(self, form=None, **kwargs):
        return super().get_context_data(
            **kwargs, form=form or ImportForm(initial={"what": self.request.GET.get("what", "enterprises")})
        )

    def post(self, request, *args, **kwargs):
        if not self.may_import():
            raise PermissionDenied
        form = ImportForm(request.POST, request.FILES)
        if form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                job = services.directory_import_start(
                    what=form.cleaned_data["what"],
                    user=request.user,
                    station=self.station,
                    file=upload,
                )
            except ValidationError as error:
                form.add_error("file", error.message_dict.get("file", error.messages))
            else:
                return redirect("jobs:detail", pk=job.pk)
        return self.render_to_response(self.get_context_data(form=form), status=400)

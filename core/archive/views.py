"""Pages of the quality archive (clause 7) on a station host: the archive of an enterprise (every view logged), its
export as a ZIP of PDFs, disposal after the retention period, confidential cases, and the head's access log."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _

from core.archive import selectors, services
from core.archive.confidentiality import is_station_head
from core.archive.forms import AccessLogFilterForm, ConfidentialForm, DisposalRequestForm
from core.archive.models import AccessAction, ArchiveDisposal
from core.common.forms import errors_onto
from core.common.pagination import CappedPaginator
from core.desk import selectors as desk_selectors
from core.jobs.selectors import job_get
from tenants.models import MemberRole
from tenants.pages import StationPage
from tenants.selectors import station_members

PAGE_SIZE = 50


class ArchiveIndexPage(StationPage):
    """The enterprises this station keeps an archive of, and the disposals waiting for the head."""

    template_name = "archive/index.html"

    def get_context_data(self, **kwargs):
        q = self.request.GET.get("q", "").strip()
        page = CappedPaginator(selectors.archive_enterprise_list(q=q), PAGE_SIZE).get_page(self.request.GET.get("page"))
        return super().get_context_data(**kwargs, page=page, q=q, disposals=selectors.disposal_list()[:50])


class EnterpriseArchivePage(StationPage):
    """An enterprise's archive (clause 7.1): its registration facts, then every document in date order with its
    archive number. Every view is logged (clause 7.3)."""

    template_name = "archive/enterprise.html"

    def enterprise(self):
        enterprise = selectors.archive_enterprise_get(pk=self.kwargs["pk"])
        if enterprise is None:
            raise Http404
        return enterprise

    def get_context_data(self, dispose_form=None, **kwargs):
        enterprise = self.enterprise()
        rows = selectors.rows_visible(rows=selectors.archive_rows(enterprise=enterprise), user=self.request.user)
        services.archive_access_log(
            user=self.request.user,
            enterprise=enterprise,
            action=AccessAction.VIEW,
            detail=self.request.path,
            request=self.request,
        )
        return super().get_context_data(
            **kwargs,
            enterprise=enterprise,
            rows=rows,
            disposals=selectors.disposal_list(enterprise=enterprise),
            dispose_form=dispose_form or DisposalRequestForm(),
            is_head=self.is_head,
        )

    def post(self, request, *args, **kwargs):
        enterprise = self.enterprise()
        if request.POST.get("action") == "export":
            job = services.archive_export_start(enterprise=enterprise, user=request.user, request=request)
            return redirect("archive:export", pk=job.pk)
        form = DisposalRequestForm(request.POST)
        if form.is_valid():
            try:
                services.archive_dispose(enterprise=enterprise, user=request.user, reason=form.cleaned_data["reason"])
            except ValidationError as error:
                errors_onto(form, error)
            else:
                messages.success(request, _("The disposal waits for the station head's approval."))
                return redirect("archive:enterprise", pk=enterprise.pk)
        return self.render_to_response(self.get_context_data(dispose_form=form), status=400)


class DisposalApprovePage(StationPage):
    station_roles = (MemberRole.HEAD,)
    http_method_names = ["post"]

    def post(self, request, *args, **kwargs):
        disposal = ArchiveDisposal.objects.filter(pk=kwargs["pk"]).first()
        if disposal is None:
            raise Http404
        try:
            services.archive_disposal_approve(disposal=disposal, user=request.user)
        except ValidationError as error:
            for errors in error.message_dict.values():
                for message in errors:
                    messages.error(request, message)
        else:
            messages.success(request, _("The archive was disposed of."))
        return redirect("archive:index")


class ExportPage(StationPage):
    """The export's progress bar and, when done, its download (its requester only)."""

    template_name = "archive/export.html"

    def get_context_data(self, **kwargs):
        export = selectors.export_get(job_id=self.kwargs["pk"])
        if export is None or export.requested_by_id != self.request.user.pk:
            raise Http404
        return super().get_context_data(**kwargs, export=export, job=job_get(job_id=export.job_id))


class ExportDownloadView(StationPage):
    def get(self, request, *args, **kwargs):
        export = selectors.export_get(job_id=kwargs["pk"])
        if export is None or export.requested_by_id != request.user.pk or not export.name:
            raise Http404
        services.archive_export_download(export=export, user=request.user, request=request)
        response = HttpResponse(bytes(export.data), content_type="application/zip")
        response["Content-Disposition"] = f'attachment; filename="{export.name}"'
        return response


class AccessLogPage(StationPage):
    """Who looked at which enterprise's information (its archive, a demand, a case, a record, a printed form, by page
    or API) or exported its archive, and every disposal attempt (clause 7.3), per enterprise and per member (heads
    only)."""

    template_name = "archive/access_log.html"
    station_roles = (MemberRole.HEAD,)

    def get_context_data(self, **kwargs):
        form = AccessLogFilterForm(self.request.GET or None, members=station_members(station=self.station))
        filters = {k: v for k, v in form.cleaned_data.items() if v not in (None, "")} if form.is_valid() else {}
        entries = selectors.access_log(viewer=self.request.user, **filters)
        page = CappedPaginator(entries, PAGE_SIZE).get_page(self.request.GET.get("page"))
        query = self.request.GET.copy()
        query.pop("page", None)
        return super().get_context_data(
            **kwargs,
            form=form,
            page=page,
            query=query.urlencode(),
            enterprise=selectors.access_log_enterprise(pk=filters.get("enterprise")),
        )


class CaseConfidentialView(StationPage):
    """The head marks a case confidential, or lifts the mark (clause 7.3)."""

    station_roles = (MemberRole.HEAD,)
    http_method_names = ["post"]

    def post(self, request, *args, **kwargs):
        case = desk_selectors.case_access(pk=kwargs["pk"], user=request.user)
        form = ConfidentialForm(request.POST)
        if not form.is_valid() or not is_station_head(request.user):
            raise PermissionDenied
        if form.cleaned_data["confidential"]:
            services.case_confidential_mark(case=case, user=request.user, reason=form.cleaned_data["reason"])
        else:
            services.case_confidential_unmark(case=case, user=request.user)
        messages.success(request, _("Saved."))
        return redirect("desk:case", pk=case.pk)

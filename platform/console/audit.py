"""The audit trail in the console (安全审计): the audit administrator alone searches it and exports what the search
finds as CSV. Nobody changes it from here (nor anywhere: the database refuses, see core.audit)."""

from django import forms
from django.core.exceptions import ValidationError
from django.http import StreamingHttpResponse
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from core.audit.exports import audit_csv_stream, role_label
from core.audit.models import AuditAction, AuditOutcome
from core.audit.selectors import audit_entry_search
from core.audit.services import audit_export
from core.common.forms import BLANK, DATE, Form
from core.common.pagination import CappedPaginator
from tenants.models import BureauRole
from tenants.pages import BureauPage

PAGE_SIZE = 50
FILTERS = ("date_from", "date_to", "username", "station_code", "action", "outcome")


class AuditSearchForm(Form):
    date_from = forms.DateField(required=False, widget=DATE, label=_("Recorded from"))
    date_to = forms.DateField(required=False, widget=DATE, label=_("Recorded to"))
    username = forms.CharField(required=False, max_length=150, label=_("User"))
    station_code = forms.CharField(required=False, max_length=30, label=_("Station code"))
    action = forms.ChoiceField(required=False, choices=[("", BLANK), *AuditAction.choices], label=_("Action"))
    outcome = forms.ChoiceField(required=False, choices=[("", BLANK), *AuditOutcome.choices], label=_("Outcome"))

    def clean(self):
        data = super().clean()
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and start > end:
            raise ValidationError({"date_to": _("The end of the period is before its start.")})
        return data


class AuditPageMixin:
    """Reading the search form from the query; a bad form finds nothing (400, its errors shown, the input kept)."""

    bureau_roles = (BureauRole.AUDITOR,)

    def read_form(self) -> tuple[AuditSearchForm, dict | None]:
        form = AuditSearchForm(self.request.GET)
        if not form.is_valid():
            return form, None
        return form, {name: form.cleaned_data.get(name) for name in FILTERS}

    def query(self) -> str:
        query = self.request.GET.copy()
        query.pop("page", None)
        return query.urlencode()


class AuditTrailPage(AuditPageMixin, BureauPage):
    """Every station's and the bureau's audited events, newest first, fifty to a page."""

    template_name = "console/audit.html"

    def get(self, request, *args, **kwargs):
        form, filters = self.read_form()
        page = None
        if filters is not None:
            page = CappedPaginator(audit_entry_search(**filters), PAGE_SIZE).get_page(request.GET.get("page"))
        context = self.get_context_data(
            **kwargs,
            tab="audit",
            form=form,
            page=page,
            rows=[(entry, role_label(entry.role)) for entry in (page or [])],
            query=self.query(),
        )
        return self.render_to_response(context, status=200 if filters is not None else 400)


class AuditExportView(AuditPageMixin, BureauPage):
    """The entries the search finds, as CSV (the export itself recorded in the trail)."""

    template_name = "console/audit.html"

    def get(self, request, *args, **kwargs):
        form, filters = self.read_form()
        if filters is None:
            context = self.get_context_data(**kwargs, tab="audit", form=form, page=None, rows=[], query=self.query())
            return self.render_to_response(context, status=400)
        entries = audit_export(user=request.user, filters=filters, request=request)
        response = StreamingHttpResponse(
            audit_csv_stream(entries, language=get_language()), content_type="text/csv; charset=utf-8"
        )
        name = f"audit-{timezone.localdate().isoformat()}.csv"
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        return response

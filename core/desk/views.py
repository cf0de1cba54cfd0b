"""The station workspace: the inbox, case lists, the demand form (Appendix A) and the case page. Station members
only (the access middleware and `StationPage`); every write goes through `core.desk.services`."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.archive.looks import look_of
from core.archive.models import AccessAction
from core.archive.pages import LoggedLookPage
from core.catalog.models import ServiceCategory
from core.common.forms import errors_onto
from core.common.pagination import CappedPaginator
from core.deliveries.selectors import deliveries_of_case, deliveries_of_demand
from core.deliveries.services import delivery_resend
from core.desk import selectors, services
from core.desk.forms import (
    AmendmentForm,
    CaseFilterForm,
    DemandForm,
    EventForm,
    PlanForm,
    RecordForm,
    SurveyForm,
    SurveyLinkForm,
    TransitionForm,
    demand_table_formsets,
    formset_rows,
    transition_action,
)
from core.desk.models import (
    CLOSED,
    DEMAND_TABLES,
    RECORD_FIELDS,
    CaseState,
    Channel,
    ExamCategory,
    InspectionMaterial,
    ServiceRecord,
    Survey,
)
from core.operations.selectors import members_cleared_for_duty
from core.referrals import selectors as referral_selectors
from tenants.pages import StationPage
from tenants.selectors import station_members

PAGE_SIZE = 50


class CaseListPage(StationPage):
    """Every case list of the workspace: the inbox (new cases), my cases, near or past deadline, and all cases with
    filters by category, state, enterprise, staff and dates."""

    template_name = "desk/case_list.html"

    def get_context_data(self, **kwargs):
        form = CaseFilterForm(
            self.request.GET or None,
            members=station_members(station=self.station),
            categories=ServiceCategory.objects.order_by("position"),
        )
        filters = {k: v for k, v in form.cleaned_data.items() if v} if form.is_valid() else {}
        view = filters.pop("view", "")
        filters |= selectors.case_view_filters(view=view, user=self.request.user)
        page = CappedPaginator(selectors.case_list(**filters, viewer=self.request.user), PAGE_SIZE).get_page(
            self.request.GET.get("page")
        )
        query = self.request.GET.copy()
        query.pop("page", None)
        return super().get_context_data(
            **kwargs, form=form, page=page, view=view, query=query.urlencode(), now=timezone.now()
        )


class DemandListPage(StationPage):
    template_name = "desk/demand_list.html"

    def get_context_data(self, **kwargs):
        page = CappedPaginator(selectors.demand_list(viewer=self.request.user), PAGE_SIZE).get_page(
            self.request.GET.get("page")
        )
        return super().get_context_data(**kwargs, page=page)


class DemandFormMixin:
    """The demand form of Appendix A with its tables, shown back whole with the bad fields and rows marked."""

    online = False

    def forms(self, data=None, initial=None):
        return DemandForm(data, initial=initial, online=self.online), demand_table_formsets(data)

    @staticmethod
    def form_context(form, formsets) -> dict:
        return {
            "form": form,
            "formsets": formsets,
            "sections": form.sections(formsets),
            "formsets_have_errors": form.is_bound and any(fs.total_error_count() for fs in formsets.values()),
        }

    def take(self, form, formsets, submit):
        """Validate the form and its tables and hand them to `submit(fields, tables)`; return the demand, or None
        with the errors put onto the forms."""
        valid = form.is_valid() & all([formset.is_valid() for formset in formsets.values()])
        if not valid:
            return None
        tables, sources = {}, {}
        for name, formset in formsets.items():
            tables[name], sources[name] = formset_rows(formset)
        try:
            return submit(form.service_fields(), tables)
        except ValidationError as error:
            errors_onto(form, error, formsets, sources)
            return None


class DemandCreatePage(DemandFormMixin, StationPage):
    template_name = "desk/demand_form.html"

    def get_context_data(self, form=None, formsets=None, **kwargs):
        if form is None:
            form, formsets = self.forms(initial={"district": self.station.district})
        return super().get_context_data(**kwargs, **self.form_context(form, formsets))

    def post(self, request, *args, **kwargs):
        form, formsets = self.forms(request.POST)

        def submit(fields, tables):
            district = fields.pop("district", "")
            block = {name: fields[name] for name in services.ENTERPRISE_BLOCK}
            enterprise = services.demand_enterprise_get_or_add(
                station=self.station, user=request.user, district=district, **block
            )
            return services.demand_create(
                station=self.station, user=request.user, enterprise=enterprise, tables=tables, **fields
            )

        demand = self.take(form, formsets, submit)
        if demand is None:
            return self.render_to_response(self.get_context_data(form=form, formsets=formsets), status=400)
        messages.success(
            request,
            _("Demand %(number)s taken: %(count)s case(s) opened.")
            % {"number": demand.number, "count": demand.cases.count()},
        )
        return redirect("desk:demand", pk=demand.pk)


class DemandPage(LoggedLookPage):
    template_name = "desk/demand.html"
    look_action = AccessAction.DEMAND_VIEW

    def looks(self, context):
        return [look_of(context["demand"])]

    def get_context_data(self, **kwargs):
        demand = selectors.demand_access(pk=self.kwargs["pk"], user=self.request.user)
        tables = []
        for name, model in DEMAND_TABLES.items():
            fields = [f for f in model._meta.concrete_fields if f.name not in {"id", "demand"}]
            tables.append(
                {
                    "title": model._meta.verbose_name,
                    "headers": [f.verbose_name for f in fields],
                    "rows": [[_shown(row, f) for f in fields] for row in getattr(demand, name).all()],
                }
            )
        return super().get_context_data(
            **kwargs,
            demand=demand,
            tracking_link=services.tracking_url(demand=demand, station=self.station)
            if demand.tracking_revoked_at is None and demand.channel != Channel.REFERRAL
            else "",
            deliveries=deliveries_of_demand(demand_id=demand.pk),
            tables=tables,
            materials=[InspectionMaterial(m).label for m in demand.inspection_materials],
            exams=[ExamCategory(e).label for e in demand.exam_categories],
        )


def _shown(row, field):
    """A table cell as people read it: choices and yes/no in words."""
    value = getattr(row, field.name)
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    return value


def _survey_rows(survey: Survey) -> list[tuple[str, str]]:
    rows = []
    for name in ("q1", "q2", "q3", "q4", "q5", "q6", "q7", "q8", "q9", "q10", "opinions", "signatory"):
        field = Survey._meta.get_field(name)
        value = getattr(survey, name)
        shown = (
            ("是" if value else "否")
            if name == "q5"
            else (getattr(survey, f"get_{name}_display")() if field.choices else value)
        )
        rows.append((field.verbose_name, shown or "—"))
    return rows


# What the case page says after an action, when it says more than "Saved."
_SUCCESS = {"survey_link": gettext_lazy("The survey link is being e-mailed to the enterprise.")}


class CasePage(LoggedLookPage):
    """A case with its plan, timeline, record and survey, and a form for each thing staff do with it. Each POST
    names its `action`; a refused one shows the page again with that form's errors and what was typed."""

    template_name = "desk/case.html"
    look_action = AccessAction.CASE_VIEW
    ACTIONS = ("transition", "plan", "event", "record", "amend", "survey", "survey_link")

    def case(self):
        return selectors.case_access(pk=self.kwargs["pk"], user=self.request.user)

    def looks(self, context):
        return [look_of(context["case"])]

    def get_context_data(self, bound=None, **kwargs):
        case = self.case()
        members = station_members(station=self.station)
        record = getattr(case, "record", None)
        current = next((plan for plan in case.plans.all() if plan.superseded_at is None), None)
        forms = {
            "plan": PlanForm(
                instance=None,
                initial={
                    "version": case.version,
                    "kind": getattr(current, "kind", "self"),
                    "staff": case.assignee_id or self.request.user.pk,
                    "agreed_items": list(case.items.all()),
                },
                members=members_cleared_for_duty(station=self.station),  # clause 4.4.1
            ),
            "event": EventForm(),
            "record": RecordForm(
                instance=record,
                initial=None if record else services.record_initial(case=case, user=self.request.user),
                members=members,
            ),
            "amend": AmendmentForm(instance=record, members=members) if record else None,
            "survey": SurveyForm(),
        }
        survey_link = selectors.survey_link_status(case=case)
        if survey_link is not None and survey_link.can_send:
            forms["survey_link"] = SurveyLinkForm(initial={"email": survey_link.suggested})
        if record is not None:
            forms["record"].initial["version"] = record.version
            forms["amend"].initial["version"] = record.version
        if bound is not None:
            forms[bound[0]] = bound[1]
        allowed = services.case_next_states(case=case)
        survey = getattr(case, "survey", None)
        referrals = list(referral_selectors.case_referrals(case=case))
        referred = any(r.direction == "out" and r.state in referral_selectors.OPEN for r in referrals)
        return super().get_context_data(
            **kwargs,
            case=case,
            record=record,
            record_rows=[
                (ServiceRecord._meta.get_field(name).verbose_name, services.record_field_display(record, name))
                for name in RECORD_FIELDS
            ]
            if record
            else [],
            survey=survey,
            survey_rows=_survey_rows(survey) if survey else [],
            survey_link=survey_link,
            current_plan=current,
            forms=forms,
            transitions=[
                {"value": state, "label": transition_action(from_state=case.state, to=state)} for state in allowed
            ],
            needs_reason=[state.value for state in services.NEEDS_REASON],
            asks_reason=any(state in services.NEEDS_REASON for state in allowed),
            closed=case.state in CLOSED,
            transition_error=bound[1] if bound and bound[0] == "transition" else None,
            referrals=referrals,
            can_refer=not referred and case.state not in (*CLOSED, CaseState.ON_HOLD),
            deliveries=deliveries_of_case(case_id=case.pk),
            now=timezone.now(),
        )

    def post(self, request, *args, **kwargs):
        action = request.POST.get("action")
        if action == "delivery_resend":
            return self.resend(request)
        if action not in self.ACTIONS:
            raise Http404
        case = self.case()
        members = station_members(station=self.station)
        record = getattr(case, "record", None)
        form = {
            "transition": lambda: TransitionForm(request.POST),
            "plan": lambda: PlanForm(request.POST, members=members_cleared_for_duty(station=self.station)),
            "event": lambda: EventForm(request.POST),
            "record": lambda: RecordForm(request.POST, instance=record, members=members),
            "amend": lambda: AmendmentForm(request.POST, instance=record, members=members),
            "survey": lambda: SurveyForm(request.POST),
            "survey_link": lambda: SurveyLinkForm(request.POST),
        }[action]()
        if form.is_valid():
            try:
                self.act(action, case, record, dict(form.cleaned_data))
            except ValidationError as error:
                errors_onto(form, error)
            else:
                messages.success(request, _SUCCESS.get(action) or _("Saved."))
                return redirect("desk:case", pk=case.pk)
        return self.render_to_response(self.get_context_data(bound=(action, form)), status=400)

    def resend(self, request):
        """Send a message to the enterprise again that failed for good (a new delivery; the failed one is kept)."""
        case = self.case()
        delivery = deliveries_of_case(case_id=case.pk).filter(pk=request.POST.get("delivery") or 0).first()
        if delivery is None:
            raise Http404
        try:
            delivery_resend(delivery=delivery, user=request.user)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, _("The message is being sent again."))
        return redirect(f"{reverse('desk:case', kwargs={'pk': case.pk})}#deliveries")

    def act(self, action: str, case, record, data: dict) -> None:
        user = self.request.user
        if action == "transition":
            services.case_transition(
                case=case, to=data["to"], user=user, reason=data["reason"], expected_version=data["version"]
            )
        elif action == "plan":
            version = data.pop("version")
            fields = {key: value for key, value in data.items() if value not in (None, "")}
            services.case_plan(case=case, user=user, expected_version=version, **fields)
        elif action == "event":
            services.case_event_add(case=case, user=user, kind=data["kind"], text=data["text"])
        elif action == "record":
            version = data.pop("version", None)
            services.record_save(case=case, user=user, expected_version=version, **data)
        elif action == "amend":
            if record is None:
                raise Http404
            version, reason = data.pop("version", None), data.pop("reason")
            changed = {name: value for name, value in data.items() if value != getattr(record, name)}
            services.record_amend(record=record, user=user, reason=reason, expected_version=version, **changed)
        elif action == "survey":
            services.survey_submit(case=case, channel="paper", user=user, **data)
        elif action == "survey_link":
            services.survey_invitation_email_add(case=case, user=user, email=data["email"])


class DemandTrackingPage(StationPage):
    """The enterprise's tracking link of a demand, from its page: revoke it, or make a new one and send it (POST)."""

    http_method_names = ["post"]

    def post(self, request, *args, **kwargs):
        demand = selectors.demand_access(pk=self.kwargs["pk"], user=request.user)
        action = request.POST.get("action")
        if action == "revoke":
            services.demand_tracking_revoke(demand=demand, user=request.user)
            messages.success(request, _("The tracking link no longer works."))
        elif action == "renew":
            services.demand_tracking_renew(demand=demand, user=request.user)
            messages.success(request, _("A new tracking link was made and is being sent to the enterprise's contacts."))
        else:
            raise Http404
        return redirect("desk:demand", pk=demand.pk)

"""Referral pages of a station host (clause 5.2.2): refer a case to another station, the lists of referrals both ways,
and one referral with the data that travelled, the timeline both stations see and what this side may do with it.
Station members only (the access middleware and `StationPage`); every write goes through `core.referrals.services`.
"""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.catalog.models import FormBox, ServiceCategory, ServiceItem
from core.common.forms import errors_onto
from core.common.pagination import CappedPaginator
from core.desk import selectors as desk_selectors
from core.desk.models import CLOSED, DEMAND_TABLES, CaseState, Demand, ExamCategory, InspectionMaterial, TrainingMode
from core.operations.selectors import members_cleared_for_duty
from core.referrals import selectors, services
from core.referrals.forms import (
    AcceptForm,
    DeclineForm,
    HandoverForm,
    RecordStateForm,
    ReferForm,
    StationFilterForm,
    WithdrawForm,
)
from core.referrals.models import Direction, ReferralState
from tenants.pages import StationPage

S = ReferralState
PAGE_SIZE = 50

# The tabs of the referral list: (label, the referrals it lists).
# Each takes the viewer: the referrals of confidential cases they may not see are left out (clause 7.3).
TABS = {
    "waiting": (gettext_lazy("Referred to us – waiting"), lambda viewer: selectors.referral_inbox(viewer=viewer)),
    "in": (
        gettext_lazy("Referred to us"),
        lambda viewer: selectors.referral_list(direction=Direction.INCOMING, viewer=viewer),
    ),
    "out": (
        gettext_lazy("Referred by us"),
        lambda viewer: selectors.referral_list(direction=Direction.OUTGOING, viewer=viewer),
    ),
    "overdue": (gettext_lazy("Overdue"), lambda viewer: selectors.referral_list(overdue=True, viewer=viewer)),
}


class ReferralListPage(StationPage):
    template_name = "referrals/list.html"

    def get_context_data(self, **kwargs):
        tab = self.request.GET.get("tab", "waiting")
        if tab not in TABS:
            tab = "waiting"
        label, referrals = TABS[tab]
        page = CappedPaginator(referrals(self.request.user), PAGE_SIZE).get_page(self.request.GET.get("page"))
        return super().get_context_data(
            **kwargs,
            tabs=[(key, value[0]) for key, value in TABS.items()],
            tab=tab,
            title=label,
            page=page,
            query=f"tab={tab}",
            now=timezone.now(),
        )


class ReferPage(StationPage):
    """Refer a case to another station: pick the station (filtered by district, catalog item and name, with what each
    serves and its published load), say why and what is asked, choose what of the demand form travels, and record the
    enterprise's consent. A case whose last referral was declined or failed is re-routed (the chain travels)."""

    template_name = "referrals/refer.html"
    FILTERS = ("district", "item", "q")

    def get_context_data(self, form=None, **kwargs):
        case = self.case
        items = list(case.items.all())
        if any(name in self.request.GET for name in self.FILTERS):
            filter_form = StationFilterForm(self.request.GET)
        else:
            filter_form = StationFilterForm({"item": items[0].pk if items else ""})
        filter_form.is_valid()
        filters = {name: filter_form.cleaned_data.get(name) for name in self.FILTERS}
        filters = {"district": filters["district"] or "", "item": filters["item"], "q": filters["q"] or ""}
        if form is None:
            now = timezone.localtime().replace(second=0, microsecond=0)
            form = ReferForm(initial={"version": case.version, "consent_at": now}, share_options=self.options)
        chosen = str(form["station"].value() or "")
        stations = list(selectors.referral_station_candidates(here=self.station, **filters))
        if chosen.isdigit() and all(str(station.pk) != chosen for station in stations):
            # The station chosen before the list was narrowed stays on it, chosen.
            stations += list(selectors.referral_station_candidates(here=self.station).filter(pk=int(chosen)))
        outgoing = list(selectors.case_referrals(case=case).filter(direction=Direction.OUTGOING))
        open_referral = next((r for r in outgoing if r.state in services.OPEN), None)
        reroute = outgoing[0] if outgoing and outgoing[0].state in services.REROUTABLE else None
        return super().get_context_data(
            **kwargs,
            case=case,
            filter_form=filter_form,
            form=form,
            stations=[{"station": station, "load": getattr(station, "load", None)} for station in stations],
            chosen=chosen,
            reroute=reroute,
            reroute_chain=_labelled(reroute.chain) if reroute is not None else [],
            open_referral=open_referral,
            case_closed=case.state in CLOSED or case.state == CaseState.ON_HOLD,
        )

    def setup_case(self):
        self.case = desk_selectors.case_access(pk=self.kwargs["pk"], user=self.request.user)
        self.options = services.share_options(case=self.case)

    def get(self, request, *args, **kwargs):
        self.setup_case()
        return super().get(request, *args, **kwargs)

    def post(self, request, *args, **kwargs):
        self.setup_case()
        form = ReferForm(request.POST, share_options=self.options)
        if form.is_valid():
            data = form.cleaned_data
            try:
                referral = services.referral_create(
                    case=self.case,
                    user=request.user,
                    station=data["station"],
                    reason=data["reason"],
                    ask=data["ask"],
                    parts=data["parts"],
                    consent_channel=data["consent_channel"],
                    consent_at=data["consent_at"],
                    expected_version=data["version"],
                )
            except ValidationError as error:
                errors_onto(form, error)
            else:
                messages.success(
                    request,
                    _("Referral %(number)s sent to %(station)s.")
                    % {"number": referral.number, "station": referral.partner},
                )
                return redirect("referrals:referral", pk=referral.pk)
        return self.render_to_response(self.get_context_data(form=form), status=400)


def _readable(value, field=None):
    """A shared value as people read it: choices and yes/no in words, nothing as a dash."""
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    if value is None or value == "":
        return "—"
    if field is not None and field.choices:
        return dict(field.flatchoices).get(value, value)
    return value


def shared_sections(shared: dict) -> dict:
    """What travelled with a referral (`Referral.shared`), exactly and only that, with labels to read it by."""
    enterprise = shared.get("enterprise", {})
    request = shared.get("request", {})
    clauses = request.get("items", [])
    items = {item.clause: item for item in ServiceItem.objects.filter(clause__in=clauses)}
    category = ServiceCategory.objects.filter(clause=request.get("category")).first()
    sections: dict = {
        "enterprise": enterprise,
        "category": category or request.get("category", ""),
        "items": [items.get(clause, clause) for clause in clauses],
        "request_text": request.get("text", ""),
    }
    if "contact" in shared:
        sections["contact"] = [
            (Demand._meta.get_field(name).verbose_name, _readable(value)) for name, value in shared["contact"].items()
        ]
    if "boxes" in shared:
        boxes = FormBox.objects.filter(pk__in=shared["boxes"]).order_by("position")
        sections["boxes"] = [f"{box.section}：{box.label}" for box in boxes]
    tables = []
    for name, model in DEMAND_TABLES.items():
        if name not in shared:
            continue
        rows = shared[name]
        fields = [f for f in model._meta.concrete_fields if f.name not in {"id", "demand", "position"}]
        tables.append(
            {
                "name": name,
                "title": model._meta.verbose_name,
                "headers": [f.verbose_name for f in fields],
                "rows": [[_readable(row.get(f.name), f) for f in fields] for row in rows],
            }
        )
    sections["tables"] = tables
    if "materials" in shared:
        sections["materials"] = [dict(InspectionMaterial.choices).get(m, m) for m in shared["materials"]]
    if "exams" in shared:
        exams = shared["exams"]
        sections["exams"] = {
            "categories": [dict(ExamCategory.choices).get(c, c) for c in exams.get("categories", [])],
            "training_mode": dict(TrainingMode.choices).get(exams.get("training_mode", ""), ""),
        }
    if "opinions" in shared:
        sections["opinions"] = shared["opinions"]
    return sections


class ReferralPage(StationPage):
    """One referral as this station holds it: the facts, the earlier referrals of its chain, the data that travelled
    (to an institution: what the station handed over, with the enterprise's consent, and the form to hand it over),
    the timeline both stations see, and the actions open to this side. Each POST names its `action`; a refused one
    shows the page again with that form's errors and what was typed."""

    template_name = "referrals/referral.html"
    ACTIONS = ("accept", "decline", "withdraw", "record", "handover")
    TARGETS = {"accept": S.ACCEPTED, "decline": S.DECLINED, "withdraw": S.WITHDRAWN}

    def referral(self):
        return selectors.referral_access(pk=self.kwargs["pk"], user=self.request.user)

    @staticmethod
    def offered(referral) -> tuple[str, ...]:
        """The actions the page offers this side now (the service decides; this only spares forms it would refuse)."""
        if referral.to_institution:
            handover = ("handover",) if services.handover_open(referral=referral) else ()
            return handover + (("record",) if services.TRANSITIONS[referral.state] else ())
        if referral.state != S.REQUESTED:
            return ()
        return ("accept", "decline") if referral.direction == Direction.INCOMING else ("withdraw",)

    def build_form(self, action: str, referral, data=None):
        initial = None if data is not None else {"version": referral.version}
        if action == "accept":
            # Clause 4.4.1: only members cleared for duty serve the case it opens.
            return AcceptForm(data, initial=initial, members=members_cleared_for_duty(station=self.station))
        if action == "decline":
            return DeclineForm(data, initial=initial)
        if action == "withdraw":
            return WithdrawForm(data, initial=initial)
        if action == "handover":
            if initial is not None:
                initial["consent_at"] = timezone.localtime().replace(second=0, microsecond=0)
            options = services.handover_options(referral=referral)
            return HandoverForm(data, initial=initial, share_options=options, auto_id="handover_%s")
        states = [S(state) for state in services.TRANSITIONS[referral.state]]
        return RecordStateForm(data, initial=initial, states=states)

    def get_context_data(self, bound=None, **kwargs):
        referral = self.referral()
        offered = self.offered(referral)
        forms = {action: self.build_form(action, referral) for action in offered}
        if bound is not None:
            forms[bound[0]] = bound[1]
        reroutable = False
        if referral.direction == Direction.OUTGOING and referral.state in services.REROUTABLE and referral.case_id:
            latest = selectors.case_referrals(case=referral.case).filter(direction=Direction.OUTGOING).first()
            reroutable = latest is not None and latest.pk == referral.pk
        now = timezone.now()
        return super().get_context_data(
            **kwargs,
            referral=referral,
            partner=referral.institution or referral.partner,
            chain=_labelled(referral.chain),
            shared=shared_sections(referral.shared),
            events=list(referral.events.all()),
            forms=forms,
            refused=bound[1] if bound is not None and bound[0] not in offered else None,
            reroutable=reroutable,
            overdue=referral.state == S.REQUESTED and referral.accept_due_at < now,
            now=now,
        )

    def post(self, request, *args, **kwargs):
        action = request.POST.get("action")
        if action not in self.ACTIONS:
            raise Http404
        referral = self.referral()
        if action == "record" and not services.TRANSITIONS[referral.state]:
            form = RecordStateForm(request.POST, states=[S(state) for state in S.values])
        else:
            form = self.build_form(action, referral, request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                if action == "handover":
                    referral = services.referral_handover(
                        referral=referral,
                        user=request.user,
                        parts=data["parts"],
                        consent_channel=data["consent_channel"],
                        consent_at=data["consent_at"],
                        expected_version=data["version"],
                    )
                else:
                    referral = services.referral_transition(
                        referral=referral,
                        user=request.user,
                        to=self.TARGETS.get(action) or data["to"],
                        reason=data.get("reason", ""),
                        outcome=data.get("outcome", ""),
                        assignee=data.get("assignee"),
                        on_site_at=data.get("on_site_at"),
                        service_ended_at=data.get("service_ended_at"),
                        technician=data.get("technician", ""),
                        expected_version=data["version"],
                    )
            except ValidationError as error:
                errors_onto(form, error)
            else:
                if action == "handover":
                    message = _("Recorded: the data handed to %(institution)s and the enterprise's consent.") % {
                        "institution": referral.institution
                    }
                elif action == "accept" and referral.case_id:
                    message = _("Referral accepted: case %(number)s opened.") % {"number": referral.case.number}
                else:
                    message = _("Saved: the referral is now “%(state)s”.") % {"state": S(referral.state).label}
                messages.success(request, message)
                return redirect("referrals:referral", pk=referral.pk)
        return self.render_to_response(self.get_context_data(bound=(action, form)), status=400)


def _labelled(chain: list[dict]) -> list[dict]:
    """The earlier referrals of a chain, each with its state in words."""
    return [
        entry | {"state_label": S(entry["state"]).label if entry.get("state") in S.values else ""} for entry in chain
    ]

"""Pages of public supervision (clause 6.1) on a station host.

Staff pages under `/supervision/` (members only, `StationPage`): the opinions with filters, logging one that came by
phone, WeChat, the box or in person, one opinion with its actions, and the printable QR code of the public page.

The public page `/feedback/` (open without signing in, `tenants.middleware.OPEN_STATION_PATHS`): the opinion form,
anonymous or with contact details, and the station's published results. It reads nothing but published results and
writes only through `services.opinion_submit_public`, behind the spam guard and the rate limit; whatever is refused
comes back with what was typed.
"""

import segno
from django.contrib import messages
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views import View
from django.views.decorators.cache import never_cache

from core.archive.confidentiality import linked_case
from core.common.forms import errors_onto, form_call
from core.common.pagination import CappedPaginator
from core.complaints import selectors as complaint_selectors
from core.complaints import services as complaint_services
from core.complaints import tracking as complaint_tracking
from core.supervision import selectors, services
from core.supervision.forms import (
    AnswerForm,
    ClassifyForm,
    LogOpinionForm,
    OpinionFilterForm,
    PlanDoneForm,
    PlanForm,
    PublicOpinionForm,
    PublishForm,
)
from core.supervision.models import OpinionKind
from core.uploads.checks import KINDS
from tenants.hosts import client_address, is_public_request, station_url
from tenants.models import StationStatus
from tenants.pages import StationPage
from tenants.selectors import station_members

PAGE_SIZE = 50


def feedback_url(station) -> str:
    """The absolute address of a station's public opinion page (what the QR code holds)."""
    return station_url(station.code, "/feedback/")


# Public ----------------------------------------------------------------------------------------------------------


@method_decorator(never_cache, name="dispatch")
class PublicFeedbackPage(View):
    template_name = "supervision/public.html"

    def dispatch(self, request, *args, **kwargs):
        if is_public_request(request) or request.tenant.status == StationStatus.DRAFT:
            raise Http404
        return super().dispatch(request, *args, **kwargs)

    def page(self, request, form, status=200):
        results = selectors.opinion_published_list()[:PAGE_SIZE]
        return render(
            request,
            self.template_name,
            {"form": form, "results": results, "taking": request.tenant.status != StationStatus.SUSPENDED},
            status=status,
        )

    def get(self, request):
        return self.page(request, PublicOpinionForm(initial={"stamp": services.form_stamp()}))

    def post(self, request):
        if request.tenant.status == StationStatus.SUSPENDED:
            raise Http404
        form = PublicOpinionForm(request.POST, request.FILES)
        if form.is_valid():
            data = form.cleaned_data
            try:
                _opinion, complaint = complaint_services.complaint_submit_public(
                    client_address=client_address(request),
                    kind=data["kind"],
                    text=data["text"],
                    anonymous=data["anonymous"],
                    name=data["name"],
                    phone=data["phone"],
                    email=data["email"],
                    photo=data["photo"],
                )
            except ValidationError as error:
                errors_onto(form, error)
            else:
                thanks = reverse("feedback:thanks")
                if complaint is not None:  # its reference number and tracking link (clause 6.5)
                    token = complaint_tracking.complaint_tracking_token(complaint=complaint)
                    thanks += "?" + urlencode({"complaint": token})
                return redirect(thanks)
        # What was typed stays (a chosen photo must be chosen again: browsers never keep it); a fresh stamp lets the
        # corrected form go, unless it was refused for coming back too fast.
        fresh = form.data.copy()
        if not form.has_error(NON_FIELD_ERRORS, "too_fast"):
            fresh["stamp"] = services.form_stamp()
        form.data = fresh
        return self.page(request, form, status=400)


class PublicFeedbackThanksPage(PublicFeedbackPage):
    def get(self, request):
        try:
            complaint = complaint_tracking.complaint_tracking_verify(token=request.GET.get("complaint", ""))
        except complaint_tracking.ComplaintTrackingInvalid:
            complaint = None
        link = (
            complaint_tracking.complaint_tracking_url(complaint=complaint, station=request.tenant) if complaint else ""
        )
        return render(request, "supervision/public_thanks.html", {"complaint": complaint, "tracking_link": link})

    def post(self, request):
        raise Http404


# Staff -----------------------------------------------------------------------------------------------------------


class OpinionListPage(StationPage):
    template_name = "supervision/list.html"

    def get_context_data(self, **kwargs):
        filters = OpinionFilterForm(self.request.GET or None)
        values = filters.cleaned_data if filters.is_valid() else {}
        opinions = selectors.opinion_list(**{k: v for k, v in values.items() if v})
        page = CappedPaginator(opinions, PAGE_SIZE).get_page(self.request.GET.get("page"))
        query = self.request.GET.copy()
        query.pop("page", None)
        return super().get_context_data(**kwargs, filters=filters, page=page, query=query.urlencode())


class OpinionLogPage(StationPage):
    template_name = "supervision/log.html"

    def get_context_data(self, form=None, **kwargs):
        return super().get_context_data(**kwargs, form=form or LogOpinionForm())

    def post(self, request, *args, **kwargs):
        form = LogOpinionForm(request.POST, request.FILES)
        if form.is_valid():
            data = dict(form.cleaned_data)
            number = data.pop("case")
            case = selectors.case_by_number(number=number, viewer=request.user)
            if number and case is None:
                form.add_error("case", _("No such case at this station."))
            else:
                try:
                    opinion = services.opinion_log(user=request.user, case=case, **data)
                except ValidationError as error:
                    errors_onto(form, error)
                else:
                    messages.success(request, _("The opinion is recorded."))
                    return redirect("supervision:opinion", pk=opinion.pk)
        return self.render_to_response(self.get_context_data(form=form), status=400)


class OpinionPage(StationPage):
    """One opinion and what staff do with it: classify, answer, plan improvements and record their results, publish
    the result, close it, and open the complaint an opinion of kind complaint makes."""

    template_name = "supervision/opinion.html"

    def setup_opinion(self):
        self.opinion = selectors.opinion_get(pk=self.kwargs["pk"], viewer=self.request.user)
        if self.opinion is None:
            raise Http404
        # The case as this member may see it (clause 7.3): a confidential one hidden from them is shown as such, and
        # classifying keeps it (they can neither read nor change it).
        self.case_shown = linked_case(self.opinion, user=self.request.user)

    def classify_form(self, data=None) -> ClassifyForm:
        form = ClassifyForm(
            data,
            initial={
                "kind": self.opinion.kind,
                "topic": self.opinion.topic,
                "case": self.case_shown.label if self.case_shown else "",
            },
        )
        if self.case_shown and self.case_shown.hidden:
            form.fields["case"].disabled = True
        return form

    def get(self, request, *args, **kwargs):
        self.setup_opinion()
        return super().get(request, *args, **kwargs)

    def get_context_data(self, forms=None, **kwargs):
        opinion = self.opinion
        members = station_members(station=self.station)
        forms = {
            "classify": self.classify_form(),
            "answer": AnswerForm(initial={"answer": opinion.answer}),
            "plan": PlanForm(members=members),
            "publish": PublishForm(initial={"public_result": opinion.public_result}),
        } | (forms or {})
        return super().get_context_data(
            **kwargs,
            opinion=opinion,
            plans=list(opinion.plans.all()),
            forms=forms,
            done_form=forms.get("done") or PlanDoneForm(),
            blank_done=PlanDoneForm(),
            failed_plan=forms.get("done_plan"),
            complaint=complaint_selectors.complaint_of_opinion(opinion_id=opinion.pk),
            may_open_complaint=opinion.kind == OpinionKind.COMPLAINT,
        )

    def post(self, request, *args, **kwargs):
        self.setup_opinion()
        action = request.POST.get("action", "")
        handler = getattr(self, f"do_{action}", None)
        if handler is None:
            raise Http404
        result = handler(request)
        if isinstance(result, HttpResponse):
            return result
        form_name, form = result
        if form is None:
            return redirect(request.path)
        extra = {form_name: form}
        if form_name == "done":
            extra["done_plan"] = int(request.POST.get("plan", 0) or 0)
        self.setup_opinion()
        return self.render_to_response(self.get_context_data(forms=extra), status=400)

    def _run(self, form, call, success: str):
        return None if form_call(self.request, form, call, success=success) else form

    def do_classify(self, request):
        form = self.classify_form(request.POST)
        if not form.is_valid():
            return "classify", form
        number = form.cleaned_data["case"]
        if self.case_shown and self.case_shown.hidden:
            number, case = "", self.opinion.case
        else:
            case = selectors.case_by_number(number=number, viewer=request.user)
        if number and case is None:
            form.add_error("case", _("No such case at this station."))
            return "classify", form
        return "classify", self._run(
            form,
            lambda: services.opinion_classify(
                opinion=self.opinion,
                user=request.user,
                kind=form.cleaned_data["kind"],
                topic=form.cleaned_data["topic"],
                case=case,
            ),
            _("The opinion is classified."),
        )

    def do_answer(self, request):
        form = AnswerForm(request.POST)
        form.is_valid()
        return "answer", self._run(
            form,
            lambda: services.opinion_answer(
                opinion=self.opinion, user=request.user, answer=form.cleaned_data.get("answer", "")
            ),
            _("The answer is recorded."),
        )

    def do_plan(self, request):
        form = PlanForm(request.POST, members=station_members(station=self.station))
        if not form.is_valid():
            return "plan", form
        owner = station_members(station=self.station).filter(pk=form.cleaned_data["owner"]).first()
        return "plan", self._run(
            form,
            lambda: services.improvement_plan_create(
                opinion=self.opinion,
                user=request.user,
                what=form.cleaned_data["what"],
                owner=owner,
                due_on=form.cleaned_data["due_on"],
            ),
            _("The improvement plan is recorded."),
        )

    def do_done(self, request):
        form = PlanDoneForm(request.POST)
        form.is_valid()
        plan = next((p for p in self.opinion.plans.all() if str(p.pk) == request.POST.get("plan")), None)
        if plan is None:
            raise Http404
        return "done", self._run(
            form,
            lambda: services.improvement_plan_complete(
                plan=plan, user=request.user, result=form.cleaned_data.get("result", "")
            ),
            _("The improvement plan is done."),
        )

    def do_publish(self, request):
        form = PublishForm(request.POST)
        form.is_valid()
        return "publish", self._run(
            form,
            lambda: services.opinion_publish(
                opinion=self.opinion, user=request.user, public_result=form.cleaned_data.get("public_result", "")
            ),
            _("The result is published on the station's public page."),
        )

    def do_unpublish(self, request):
        services.opinion_unpublish(opinion=self.opinion, user=request.user)
        messages.success(request, _("The result is no longer published."))
        return "publish", None

    def do_close(self, request):
        form = AnswerForm()
        return "answer", self._run(
            form,
            lambda: services.opinion_close(opinion=self.opinion, user=request.user),
            _("The opinion is closed."),
        )

    def do_complaint(self, request):
        form = AnswerForm()
        try:
            complaint = complaint_services.complaint_open_from_opinion(opinion=self.opinion, user=request.user)
        except ValidationError as error:
            errors_onto(form, error)
            return "answer", form
        messages.success(request, _("The complaint is opened."))
        return redirect("complaints:complaint", pk=complaint.pk)


class OpinionPhotoView(StationPage):
    def get(self, request, *args, **kwargs):
        opinion = selectors.opinion_get(pk=self.kwargs["pk"])
        if opinion is None or not opinion.photo:
            raise Http404
        try:
            handle = opinion.photo.open("rb")
        except FileNotFoundError:
            raise Http404 from None
        return FileResponse(handle, content_type=KINDS[opinion.photo_kind].content_type)


class FeedbackQRPage(StationPage):
    """The printable QR code of the station's public opinion page, for the suggestion box."""

    template_name = "supervision/qr.html"

    def get_context_data(self, **kwargs):
        url = feedback_url(self.station)
        return super().get_context_data(**kwargs, url=url, svg=segno.make(url, error="m").svg_inline(scale=8))


class FeedbackQRImage(StationPage):
    def get(self, request, *args, **kwargs):
        svg = segno.make(feedback_url(self.station), error="m").svg_inline(scale=8)
        return HttpResponse(svg, content_type="image/svg+xml")

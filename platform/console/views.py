"""The bureau console on the public host (市场监督管理局): every station, for bureau roles only."""

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from console.charts import bar_chart
from console.forms import PeriodForm, ReferralPolicyForm, StationCreateForm, StationStatusForm
from core.common.forms import errors_onto
from core.common.periods import default_period
from core.common.replica import ReplicaReadsMixin
from core.evaluation.forms import ScheduleForm
from core.evaluation.models import Conclusion
from core.evaluation.selectors import rectifications_overdue, round_latest_concluded, round_list, round_scheduled
from core.evaluation.services import evaluation_start, station_publish
from core.network.selectors import referral_flows_overdue, referral_matrix, referral_policy_get
from core.network.services import referral_policy_set
from core.onboarding.selectors import onboarding_job_get, onboarding_steps
from core.onboarding.services import station_onboard
from tenants.hosts import station_host, station_url
from tenants.models import BureauRole, StationStatus
from tenants.pages import BureauPage
from tenants.selectors import membership_list_for_station, station_heads, station_list, user_has_bureau_role
from tenants.services import station_change_status

OVERDUE_SHOWN = 200


class ConsoleHomeView(BureauPage):
    template_name = "console/home.html"

    # The separated administrators each land on their own page of the console (the rest of it is not theirs).
    OWN_PAGES = {BureauRole.SECURITY: "console:users", BureauRole.AUDITOR: "console:audit"}

    def dispatch(self, request, *args, **kwargs):
        own = self.OWN_PAGES.get(getattr(request.user, "bureau_role", ""))
        if own and request.user.is_active and request.method in ("GET", "HEAD"):
            return redirect(own)
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            **kwargs, tab="stations", stations=station_list(), rectifications_overdue=rectifications_overdue()
        )


def _percent(cell) -> str:
    return "—" if cell is None or cell.acceptance_rate is None else f"{cell.acceptance_rate:.0%}"


class ReferralFlowsPage(ReplicaReadsMixin, BureauPage):
    """City-wide referral flows in a period: the station × station matrix (count, acceptance rate, median hours to
    accept, outcomes), referrals to institutions, a chart, and the referrals now overdue for acceptance."""

    template_name = "console/referrals.html"

    def period_form(self) -> PeriodForm:
        names = PeriodForm.base_fields.keys()
        if any(name in self.request.GET for name in names):
            return PeriodForm(self.request.GET)
        start, end = default_period()
        return PeriodForm({"requested_from": start.isoformat(), "requested_to": end.isoformat()})

    def get(self, request, *args, **kwargs):
        form = self.period_form()
        if form.is_valid():
            period = form.cleaned_data
        else:  # the errors are shown on the form; the figures are the default period's
            start, end = default_period()
            period = {"requested_from": start, "requested_to": end}
        context = self.get_context_data(**kwargs, tab="referrals", form=form, period=period, **self.flows(**period))
        return self.render_to_response(context, status=200 if form.is_valid() else 400)

    @staticmethod
    def flows(*, requested_from, requested_to) -> dict:
        matrix = referral_matrix(requested_from=requested_from, requested_to=requested_to)
        stations = matrix.stations
        overdue = list(referral_flows_overdue()[: OVERDUE_SHOWN + 1])
        receiving = [s for s in stations if s.pk in matrix.received]
        return {
            "matrix": matrix,
            "rows": [(sender, list(zip(stations, cells, strict=True)), sent) for sender, cells, sent in matrix.rows()],
            "columns": [(s, matrix.received.get(s.pk)) for s in stations],
            "institutions": [(s, matrix.to_institutions[s.pk]) for s in stations if s.pk in matrix.to_institutions],
            "overdue": overdue[:OVERDUE_SHOWN],
            "overdue_more": len(overdue) > OVERDUE_SHOWN,
            "volume_chart": bar_chart(
                title=_("Referrals sent and received per station"),
                series=[_("Sent"), _("Received")],
                groups=[
                    (
                        s.name,
                        [
                            (cell.total if cell else 0, str(cell.total if cell else 0))
                            for cell in (matrix.sent.get(s.pk), matrix.received.get(s.pk))
                        ],
                    )
                    for s in stations
                ],
            ),
            "acceptance_chart": bar_chart(
                title=_("Acceptance rate per receiving station"),
                series=[_("Accepted of those answered")],
                groups=[
                    (
                        s.name,
                        [
                            (
                                None if cell.acceptance_rate is None else cell.acceptance_rate * 100,
                                f"{_percent(cell)} ({cell.accepted}/{cell.answered})",
                            )
                        ],
                    )
                    for s in receiving
                    for cell in [matrix.received[s.pk]]
                ],
                maximum=100,
            ),
        }


class ReferralPolicyPage(BureauPage):
    """The working days a station has to accept or decline a referral: every bureau role reads it, the bureau's
    administrators change it."""

    template_name = "console/referral_policy.html"
    write_roles = (BureauRole.ADMIN,)

    def get_context_data(self, form=None, **kwargs):
        policy = referral_policy_get()
        may_edit = user_has_bureau_role(user=self.request.user, roles=self.write_roles)
        if may_edit and form is None:
            form = ReferralPolicyForm(initial={"accept_working_days": policy.accept_working_days})
        return super().get_context_data(
            **kwargs, tab="policy", policy=policy, may_edit=may_edit, form=form if may_edit else None
        )

    def post(self, request, *args, **kwargs):
        form = ReferralPolicyForm(request.POST)
        if form.is_valid():
            try:
                policy = referral_policy_set(user=request.user, **form.cleaned_data)
            except ValidationError as error:
                errors_onto(form, error)
            else:
                messages.success(
                    request,
                    _("Referrals must now be accepted or declined within %(days)s working days.")
                    % {"days": policy.accept_working_days},
                )
                return redirect("console:referral_policy")
        return self.render_to_response(self.get_context_data(form=form), status=400)


class StationCreatePage(BureauPage):
    """Onboarding (clause 3): a bureau administrator creates a station and its head, who is invited to set a
    password. The station starts as a draft: it serves only once evaluated and published."""

    template_name = "console/station_new.html"
    bureau_roles = (BureauRole.ADMIN,)

    def get_context_data(self, form=None, **kwargs):
        return super().get_context_data(
            **kwargs, tab="station_new", form=form or StationCreateForm(), base_domain=settings.BASE_DOMAIN
        )

    def post(self, request, *args, **kwargs):
        form = StationCreateForm(request.POST)
        if form.is_valid():
            try:
                onboarding = station_onboard(actor=request.user, request=request, **form.cleaned_data)
            except ValidationError as error:
                errors_onto(form, error)
            else:
                if onboarding.job is not None:  # no spare schema waited: a worker makes one (never this request)
                    return redirect("console:onboarding", pk=onboarding.job.pk)
                created = onboarding.station
                head = station_heads(station=created)[0]
                if head.has_usable_password():
                    message = _("Station %(station)s is created at %(host)s. Its head %(head)s already has an account.")
                else:
                    message = _(
                        "Station %(station)s is created at %(host)s. Its head %(head)s is invited by e-mail "
                        "(%(email)s) to set a password."
                    )
                messages.success(
                    request,
                    message
                    % {
                        "station": created.name,
                        "host": station_host(created.code),
                        "head": head.display_name,
                        "email": head.email,
                    },
                )
                return redirect("console:station", pk=created.pk)
        return self.render_to_response(self.get_context_data(form=form), status=400)


class OnboardingPage(BureauPage):
    """An onboarding queued because no spare schema waited: its steps, until the station is open (a link to it) or the
    job failed (its reason). The page reloads itself while the job runs."""

    template_name = "console/onboarding.html"
    bureau_roles = (BureauRole.ADMIN,)

    def get_context_data(self, **kwargs):
        job = onboarding_job_get(job_id=self.kwargs["pk"])
        if job is None:
            raise Http404
        return super().get_context_data(**kwargs, tab="station_new", job=job, steps=onboarding_steps(job=job))

    def render_to_response(self, context, **kwargs):
        response = super().render_to_response(context, **kwargs)
        if not context["job"].finished:
            response["Refresh"] = "1"  # browsers reload the page each second, with or without scripts
        return response


# What a bureau administrator may do to a station in each status from its console page (evaluation and publication
# have their own pages).
STATUS_ACTIONS = {StationStatus.PUBLISHED: StationStatus.SUSPENDED, StationStatus.SUSPENDED: StationStatus.PUBLISHED}


class StationBureauPage(BureauPage):
    """A page about one station (`pk`): every bureau role reads it; only `write_roles` (administrators) send it
    anything but GET, HEAD or OPTIONS."""

    write_roles = (BureauRole.ADMIN,)

    def get_station(self):
        return get_object_or_404(station_list(), pk=self.kwargs["pk"])


class StationConsolePage(StationBureauPage):
    """One station as the bureau sees it: its facts, status and the history of its status, its head and members.
    Every bureau role reads it; administrators suspend (with a reason) and reactivate it."""

    template_name = "console/station.html"

    def get_context_data(self, form=None, schedule_form=None, **kwargs):
        subject = self.get_station()
        may_edit = user_has_bureau_role(user=self.request.user, roles=self.write_roles)
        action = STATUS_ACTIONS.get(subject.status) if may_edit else None
        if action is not None and form is None:
            form = StationStatusForm(initial={"status": action})
        return super().get_context_data(
            **kwargs,
            tab="stations",
            subject=subject,
            host=station_host(subject.code),
            host_url=station_url(subject.code),
            memberships=membership_list_for_station(station=subject),
            changes=subject.status_changes.select_related("changed_by"),
            may_edit=may_edit,
            action=action,
            form=form,
            **self.evaluation_context(subject, may_edit, schedule_form),
        )

    @staticmethod
    def evaluation_context(subject, may_edit: bool, schedule_form=None) -> dict:
        """The station's evaluation rounds (clause 3): the history, the re-evaluation scheduled, whether the latest
        concluded round approves publishing, and the form that schedules a re-evaluation (`schedule_form`: one sent
        back with its errors)."""
        latest = round_latest_concluded(station=subject)
        schedulable = may_edit and subject.status == StationStatus.PUBLISHED
        return {
            "history": round_list(station=subject),
            "scheduled": round_scheduled(station=subject),
            "approved": latest is not None and latest.conclusion == Conclusion.APPROVED,
            "schedule_form": (schedule_form or ScheduleForm()) if schedulable else None,
            "console": True,
        }

    def post(self, request, *args, **kwargs):
        subject = self.get_station()
        form = StationStatusForm(request.POST)
        if form.is_valid():
            try:
                changed = station_change_status(
                    station=subject, user=request.user, request=request, **form.cleaned_data
                )
            except ValidationError as error:
                errors_onto(form, error)
            else:
                if changed.status == StationStatus.SUSPENDED:
                    message = _("%(station)s is suspended: it takes no new demands or referrals.")
                else:
                    message = _("%(station)s is reactivated: it takes demands and referrals again.")
                messages.success(request, message % {"station": changed.name})
                return redirect("console:station", pk=changed.pk)
        return self.render_to_response(self.get_context_data(form=form), status=400)


def station_action(request, subject, action, success):
    """Run `action()` (a service call) from a button of a station's console page: its refusals are told as error
    messages, `success(result)` as the success message; back to the station's page either way."""
    try:
        result = action()
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    else:
        messages.success(request, success(result))
    return redirect("console:station", pk=subject.pk)


class StationStartEvaluationAction(BureauPage):
    """A bureau administrator starts the evaluation of a draft station (clause 3: evaluated, then published): its
    first evaluation round opens and its head is e-mailed."""

    bureau_roles = (BureauRole.ADMIN,)
    http_method_names = ["post"]

    def post(self, request, *args, **kwargs):
        subject = get_object_or_404(station_list(), pk=self.kwargs["pk"])
        return station_action(
            request,
            subject,
            lambda: evaluation_start(station=subject, user=request.user),
            lambda evaluation_round: (
                _("%(station)s is under evaluation: round %(number)s is open for its head's self-assessment.")
                % {"station": subject.name, "number": evaluation_round.number}
            ),
        )


class StationPublishAction(BureauPage):
    """A bureau administrator publishes (公示) a station under evaluation, or republishes a published one after a
    change: it appears on the public portal and in the open data with what is published now."""

    bureau_roles = (BureauRole.ADMIN,)
    http_method_names = ["post"]

    def post(self, request, *args, **kwargs):
        subject = get_object_or_404(station_list(), pk=self.kwargs["pk"])
        return station_action(
            request,
            subject,
            lambda: station_publish(station=subject, user=request.user, request=request),
            lambda publication: (
                _("%(station)s is published on the public portal; the public notice runs until %(until)s.")
                % {
                    "station": subject.name,
                    "until": formats.date_format(timezone.localtime(publication.notice_until), "Y-m-d"),
                }
            ),
        )

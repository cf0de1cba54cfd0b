"""The public portal on the public host: the published stations, open to everyone."""

from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import TemplateView
from django_tenants.utils import schema_context

from core.archive.services import RETENTION_YEARS
from core.common.replica import ReplicaReadsMixin
from core.desk import services as desk_services
from core.desk.views import DemandFormMixin
from core.evaluation.publication_selectors import publications_prefetch
from portal import open_data
from portal.forms import StationChoiceForm
from portal.objections import ObjectionMixin
from tenants.hosts import station_url
from tenants.selectors import (
    membership_list_for_user,
    station_get_published,
    station_list_published_with_publication,
    station_public_facts,
)


def _published(publication, now) -> dict:
    """A publication as the portal shows it: its snapshot, its date and whether the public notice still runs."""
    return {
        "publication": publication,
        "facts": publication.snapshot,
        "notice_running": publication.notice_until > now,
    }


def _listing(station, publication, now) -> dict:
    """A published station on the portal: its latest publication, or (published before publications were kept)
    its current facts."""
    if publication is None:
        return {"station": station, "publication": None, "facts": station_public_facts(station=station)}
    return {"station": station, **_published(publication, now)}


class PortalHomeView(TemplateView):
    template_name = "portal/home.html"

    def get_context_data(self, **kwargs):
        user = self.request.user
        now = timezone.now()
        return super().get_context_data(
            **kwargs,
            stations=[
                _listing(station, next(iter(station.latest_publications), None), now)
                for station in station_list_published_with_publication()
            ],
            my_stations=[
                (membership, station_url(membership.station.code))
                for membership in (membership_list_for_user(user=user) if user.is_authenticated else [])
            ],
        )


class UnknownHostView(TemplateView):
    """Answer for a host that is neither the public site nor a station's: a 404 that names the problem."""

    template_name = "unknown_host.html"

    def get(self, request, *args, **kwargs):
        host = request.META.get("HTTP_HOST", "")
        return self.render_to_response(self.get_context_data(host=host), status=404)


class OnlineDemandView(DemandFormMixin, TemplateView):
    """The enterprise's own demand form (Appendix A) on the public portal, no sign-in: it lands in the chosen
    station's inbox with channel "online". Bad input is shown back marked, with everything typed kept."""

    template_name = "portal/demand.html"
    online = True

    def get_context_data(self, choice=None, form=None, formsets=None, **kwargs):
        if form is None:
            form, formsets = self.forms()
        choice = choice or StationChoiceForm(initial={"station": self.request.GET.get("station")})
        return super().get_context_data(
            # The privacy notice names how long the archive keeps the demand (clause 7.4).
            **kwargs,
            choice=choice,
            retention_years=RETENTION_YEARS,
            **self.form_context(form, formsets),
        )

    def post(self, request, *args, **kwargs):
        choice = StationChoiceForm(request.POST)
        form, formsets = self.forms(request.POST)
        if not choice.is_valid():
            form.is_valid()  # show the other fields' problems at the same time
            return self.render_to_response(
                self.get_context_data(choice=choice, form=form, formsets=formsets), status=400
            )
        station = choice.cleaned_data["station"]
        if choice.cleaned_data["website"]:
            return redirect("demand_thanks")  # a robot: thanked, and nothing kept

        def submit(fields, tables):
            return desk_services.demand_submit_online(station=station, tables=tables, **fields)

        demand = self.take(form, formsets, submit)
        if demand is None:
            return self.render_to_response(
                self.get_context_data(choice=choice, form=form, formsets=formsets), status=400
            )
        messages.success(
            request,
            _("Your demand %(number)s has reached %(station)s. The station will contact you; phone: %(phone)s.")
            % {"number": demand.number, "station": station.name, "phone": station.service_phone},
        )
        with schema_context(station.schema_name):
            request.session["tracking_link"] = desk_services.tracking_url(demand=demand, station=station)
        return redirect("demand_thanks")


class OnlineDemandThanksView(TemplateView):
    """Thanks, with the demand's tracking link (shown once: it was also sent by SMS or e-mail when the enterprise
    left a mobile number or an address)."""

    template_name = "portal/demand_thanks.html"

    def get_context_data(self, **kwargs):
        return super().get_context_data(**kwargs, tracking_link=self.request.session.pop("tracking_link", ""))


class PortalStationView(ObjectionMixin, TemplateView):
    """One published station on the portal: what is published now, and every publication (公示) before, each with
    what it published, its state and its objections' outcomes; the objection form while the notice runs
    (`portal.objections`). Not published (a draft, under evaluation, suspended): 404."""

    template_name = "portal/station.html"

    def get_context_data(self, objection_form=None, **kwargs):
        station = station_get_published(code=self.kwargs["code"])
        if station is None:
            raise Http404
        now = timezone.now()
        history = [_published(publication, now) for publication in station.publication_history]
        return super().get_context_data(
            **kwargs,
            subject=station,
            current=history[0] if history else _listing(station, None, now),
            history=history,
            feedback_url=station_url(station.code, "/feedback/"),
            **self.objection_context(station, history, objection_form),
        )


class OpenDataView(TemplateView):
    """What the open-data files hold, field by field, in Chinese and English."""

    template_name = "portal/open_data.html"

    def get_context_data(self, **kwargs):
        return super().get_context_data(**kwargs, fields=open_data.FIELDS)


class OpenDataFileView(ReplicaReadsMixin, View):
    """The published stations' latest publications, with their publication histories and objections' outcomes, as
    JSON or CSV, for anyone (no sign-in)."""

    format = "json"

    def get(self, request, *args, **kwargs):
        rows = open_data.records(
            station_list_published_with_publication().prefetch_related(publications_prefetch()),
            lambda station: request.build_absolute_uri(reverse("portal_station", kwargs={"code": station.code})),
        )
        if self.format == "csv":
            response = HttpResponse(open_data.to_csv(rows), content_type="text/csv; charset=utf-8")
            response["Content-Disposition"] = 'attachment; filename="stations.csv"'
            return response
        return JsonResponse(
            {
                "supervision_phone": settings.BUREAU_SUPERVISION_PHONE,
                "fields": open_data.FIELD_NAMES,
                "stations": rows,
            },
            json_dumps_params={"ensure_ascii": False, "indent": 2},
        )

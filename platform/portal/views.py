"""The public portal on the public host: the published stations, open to everyone."""

from django.contrib import messages
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.generic import TemplateView

from core.desk import services as desk_services
from core.desk.views import DemandFormMixin
from portal.forms import StationChoiceForm
from tenants.hosts import station_url
from tenants.selectors import membership_list_for_user, station_list_published


class PortalHomeView(TemplateView):
    template_name = "portal/home.html"

    def get_context_data(self, **kwargs):
        user = self.request.user
        return super().get_context_data(
            **kwargs,
            stations=station_list_published(),
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
        return super().get_context_data(**kwargs, choice=choice, **self.form_context(form, formsets))

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
        return redirect("demand_thanks")


class OnlineDemandThanksView(TemplateView):
    template_name = "portal/demand_thanks.html"

"""The public portal on the public host: the published stations, open to everyone."""

from django.views.generic import TemplateView

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

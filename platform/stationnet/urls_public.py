"""URLs of the public host: the portal, the bureau console, sign-in and the public API."""

from django.urls import include, path

from portal.objections import ObjectionThanksView
from portal.tracking import TrackingLookupView
from portal.views import (
    OnlineDemandThanksView,
    OnlineDemandView,
    OpenDataFileView,
    OpenDataView,
    PortalHomeView,
    PortalStationView,
)

urlpatterns = [
    path("", PortalHomeView.as_view(), name="home"),
    path("stations/<slug:code>/", PortalStationView.as_view(), name="portal_station"),
    path("stations/<slug:code>/objection/thanks/", ObjectionThanksView.as_view(), name="portal_objection_thanks"),
    path("open-data/", OpenDataView.as_view(), name="open_data"),
    path("open-data/stations.json", OpenDataFileView.as_view(format="json"), name="open_data_json"),
    path("open-data/stations.csv", OpenDataFileView.as_view(format="csv"), name="open_data_csv"),
    path("demand/", OnlineDemandView.as_view(), name="demand"),
    path("demand/thanks/", OnlineDemandThanksView.as_view(), name="demand_thanks"),
    path("track/", TrackingLookupView.as_view(), name="track_lookup"),
    path("console/", include("console.urls")),
    path("accounts/tokens/", include("core.tokens.urls")),
    path("accounts/2fa/", include("core.twofactor.urls")),
    path("accounts/", include("core.accounts.urls")),
    path("directory/", include("core.directory.urls")),
    path("jobs/", include("core.jobs.urls")),
    path("notifications/", include("core.notifications.urls")),
    path("api/v1/", include("api.v1.urls_public")),
    path("i18n/", include("django.conf.urls.i18n")),
]

# Bad requests Django refuses itself (a body too large, too many fields): JSON on the API, a page elsewhere.
handler400 = "stationnet.bad_requests.bad_request"

"""URLs of a station host (<code>.<base domain>): everything here is for the station's members only, except the
enterprise's survey link (`/survey/<token>/`, see `tenants.middleware.OPEN_STATION_PATHS`)."""

from django.urls import include, path
from workspace.members import StationMembersPage
from workspace.views import StationHomeView, StationItemsPage

urlpatterns = [
    path("", StationHomeView.as_view(), name="home"),
    path("station/items/", StationItemsPage.as_view(), name="station_items"),
    path("station/members/", StationMembersPage.as_view(), name="station_members"),
    path("station/evaluation/", include("core.evaluation.urls")),
    path("operations/", include("core.operations.urls")),
    path("accounts/tokens/", include("core.tokens.urls")),
    path("accounts/2fa/", include("core.twofactor.urls")),
    path("accounts/", include("core.accounts.urls")),
    path("directory/", include("core.directory.urls")),
    path("desk/referrals/", include("core.referrals.urls")),
    path("desk/documents/", include("core.documents.urls")),
    path("desk/", include("core.desk.urls")),
    path("jobs/", include("core.jobs.urls")),
    path("notifications/", include("core.notifications.urls")),
    path("archive/", include("core.archive.urls")),
    path("survey/", include("core.desk.survey_urls")),
    path("track/", include("portal.tracking_urls")),
    path("supervision/", include("core.supervision.urls")),
    path("complaints/", include("core.complaints.urls")),
    path("assessment/", include("core.assessment.urls")),
    path("feedback/", include("core.supervision.public_urls")),
    path("api/v1/", include("api.v1.urls_station")),
    path("i18n/", include("django.conf.urls.i18n")),
]

# Bad requests Django refuses itself (a body too large, too many fields): JSON on the API, a page elsewhere.
handler400 = "stationnet.bad_requests.bad_request"

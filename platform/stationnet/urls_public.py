"""URLs of the public host: the portal, the bureau console, sign-in and the public API."""

from django.contrib import admin
from django.urls import include, path

from portal.views import OnlineDemandThanksView, OnlineDemandView, PortalHomeView

urlpatterns = [
    path("", PortalHomeView.as_view(), name="home"),
    path("demand/", OnlineDemandView.as_view(), name="demand"),
    path("demand/thanks/", OnlineDemandThanksView.as_view(), name="demand_thanks"),
    path("console/", include("console.urls")),
    path("accounts/", include("tenants.urls")),
    path("directory/", include("core.directory.urls")),
    path("jobs/", include("core.jobs.urls")),
    path("api/v1/", include("api.v1.urls_public")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
]

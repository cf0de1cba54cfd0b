from django.urls import include, path

from api.v1 import activity, tenants
from api.v1.docs import schema_urls

urlpatterns = [
    path("me/", tenants.MeView.as_view(), name="api-me"),
    path("station/", tenants.CurrentStationView.as_view(), name="api-station"),
    path("activity/", activity.ActivityListView.as_view(), name="api-activity"),
    path("", include("api.v1.urls_directory")),
    *schema_urls("stationnet.urls_station"),
]

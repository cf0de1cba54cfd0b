"""The enterprise's tracking link on a station host (`/track/<token>/`): open to the public, see `portal.tracking`."""

from django.urls import path

from portal import complaint_tracking, tracking

app_name = "track"

urlpatterns = [
    path("complaint/<str:token>/", complaint_tracking.ComplaintTrackingView.as_view(), name="complaint"),
    path("<str:token>/", tracking.TrackingView.as_view(), name="page"),
    path("<str:token>/documents/<uuid:uid>/", tracking.TrackingDocumentView.as_view(), name="document"),
]

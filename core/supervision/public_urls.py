"""The station's public opinion page (/feedback/): open to everyone, see `tenants.middleware.OPEN_STATION_PATHS`."""

from django.urls import path

from core.supervision import views

app_name = "feedback"

urlpatterns = [
    path("", views.PublicFeedbackPage.as_view(), name="form"),
    path("thanks/", views.PublicFeedbackThanksPage.as_view(), name="thanks"),
]

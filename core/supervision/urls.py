"""Staff pages of public supervision on a station host, under /supervision/."""

from django.urls import path

from core.supervision import views

app_name = "supervision"

urlpatterns = [
    path("", views.OpinionListPage.as_view(), name="list"),
    path("new/", views.OpinionLogPage.as_view(), name="log"),
    path("qr/", views.FeedbackQRPage.as_view(), name="qr"),
    path("qr.svg", views.FeedbackQRImage.as_view(), name="qr_svg"),
    path("<int:pk>/", views.OpinionPage.as_view(), name="opinion"),
    path("<int:pk>/photo/", views.OpinionPhotoView.as_view(), name="photo"),
]

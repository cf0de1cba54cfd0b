"""Pages of documents, mounted at /desk/documents/ on a station host."""

from django.urls import path

from core.documents import views

app_name = "documents"
urlpatterns = [
    path("cases/<int:pk>/", views.CaseUploadPage.as_view(), name="case_upload"),
    path("demands/<int:pk>/", views.DemandUploadPage.as_view(), name="demand_upload"),
    path("<int:pk>/version/", views.VersionPage.as_view(), name="version"),
    path("<int:pk>/release/", views.ReleasePage.as_view(), name="release"),
    path("<int:pk>/download/", views.DownloadView.as_view(), name="download"),
]

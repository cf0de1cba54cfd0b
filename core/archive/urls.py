from django.urls import path

from core.archive import views

app_name = "archive"

urlpatterns = [
    path("", views.ArchiveIndexPage.as_view(), name="index"),
    path("enterprises/<int:pk>/", views.EnterpriseArchivePage.as_view(), name="enterprise"),
    path("disposals/<int:pk>/approve/", views.DisposalApprovePage.as_view(), name="disposal_approve"),
    path("exports/<int:pk>/", views.ExportPage.as_view(), name="export"),
    path("exports/<int:pk>/download/", views.ExportDownloadView.as_view(), name="export_download"),
    path("access-log/", views.AccessLogPage.as_view(), name="access_log"),
    path("cases/<int:pk>/confidential/", views.CaseConfidentialView.as_view(), name="case_confidential"),
]

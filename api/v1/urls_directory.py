"""The shared directory's endpoints, served on both kinds of host (see api.base.SharedAPIView)."""

from django.urls import path

from api.v1 import directory

urlpatterns = [
    path("catalog/", directory.CatalogView.as_view(), name="api-catalog"),
    path("enterprises/", directory.EnterpriseListView.as_view(), name="api-enterprises"),
    path("enterprises/<int:pk>/", directory.EnterpriseDetailView.as_view(), name="api-enterprise"),
    path("institutions/", directory.InstitutionListView.as_view(), name="api-institutions"),
    path("institutions/<int:pk>/", directory.InstitutionDetailView.as_view(), name="api-institution"),
    path("directory/imports/", directory.ImportView.as_view(), name="api-directory-import"),
    path("directory/exports/", directory.ExportView.as_view(), name="api-directory-export"),
    path(
        "directory/samples/<str:what>.<str:file_format>",
        directory.SampleView.as_view(),
        name="api-directory-sample",
    ),
    path("jobs/<int:pk>/", directory.JobView.as_view(), name="api-job"),
    path("jobs/<int:pk>/result/", directory.JobResultView.as_view(), name="api-job-result"),
]

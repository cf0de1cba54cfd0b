"""API of documents: a case's and a demand's documents, a document's new version, release and file."""

from django.urls import path

from api.v1 import documents

urlpatterns = [
    path("desk/cases/<int:pk>/documents/", documents.CaseDocumentsView.as_view(), name="api-desk-case-documents"),
    path("desk/demands/<int:pk>/documents/", documents.DemandDocumentsView.as_view(), name="api-desk-demand-documents"),
    path("documents/<int:pk>/versions/", documents.DocumentVersionView.as_view(), name="api-document-versions"),
    path("documents/<int:pk>/release/", documents.DocumentReleaseView.as_view(), name="api-document-release"),
    path("documents/<int:pk>/download/", documents.DocumentDownloadView.as_view(), name="api-document-download"),
]

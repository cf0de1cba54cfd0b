from django.urls import path
from django.views.generic import RedirectView

from core.directory import views

app_name = "directory"

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="directory:enterprises"), name="index"),
    path("enterprises/", views.EnterpriseListPage.as_view(), name="enterprises"),
    path("enterprises/new/", views.EnterprisePage.as_view(), name="enterprise_new"),
    path("enterprises/<int:pk>/", views.EnterprisePage.as_view(), name="enterprise"),
    path("institutions/", views.InstitutionListPage.as_view(), name="institutions"),
    path("institutions/new/", views.InstitutionPage.as_view(), name="institution_new"),
    path("institutions/<int:pk>/", views.InstitutionPage.as_view(), name="institution"),
    path("institutions/<int:pk>/qualifications/new/", views.QualificationNewPage.as_view(), name="qualification_new"),
    path("import/", views.ImportPage.as_view(), name="import"),
]

from django.urls import path
from django.views.generic import RedirectView

from core.desk import print_views, views

app_name = "desk"

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="desk:cases", query_string=True), name="index"),
    path("cases/", views.CaseListPage.as_view(), name="cases"),
    path("cases/<int:pk>/", views.CasePage.as_view(), name="case"),
    # The printed forms of a case (Appendix A and B): a page, and a PDF download.
    path("cases/<int:pk>/print/demand/", print_views.DemandPrintView.as_view(), name="print_demand"),
    path("cases/<int:pk>/print/demand.pdf", print_views.DemandPdfView.as_view(), name="print_demand_pdf"),
    path("cases/<int:pk>/print/record/", print_views.RecordPrintView.as_view(), name="print_record"),
    path("cases/<int:pk>/print/record.pdf", print_views.RecordPdfView.as_view(), name="print_record_pdf"),
    path("demands/", views.DemandListPage.as_view(), name="demands"),
    path("demands/new/", views.DemandCreatePage.as_view(), name="demand_new"),
    path("demands/<int:pk>/", views.DemandPage.as_view(), name="demand"),
    path("demands/<int:pk>/tracking/", views.DemandTrackingPage.as_view(), name="demand_tracking"),
]

"""Pages of the head's reviews, the staff assessment and the period summary (clauses 6.3, 6.4, 6.6), under
/assessment/."""

from django.urls import path

from core.assessment import views

app_name = "assessment"

urlpatterns = [
    path("", views.SummaryPage.as_view(), name="summary"),
    path("summary.xlsx", views.SummaryExportPage.as_view(), name="summary_xlsx"),
    path("reviews/", views.ReviewListPage.as_view(), name="reviews"),
    path("reviews/cases/<int:case_id>/", views.CaseReviewPage.as_view(), name="case_review"),
    path("staff/", views.AssessmentListPage.as_view(), name="assessments"),
    path("staff/<int:pk>/", views.AssessmentPage.as_view(), name="assessment"),
]

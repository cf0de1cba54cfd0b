"""Evaluation pages of a station host, under /station/evaluation/."""

from django.urls import path

from core.evaluation import views

app_name = "evaluation"

urlpatterns = [
    path("", views.StationEvaluationPage.as_view(), name="current"),
    path("rounds/<int:number>/", views.StationEvaluationPage.as_view(), name="round"),
    path("evidence/<int:pk>/", views.StationEvidenceFileView.as_view(), name="evidence"),
    path("evidence/<int:pk>/remove/", views.StationEvidenceRemoveAction.as_view(), name="evidence_remove"),
    path("items/<str:code>/figures/remove/", views.StationFiguresRemoveAction.as_view(), name="figures_remove"),
]

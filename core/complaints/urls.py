"""Complaint pages of a station host, under /complaints/."""

from django.urls import path

from core.complaints import views

app_name = "complaints"

urlpatterns = [
    path("", views.ComplaintListPage.as_view(), name="list"),
    path("new/", views.ComplaintCreatePage.as_view(), name="new"),
    path("<int:pk>/", views.ComplaintPage.as_view(), name="complaint"),
]

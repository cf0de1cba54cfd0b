"""Referral pages of a station host, under /desk/referrals/."""

from django.urls import path

from core.referrals import views

app_name = "referrals"

urlpatterns = [
    path("", views.ReferralListPage.as_view(), name="list"),
    path("<int:pk>/", views.ReferralPage.as_view(), name="referral"),
    path("cases/<int:pk>/refer/", views.ReferPage.as_view(), name="refer"),
]

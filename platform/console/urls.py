from django.urls import path

from console import views

app_name = "console"

urlpatterns = [
    path("", views.ConsoleHomeView.as_view(), name="home"),
    path("stations/new/", views.StationCreatePage.as_view(), name="station_new"),
    path("stations/<int:pk>/", views.StationConsolePage.as_view(), name="station"),
    path("referrals/", views.ReferralFlowsPage.as_view(), name="referrals"),
    path("referrals/policy/", views.ReferralPolicyPage.as_view(), name="referral_policy"),
]

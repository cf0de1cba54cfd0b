from django.urls import path

from console import views

app_name = "console"

urlpatterns = [
    path("", views.ConsoleHomeView.as_view(), name="home"),
    path("stations/new/", views.StationCreatePage.as_view(), name="station_new"),
    path("stations/<int:pk>/", views.StationConsolePage.as_view(), name="station"),
    path("stations/<int:pk>/evaluate/", views.StationStartEvaluationAction.as_view(), name="station_evaluate"),
    path("stations/<int:pk>/publish/", views.StationPublishAction.as_view(), name="station_publish"),
    path("referrals/", views.ReferralFlowsPage.as_view(), name="referrals"),
    path("referrals/policy/", views.ReferralPolicyPage.as_view(), name="referral_policy"),
]

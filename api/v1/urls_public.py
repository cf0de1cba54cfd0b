from django.urls import include, path
from rest_framework.authtoken.views import obtain_auth_token

from api.v1 import network, tenants
from api.v1.docs import schema_urls

urlpatterns = [
    path("auth/token/", obtain_auth_token, name="api-token"),
    path("me/", tenants.MeView.as_view(), name="api-me"),
    path("stations/", tenants.BureauStationListView.as_view(), name="api-stations"),
    path("", include("api.v1.urls_directory")),
    path("referrals/matrix/", network.ReferralMatrixView.as_view(), name="api-referral-matrix"),
    path("referrals/overdue/", network.ReferralOverdueView.as_view(), name="api-referral-overdue"),
    path("referrals/policy/", network.ReferralPolicyView.as_view(), name="api-referral-policy"),
    *schema_urls("stationnet.urls_public"),
]

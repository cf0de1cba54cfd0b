from django.urls import include, path

from api.v1 import escalations, evaluation, network, publication, statistics, tenants, tokens
from api.v1.docs import schema_urls

urlpatterns = [
    path("auth/token/", tokens.TokenIssueView.as_view(), name="api-token"),
    path("tokens/", tokens.TokenListView.as_view(), name="api-tokens"),
    path("tokens/<int:pk>/", tokens.TokenDetailView.as_view(), name="api-token-detail"),
    path("me/", tenants.MeView.as_view(), name="api-me"),
    path("stations/", tenants.BureauStationListView.as_view(), name="api-stations"),
    path("", include("api.v1.urls_directory")),
    path("", include("api.v1.urls_notifications")),
    path("referrals/matrix/", network.ReferralMatrixView.as_view(), name="api-referral-matrix"),
    path("referrals/overdue/", network.ReferralOverdueView.as_view(), name="api-referral-overdue"),
    path("referrals/policy/", network.ReferralPolicyView.as_view(), name="api-referral-policy"),
    path("statistics/", statistics.CityStatisticsView.as_view(), name="api-statistics"),
    path("statistics/stations/<int:pk>/", statistics.StationStatisticsView.as_view(), name="api-statistics-station"),
    path(
        "statistics/stations/<int:pk>/cases/",
        statistics.StationCaseListView.as_view(),
        name="api-statistics-station-cases",
    ),
    path(
        "evaluation/stations/<int:pk>/rounds/",
        evaluation.StationRoundListView.as_view(),
        name="api-evaluation-rounds",
    ),
    path(
        "evaluation/stations/<int:pk>/rounds/<int:number>/",
        evaluation.StationRoundDetailView.as_view(),
        name="api-evaluation-round",
    ),
    path(
        "evaluation/stations/<int:pk>/rounds/<int:number>/items/<str:code>/",
        evaluation.ItemReviewView.as_view(),
        name="api-evaluation-round-item",
    ),
    path(
        "evaluation/stations/<int:pk>/rounds/<int:number>/conclude/",
        evaluation.ConcludeView.as_view(),
        name="api-evaluation-round-conclude",
    ),
    path("publication/objections/", publication.ObjectionListView.as_view(), name="api-publication-objections"),
    path(
        "publication/objections/<int:pk>/",
        publication.ObjectionDetailView.as_view(),
        name="api-publication-objection",
    ),
    path("escalations/", escalations.EscalationListView.as_view(), name="api-escalations"),
    path("escalations/<int:pk>/", escalations.EscalationDetailView.as_view(), name="api-escalation"),
    *schema_urls("stationnet.urls_public"),
]

from django.urls import include, path

from console import accounts, audit, escalations, evaluation, objections, statistics, views

app_name = "console"

urlpatterns = [
    path("", views.ConsoleHomeView.as_view(), name="home"),
    path("audit/", audit.AuditTrailPage.as_view(), name="audit"),
    path("audit/export.csv", audit.AuditExportView.as_view(), name="audit_export"),
    path("stations/new/", views.StationCreatePage.as_view(), name="station_new"),
    path("stations/new/<int:pk>/", views.OnboardingPage.as_view(), name="onboarding"),
    path("stations/<int:pk>/", views.StationConsolePage.as_view(), name="station"),
    path("stations/<int:pk>/head/", accounts.StationHeadHandoverPage.as_view(), name="station_head"),
    path("users/", accounts.BureauUsersPage.as_view(), name="users"),
    path("stations/<int:pk>/evaluate/", views.StationStartEvaluationAction.as_view(), name="station_evaluate"),
    path("stations/<int:pk>/publish/", views.StationPublishAction.as_view(), name="station_publish"),
    path("evaluation/", evaluation.EvaluationOverviewPage.as_view(), name="evaluation"),
    path("evaluation/templates/<str:kind>/", evaluation.EvaluationTemplatePage.as_view(), name="evaluation_template"),
    path(
        "stations/<int:pk>/evaluations/<int:number>/",
        evaluation.EvaluationRoundConsolePage.as_view(),
        name="evaluation_round",
    ),
    path(
        "stations/<int:pk>/evaluations/schedule/",
        evaluation.EvaluationScheduleAction.as_view(),
        name="evaluation_schedule",
    ),
    path(
        "stations/<int:pk>/evaluations/evidence/<int:evidence>/",
        evaluation.EvaluationEvidenceConsoleView.as_view(),
        name="evaluation_evidence",
    ),
    path("referrals/", views.ReferralFlowsPage.as_view(), name="referrals"),
    path("objections/", objections.ObjectionListPage.as_view(), name="objections"),
    path("objections/<int:pk>/", objections.ObjectionPage.as_view(), name="objection"),
    path("escalations/", escalations.EscalationListPage.as_view(), name="escalations"),
    path("escalations/<int:pk>/", escalations.EscalationPage.as_view(), name="escalation"),
    path("referrals/policy/", views.ReferralPolicyPage.as_view(), name="referral_policy"),
    path("statistics/", statistics.CityStatisticsPage.as_view(), name="statistics"),
    path(
        "statistics/groups.xlsx",
        statistics.CityStatisticsPage.as_view(),
        {"table": "groups"},
        name="statistics_groups_xlsx",
    ),
    path(
        "statistics/trend.xlsx",
        statistics.CityStatisticsPage.as_view(),
        {"table": "trend"},
        name="statistics_trend_xlsx",
    ),
    path("statistics/stations/<int:pk>/", statistics.StationStatisticsPage.as_view(), name="statistics_station"),
    path(
        "statistics/stations/<int:pk>/groups.xlsx",
        statistics.StationStatisticsPage.as_view(),
        {"table": "groups"},
        name="statistics_station_groups_xlsx",
    ),
    path(
        "statistics/stations/<int:pk>/trend.xlsx",
        statistics.StationStatisticsPage.as_view(),
        {"table": "trend"},
        name="statistics_station_trend_xlsx",
    ),
    path("statistics/stations/<int:pk>/cases/", statistics.StationCaseListPage.as_view(), name="statistics_cases"),
    path(
        "statistics/stations/<int:pk>/cases.xlsx",
        statistics.StationCaseListPage.as_view(),
        {"table": "cases"},
        name="statistics_cases_xlsx",
    ),
    path("tokens/", include("core.tokens.console_urls")),
    path("", include("core.twofactor.console_urls")),
]

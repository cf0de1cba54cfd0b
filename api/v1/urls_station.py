from django.urls import include, path

from api.v1 import activity, desk, desk_surveys, evaluation, referrals, tenants
from api.v1.docs import schema_urls

urlpatterns = [
    path("me/", tenants.MeView.as_view(), name="api-me"),
    path("station/", tenants.CurrentStationView.as_view(), name="api-station"),
    path("activity/", activity.ActivityListView.as_view(), name="api-activity"),
    path("", include("api.v1.urls_directory")),
    path("desk/demands/", desk.DemandListView.as_view(), name="api-desk-demands"),
    path("desk/demands/<int:pk>/", desk.DemandDetailView.as_view(), name="api-desk-demand"),
    path("desk/cases/", desk.CaseListView.as_view(), name="api-desk-cases"),
    path("desk/cases/<int:pk>/", desk.CaseDetailView.as_view(), name="api-desk-case"),
    path("desk/cases/<int:pk>/transition/", desk.CaseTransitionView.as_view(), name="api-desk-case-transition"),
    path("desk/cases/<int:pk>/plan/", desk.CasePlanView.as_view(), name="api-desk-case-plan"),
    path("desk/cases/<int:pk>/events/", desk.CaseEventView.as_view(), name="api-desk-case-events"),
    path("desk/cases/<int:pk>/record/", desk.CaseRecordView.as_view(), name="api-desk-case-record"),
    path(
        "desk/cases/<int:pk>/record/amendments/",
        desk.RecordAmendmentView.as_view(),
        name="api-desk-case-record-amendments",
    ),
    path("desk/cases/<int:pk>/survey/", desk_surveys.CaseSurveyView.as_view(), name="api-desk-case-survey"),
    path("desk/cases/<int:pk>/referrals/", referrals.CaseReferralListView.as_view(), name="api-desk-case-referrals"),
    path(
        "desk/cases/<int:pk>/share-options/",
        referrals.CaseShareOptionsView.as_view(),
        name="api-desk-case-share-options",
    ),
    path("referrals/", referrals.ReferralListView.as_view(), name="api-referrals"),
    path("referrals/inbox/", referrals.ReferralInboxView.as_view(), name="api-referral-inbox"),
    path("referrals/stations/", referrals.ReferralStationListView.as_view(), name="api-referral-stations"),
    path("referrals/<int:pk>/", referrals.ReferralDetailView.as_view(), name="api-referral"),
    path(
        "referrals/<int:pk>/transition/",
        referrals.ReferralTransitionView.as_view(),
        name="api-referral-transition",
    ),
    path("evaluation/", evaluation.CurrentRoundView.as_view(), name="api-evaluation"),
    path("evaluation/items/<str:code>/", evaluation.SelfAssessmentView.as_view(), name="api-evaluation-item"),
    path(
        "evaluation/items/<str:code>/evidence/",
        evaluation.EvidenceUploadView.as_view(),
        name="api-evaluation-item-evidence",
    ),
    path("evaluation/submit/", evaluation.SubmitView.as_view(), name="api-evaluation-submit"),
    *schema_urls("stationnet.urls_station"),
]

"""The enterprise's survey link on a station host (`/survey/<token>/`): open to the public, see
`core.desk.survey_views`."""

from django.urls import path

from core.desk import survey_views

app_name = "survey"

urlpatterns = [
    path("<str:token>/", survey_views.SurveyView.as_view(), name="form"),
    path("<str:token>/thanks/", survey_views.SurveyThanksView.as_view(), name="thanks"),
]

"""The satisfaction survey of a case through the API (clause 5.2.4, Appendix B): staff key in the paper form the
enterprise signed, and read a case's survey back. The enterprise itself answers through its link
(`core.desk.survey_views`), not here.

Serializers check types only; the rules (a completed case, one survey per case, never changed) are the services',
whose refusals come back as 400 keyed by field.
"""

from django.http import Http404
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.fields import empty
from rest_framework.response import Response

from api.base import CaseAPIView
from api.serializers import ModelSerializer, Serializer
from core.desk import services
from core.desk.models import Rating, Survey, SurveyChannel

TEXT = {"required": False, "allow_blank": True, "default": ""}


class OptionalBoolean(serializers.BooleanField):
    """A yes / no answer that may be missing, also from a form post (where DRF would read a missing one as false):
    the service says it is required."""

    default_empty_html = empty


class SurveyInput(Serializer):
    """The paper form's answers: Q1–Q4 and Q6–Q10 `very_satisfied`, `satisfied`, `fair` or `dissatisfied`; Q5
    whether the problem was solved."""

    q1 = serializers.CharField(**TEXT)
    q2 = serializers.CharField(**TEXT)
    q3 = serializers.CharField(**TEXT)
    q4 = serializers.CharField(**TEXT)
    q5 = OptionalBoolean(required=False, allow_null=True, default=None)
    q6 = serializers.CharField(**TEXT)
    q7 = serializers.CharField(**TEXT)
    q8 = serializers.CharField(**TEXT)
    q9 = serializers.CharField(**TEXT)
    q10 = serializers.CharField(**TEXT)
    opinions = serializers.CharField(**TEXT)
    signatory = serializers.CharField(**TEXT)


# The values are listed in words, not as enums: drf-spectacular would name one enum component per field (Q1Enum …
# Q10Enum, a second ChannelEnum) and warn about it. (ENUM_NAME_OVERRIDES for Rating and SurveyChannel would do too.)
@extend_schema_field({"type": "string", "description": " | ".join(Rating.values)})
class RatingField(serializers.CharField):
    pass


@extend_schema_field({"type": "string", "description": " | ".join(SurveyChannel.values)})
class ChannelField(serializers.CharField):
    pass


class SurveySerializer(ModelSerializer):
    q1 = RatingField(read_only=True)
    q2 = RatingField(read_only=True)
    q3 = RatingField(read_only=True)
    q4 = RatingField(read_only=True)
    q6 = RatingField(read_only=True)
    q7 = RatingField(read_only=True)
    q8 = RatingField(read_only=True)
    q9 = RatingField(read_only=True)
    q10 = RatingField(read_only=True)
    channel = ChannelField(read_only=True)
    channel_display = serializers.CharField(source="get_channel_display", read_only=True)
    keyed_in_by = serializers.SerializerMethodField()

    class Meta:
        model = Survey
        fields = ["id", "case", *services.SURVEY_ANSWERS, "channel", "channel_display", "keyed_in_by", "submitted_at"]

    def get_keyed_in_by(self, survey) -> dict | None:
        user = survey.keyed_in_by
        return None if user is None else {"id": user.pk, "name": user.display_name}


class CaseSurveyView(CaseAPIView):
    """GET: the case's satisfaction survey (404 while there is none). POST: key in the signed paper form of a
    completed case; the case becomes evaluated."""

    @extend_schema(responses=SurveySerializer)
    def get(self, request, pk: int):
        survey = Survey.objects.select_related("keyed_in_by").filter(case=self.case).first()
        if survey is None:
            raise Http404
        return Response(SurveySerializer(survey).data)

    @extend_schema(request=SurveyInput, responses={201: SurveySerializer})
    def post(self, request, pk: int):
        serializer = SurveyInput(data=request.data)
        serializer.is_valid(raise_exception=True)
        survey = services.survey_submit(
            case=self.case,
            channel=SurveyChannel.PAPER,
            user=request.user,
            **serializer.validated_data,
        )
        return Response(SurveySerializer(survey).data, status=status.HTTP_201_CREATED)

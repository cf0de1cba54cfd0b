"""API of the head's reviews, the staff assessment and the period summary (clauses 6.3, 6.4, 6.6), on a station host.

Members read what is theirs to read (the head everything; a member the written reviews of their own cases and their
own confirmed assessments; anything else answers 404, like a missing row); only the head writes (403). Serializers
check types only; every rule is the services' (`core.assessment.services`), whose refusals come back as 400 by
field.
"""

from django.http import Http404
from django.utils import timezone
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.response import Response

from api.base import StationAPIView
from api.pagination import paginate, paginated_schema
from api.serializers import ModelSerializer, Serializer
from api.v1.docs import NOT_FOUND
from core.assessment import selectors, services
from core.assessment.models import (
    DIMENSIONS,
    CaseReview,
    Level,
    PeriodKind,
    ReviewConclusion,
    StaffAssessment,
)
from core.desk.models import ServiceCase
from tenants.models import MemberRole, User

# Input: types only ------------------------------------------------------------------------------------------------


class MarkInput(Serializer):
    case = serializers.IntegerField()
    reason = serializers.CharField(max_length=2000)


class ReviewInput(Serializer):
    findings = serializers.CharField(max_length=8000, allow_blank=True)
    conclusion = serializers.ChoiceField(choices=ReviewConclusion.choices, allow_blank=True)
    follow_up = serializers.CharField(max_length=4000, required=False, allow_blank=True, default="")


class OpenInput(Serializer):
    member = serializers.IntegerField(
        required=False, allow_null=True, default=None, help_text="none: every staff member"
    )
    period_kind = serializers.ChoiceField(choices=PeriodKind.choices)
    period_start = serializers.DateField(help_text="the first day of the month or quarter")


class AdjustInput(Serializer):
    version = serializers.IntegerField(required=False, allow_null=True, default=None)
    civility = serializers.ChoiceField(choices=Level.choices, required=False, allow_blank=True)
    timeliness = serializers.ChoiceField(choices=Level.choices, required=False, allow_blank=True)
    accuracy = serializers.ChoiceField(choices=Level.choices, required=False, allow_blank=True)
    civility_remark = serializers.CharField(max_length=2000, required=False, allow_blank=True)
    timeliness_remark = serializers.CharField(max_length=2000, required=False, allow_blank=True)
    accuracy_remark = serializers.CharField(max_length=2000, required=False, allow_blank=True)
    remark = serializers.CharField(max_length=4000, required=False, allow_blank=True)


class AssessmentVersionInput(Serializer):
    version = serializers.IntegerField(required=False, allow_null=True, default=None)


def _valid(serializer: serializers.Serializer) -> dict:
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)


def _user(user: User | None) -> dict | None:
    return None if user is None else {"id": user.pk, "name": user.display_name}


# Output -----------------------------------------------------------------------------------------------------------


class ReviewSerializer(ModelSerializer):
    case_number = serializers.CharField(source="case.number", read_only=True)
    assignee = serializers.SerializerMethodField()
    marked_by = serializers.SerializerMethodField()
    reviewed_by = serializers.SerializerMethodField()

    class Meta:
        model = CaseReview
        fields = [
            "id",
            "case",
            "case_number",
            "assignee",
            "reason",
            "marked_by",
            "marked_at",
            "findings",
            "conclusion",
            "follow_up",
            "reviewed_by",
            "reviewed_at",
        ]

    def get_assignee(self, review) -> dict | None:
        return _user(review.case.assignee)

    def get_marked_by(self, review) -> dict | None:
        return _user(review.marked_by)

    def get_reviewed_by(self, review) -> dict | None:
        return _user(review.reviewed_by)


class AssessmentSerializer(ModelSerializer):
    """`figures` name cases as the reader may see them: the view gives `case_numbers` in the context
    (`selectors.figures_case_numbers`, clause 7.3)."""

    figures = serializers.SerializerMethodField()
    member = serializers.SerializerMethodField()
    confirmed_by = serializers.SerializerMethodField()
    confirmed = serializers.BooleanField(source="is_confirmed", read_only=True)

    class Meta:
        model = StaffAssessment
        fields = [
            "id",
            "member",
            "period_kind",
            "period_start",
            "period_end",
            "figures",
            *(f"prefilled_{d}" for d in DIMENSIONS),
            *DIMENSIONS,
            *(f"{d}_remark" for d in DIMENSIONS),
            "remark",
            "prepared_at",
            "confirmed",
            "confirmed_by",
            "confirmed_at",
            "version",
        ]

    def get_figures(self, assessment) -> dict:
        return selectors.figures_shown(assessment.figures, self.context.get("case_numbers", {}))

    def get_member(self, assessment) -> dict | None:
        return _user(assessment.member)

    def get_confirmed_by(self, assessment) -> dict | None:
        return _user(assessment.confirmed_by)


# Views ------------------------------------------------------------------------------------------------------------


class AssessmentAPIView(StationAPIView):
    """Members read; only the head writes (the services check it again)."""

    write_roles = (MemberRole.HEAD,)

    def serializer(self, assessments, many: bool = False) -> AssessmentSerializer:
        """The serializer of `assessments` (a list with `many`) with their case numbers as the reader may see
        them."""
        rows = list(assessments) if many else [assessments]
        numbers = selectors.figures_case_numbers(assessments=rows, viewer=self.request.user, head=self.is_head)
        return AssessmentSerializer(assessments, many=many, context={"case_numbers": numbers})


class ReviewListView(AssessmentAPIView):
    """Cases marked for review (clause 6.3), newest first; the head marks a case (`case` id, `reason`)."""

    @paginated_schema(ReviewSerializer)
    def get(self, request):
        return paginate(self, request, selectors.review_list(viewer=request.user, head=self.is_head), ReviewSerializer)

    @extend_schema(request=MarkInput, responses={201: ReviewSerializer, 404: NOT_FOUND})
    def post(self, request):
        data = _valid(MarkInput(data=request.data))
        case = ServiceCase.objects.filter(pk=data["case"]).first()
        if case is None:
            raise Http404
        review = services.case_review_mark(case=case, user=request.user, reason=data["reason"])
        found = selectors.review_list(viewer=request.user, head=True).get(pk=review.pk)
        return Response(ReviewSerializer(found).data, status=status.HTTP_201_CREATED)


class ReviewDetailView(AssessmentAPIView):
    """A case's review; the head writes it (findings, conclusion, follow-up), once."""

    def review(self, request, case_id: int) -> CaseReview:
        review = selectors.review_of_case(case_id=case_id, viewer=request.user, head=self.is_head)
        if review is None:
            raise Http404
        return review

    @extend_schema(responses=ReviewSerializer)
    def get(self, request, case_id: int):
        return Response(ReviewSerializer(self.review(request, case_id)).data)

    @extend_schema(operation_id="assessment_review_write", request=ReviewInput, responses=ReviewSerializer)
    def post(self, request, case_id: int):
        review = self.review(request, case_id)
        data = _valid(ReviewInput(data=request.data))
        services.case_review_write(review=review, user=request.user, **data)
        return Response(ReviewSerializer(self.review(request, case_id)).data)


class AssessmentListView(AssessmentAPIView):
    """Staff assessments (clause 6.4), newest period first; the head opens one member's (`member`) or every staff
    member's for a month or quarter, pre-filled from the data."""

    @paginated_schema(AssessmentSerializer)
    def get(self, request):
        assessments = selectors.assessment_list(viewer=request.user, head=self.is_head)
        return paginate(self, request, assessments, self.serializer)

    @extend_schema(request=OpenInput, responses={201: AssessmentSerializer(many=True)})
    def post(self, request):
        data = _valid(OpenInput(data=request.data))
        member_id = data.pop("member")
        if member_id is None:
            opened = services.staff_assessments_open(user=request.user, **data)
        else:
            member = User.objects.filter(pk=member_id).first() or User(pk=0)  # unknown: refused as not a member
            opened = [services.staff_assessment_open(user=request.user, member=member, **data)]
        found = selectors.assessment_list(viewer=request.user, head=True).filter(pk__in=[a.pk for a in opened])
        return Response(self.serializer(list(found), many=True).data, status=status.HTTP_201_CREATED)


class AssessmentDetailView(AssessmentAPIView):
    """One assessment with the figures behind each dimension; the head adjusts a draft (PATCH)."""

    def assessment(self, request, pk: int) -> StaffAssessment:
        assessment = selectors.assessment_get(pk=pk, viewer=request.user, head=self.is_head)
        if assessment is None:
            raise Http404
        return assessment

    @extend_schema(responses=AssessmentSerializer)
    def get(self, request, pk: int):
        return Response(self.serializer(self.assessment(request, pk)).data)

    @extend_schema(request=AdjustInput, responses=AssessmentSerializer)
    def patch(self, request, pk: int):
        assessment = self.assessment(request, pk)
        data = _valid(AdjustInput(data=request.data))
        version = data.pop("version")
        services.staff_assessment_adjust(assessment=assessment, user=request.user, expected_version=version, **data)
        return Response(self.serializer(self.assessment(request, pk)).data)


class AssessmentConfirmView(AssessmentDetailView):
    """The head confirms a draft: from then on it is frozen."""

    @extend_schema(request=AssessmentVersionInput, responses=AssessmentSerializer)
    def post(self, request, pk: int):
        assessment = self.assessment(request, pk)
        version = _valid(AssessmentVersionInput(data=request.data))["version"]
        services.staff_assessment_confirm(assessment=assessment, user=request.user, expected_version=version)
        return Response(self.serializer(self.assessment(request, pk)).data)


class SummaryQuery(Serializer):
    period_kind = serializers.ChoiceField(choices=PeriodKind.choices, required=False, default=PeriodKind.MONTH)
    day = serializers.DateField(required=False, default=None, help_text="any day of the period; today by default")


class SummaryView(AssessmentAPIView):
    """The station's service results of the month or quarter containing `day` (clause 6.6): cases received,
    completed and on time, satisfaction (as the city statistics count them), complaints, reviews, assessments."""

    @extend_schema(
        parameters=[SummaryQuery],
        responses=inline_serializer(
            "PeriodSummary",
            {
                "start": serializers.DateField(),
                "end": serializers.DateField(),
                "services": serializers.DictField(),
                "complaints": serializers.DictField(),
                "reviews": serializers.DictField(),
                "assessments": serializers.DictField(),
            },
        ),
    )
    def get(self, request):
        query = _valid(SummaryQuery(data=request.query_params))
        start, end = selectors.period_bounds(kind=query["period_kind"], start=query["day"] or timezone.localdate())
        summary = selectors.period_summary(start=start, end=end)
        return Response(
            {
                "start": summary.start,
                "end": summary.end,
                "services": summary.figures.as_dict(),
                "complaints": summary.complaints,
                "reviews": summary.reviews,
                "assessments": summary.assessments,
            }
        )

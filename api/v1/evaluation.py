"""API of evaluation rounds (综合评估, clause 3).

Station host (its members read; its head writes): the current round with its items, an item's self-assessment, an
evidence upload, the operations figures attached to an item, the submission. An item that asks for evidence
(`evidence_required`) is answered met only once it has a file or the figures. Public host (bureau roles read; administrators write): a station's rounds (and the
scheduling of a re-evaluation), a round with its items, an item's review, the conclusion.

Serializers check types only; every rule is the services' (`core.evaluation.services`), whose refusals come back as
400 keyed by field (for many items at once, `<item code>.<field>`, e.g. `4.1.1.met`). Items are named by their code
(`4.1.1`, `4.5a`). Each item has a `weight` (from the bureau's round template) and the reviewer's `review_score`
(0 to the weight); the round's `score` is computed by the service (the weighted total, 0-100; never an input), and the
round's `pass_mark` with it proposes the conclusion.
"""

from django.http import Http404
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response

from api.base import BureauAPIView, StationAPIView
from api.pagination import paginate, paginated_schema
from api.serializers import ModelSerializer, Serializer
from api.v1.docs import NOT_FOUND
from core.evaluation import selectors, services
from core.evaluation.figures import figures_lines
from core.evaluation.models import WEIGHT_MAX, EvaluationEvidence, EvaluationItem, EvaluationRound, RoundStatus
from tenants.models import BureauRole, MemberRole
from tenants.selectors import station_list

# Input: types only ------------------------------------------------------------------------------------------------


class SelfAssessmentInput(Serializer):
    """`met` true / false (null: not answered yet); a field left out keeps its value."""

    met = serializers.BooleanField(allow_null=True, required=False)
    note = serializers.CharField(allow_blank=True, required=False, max_length=4000)


class EvidenceInput(Serializer):
    file = serializers.FileField()


class ReviewInput(Serializer):
    """`score` 0 to the item's `weight` and/or `met` true / false (met alone scores the full weight, not met 0; both
    null: not reviewed yet); a remark is required when not met (any score below the weight)."""

    met = serializers.BooleanField(allow_null=True, required=False, default=None)
    score = serializers.IntegerField(allow_null=True, required=False, default=None, min_value=0, max_value=WEIGHT_MAX)
    remark = serializers.CharField(allow_blank=True, required=False, default="", max_length=4000)


class ConcludeInput(Serializer):
    """`conclusion` approved, rectify (with `rectify_by`) or rejected (with the reason in `summary`)."""

    conclusion = serializers.CharField()
    summary = serializers.CharField(allow_blank=True, required=False, default="", max_length=4000)
    rectify_by = serializers.DateField(allow_null=True, required=False, default=None)


class ScheduleInput(Serializer):
    due_on = serializers.DateField()


# Output -----------------------------------------------------------------------------------------------------------
# Choice fields are plain strings (with their `_display`), as in the other endpoints.


class EvidenceSerializer(ModelSerializer):
    uploaded_by = serializers.CharField(source="uploaded_by.display_name", read_only=True)

    class Meta:
        model = EvaluationEvidence
        fields = ["id", "original_name", "kind", "size", "uploaded_by", "uploaded_at"]


class ItemSerializer(ModelSerializer):
    """An item with what evidence it asks for (`evidence_required`: never met without a file or the figures), its
    files, and the operations figures attached (`figures`: the snapshot as taken; `figures_summary`: in words)."""

    reviewed_by = serializers.SerializerMethodField()
    evidence = EvidenceSerializer(many=True, read_only=True)
    evidence_kind = serializers.CharField(read_only=True)
    evidence_kind_display = serializers.CharField(source="get_evidence_kind_display", read_only=True)
    figures_source = serializers.CharField(read_only=True)
    figures = serializers.JSONField(read_only=True, allow_null=True)
    figures_summary = serializers.SerializerMethodField()
    figures_taken_by = serializers.SerializerMethodField()

    class Meta:
        model = EvaluationItem
        fields = [
            "code",
            "section",
            "section_title",
            "title",
            "required",
            "weight",
            "self_met",
            "self_note",
            "self_assessed_at",
            "review_score",
            "review_met",
            "remark",
            "reviewed_by",
            "reviewed_at",
            "previous_met",
            "previous_remark",
            "evidence_kind",
            "evidence_kind_display",
            "evidence_required",
            "evidence",
            "figures_source",
            "figures",
            "figures_summary",
            "figures_taken_at",
            "figures_taken_by",
        ]

    def get_reviewed_by(self, item) -> str | None:
        return None if item.reviewed_by is None else item.reviewed_by.display_name

    def get_figures_summary(self, item) -> list[str]:
        return figures_lines(item)

    def get_figures_taken_by(self, item) -> str | None:
        return None if item.figures_taken_by is None else item.figures_taken_by.display_name


class RoundSerializer(ModelSerializer):
    kind = serializers.CharField(read_only=True)
    kind_display = serializers.CharField(source="get_kind_display", read_only=True)
    status = serializers.CharField(read_only=True)
    status_display = serializers.CharField(source="get_status_display", read_only=True)
    conclusion = serializers.CharField(read_only=True)
    conclusion_display = serializers.CharField(source="get_conclusion_display", read_only=True)
    previous = serializers.SerializerMethodField()

    class Meta:
        model = EvaluationRound
        fields = [
            "number",
            "kind",
            "kind_display",
            "status",
            "status_display",
            "previous",
            "due_on",
            "opened_at",
            "submitted_at",
            "concluded_at",
            "conclusion",
            "conclusion_display",
            "rectify_by",
            "score",
            "pass_mark",
            "summary",
        ]

    def get_previous(self, evaluation_round) -> int | None:
        """The number of the round this one follows up."""
        return None if evaluation_round.previous_id is None else evaluation_round.previous.number


class RoundDetailSerializer(RoundSerializer):
    """A round with its items and, once every item is scored, the conclusion the scores propose (`approved` when the
    total reaches the pass mark and no required item scored 0, `rectify` otherwise; null before)."""

    items = ItemSerializer(many=True, read_only=True)
    proposed_conclusion = serializers.SerializerMethodField()

    class Meta(RoundSerializer.Meta):
        fields = [*RoundSerializer.Meta.fields, "proposed_conclusion", "items"]

    def get_proposed_conclusion(self, evaluation_round) -> str | None:
        if evaluation_round.status != RoundStatus.SUBMITTED:
            return None
        return selectors.round_proposal(evaluation_round=evaluation_round).conclusion


def _valid(serializer: serializers.Serializer) -> dict:
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


def _item(evaluation_round: EvaluationRound, code: str) -> EvaluationItem:
    item = selectors.item_get(evaluation_round=evaluation_round, code=code)
    if item is None:
        raise Http404
    return item


# Station host -----------------------------------------------------------------------------------------------------


class StationEvaluationAPIView(StationAPIView):
    """Members read; the endpoints that write are the head's (`station_roles`; the services check it again)."""

    def current_round(self) -> EvaluationRound:
        evaluation_round = selectors.round_current(station=self.station)
        if evaluation_round is None:
            raise Http404
        return evaluation_round

    def current_round_data(self) -> dict:
        return RoundDetailSerializer(self.current_round()).data


class CurrentRoundView(StationEvaluationAPIView):
    """The station's current evaluation round (the one under way, else the last one) with its items; 404 if none."""

    @extend_schema(responses={200: RoundDetailSerializer, 404: NOT_FOUND})
    def get(self, request):
        return Response(self.current_round_data())


class SelfAssessmentView(StationEvaluationAPIView):
    """The head's answer to an item of the open round."""

    station_roles = (MemberRole.HEAD,)

    @extend_schema(request=SelfAssessmentInput, responses=ItemSerializer)
    def patch(self, request, code: str):
        item = _item(self.current_round(), code)
        data = _valid(SelfAssessmentInput(data=request.data))
        assessed = services.item_self_assess(
            item=item,
            user=request.user,
            met=data.get("met", item.self_met),
            note=data.get("note", item.self_note),
        )
        return Response(ItemSerializer(assessed).data)


class EvidenceUploadView(StationEvaluationAPIView):
    """Upload a file as evidence of an item of the open round (multipart, field `file`): JPEG, PNG, PDF, DOCX or XLSX
    by content, at most the configured size."""

    station_roles = (MemberRole.HEAD,)
    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(request={"multipart/form-data": EvidenceInput}, responses={201: EvidenceSerializer})
    def post(self, request, code: str):
        item = _item(self.current_round(), code)
        data = _valid(EvidenceInput(data=request.data))
        evidence = services.evidence_add(item=item, user=request.user, file=data["file"])
        return Response(EvidenceSerializer(evidence).data, status=status.HTTP_201_CREATED)


class FiguresView(StationEvaluationAPIView):
    """The operations figures of an item of the open round (the staff register, the equipment register or the written
    systems, as they are now): POST attaches them as its evidence (again: taken again), DELETE takes them off."""

    station_roles = (MemberRole.HEAD,)

    @extend_schema(request=None, responses=ItemSerializer)
    def post(self, request, code: str):
        item = _item(self.current_round(), code)
        attached = services.figures_attach(item=item, user=request.user)
        return Response(ItemSerializer(attached).data)

    @extend_schema(request=None, responses={200: ItemSerializer})
    def delete(self, request, code: str):
        item = _item(self.current_round(), code)
        removed = services.figures_remove(item=item, user=request.user)
        return Response(ItemSerializer(removed).data)


class SubmitView(StationEvaluationAPIView):
    """Submit the open round's self-assessment for review: every item must be answered."""

    station_roles = (MemberRole.HEAD,)

    @extend_schema(request=None, responses={200: RoundDetailSerializer, 404: NOT_FOUND})
    def post(self, request):
        services.round_submit(evaluation_round=self.current_round(), user=request.user)
        return Response(self.current_round_data())


# Public host (the bureau) -----------------------------------------------------------------------------------------


class BureauEvaluationAPIView(BureauAPIView):
    """Bureau roles read; administrators write (the services check it again)."""

    write_roles = (BureauRole.ADMIN,)

    def get_station(self, pk: int):
        return get_object_or_404(station_list(), pk=pk)

    def evaluation_round(self, pk: int, number: int) -> EvaluationRound:
        evaluation_round = selectors.round_get(station=self.get_station(pk), number=number)
        if evaluation_round is None:
            raise Http404
        return evaluation_round


class StationRoundListView(BureauEvaluationAPIView):
    """A station's evaluation rounds, newest first (scheduled ones included); POST schedules a re-evaluation of a
    published station for `due_on` (one due today opens at once)."""

    @paginated_schema(RoundSerializer)
    def get(self, request, pk: int):
        rounds = selectors.round_list(station=self.get_station(pk)).select_related("previous")
        return paginate(self, request, rounds, RoundSerializer)

    @extend_schema(request=ScheduleInput, responses={201: RoundSerializer})
    def post(self, request, pk: int):
        data = _valid(ScheduleInput(data=request.data))
        scheduled = services.round_schedule(station=self.get_station(pk), user=request.user, **data)
        return Response(RoundSerializer(scheduled).data, status=status.HTTP_201_CREATED)


class StationRoundDetailView(BureauEvaluationAPIView):
    """A round with its items, the head's self-assessment, the evidence and the review."""

    @extend_schema(responses=RoundDetailSerializer)
    def get(self, request, pk: int, number: int):
        return Response(RoundDetailSerializer(self.evaluation_round(pk, number)).data)


class ItemReviewView(BureauEvaluationAPIView):
    """The reviewer's result for an item of a submitted round."""

    @extend_schema(request=ReviewInput, responses=ItemSerializer)
    def patch(self, request, pk: int, number: int, code: str):
        item = _item(self.evaluation_round(pk, number), code)
        data = _valid(ReviewInput(data=request.data))
        reviewed = services.item_review(item=item, user=request.user, **data)
        return Response(ItemSerializer(reviewed).data)


class ConcludeView(BureauEvaluationAPIView):
    """Conclude a submitted round whose items are all reviewed."""

    @extend_schema(request=ConcludeInput, responses=RoundDetailSerializer)
    def post(self, request, pk: int, number: int):
        data = _valid(ConcludeInput(data=request.data))
        services.round_conclude(
            evaluation_round=self.evaluation_round(pk, number), user=request.user, request=request, **data
        )
        return Response(RoundDetailSerializer(self.evaluation_round(pk, number)).data)

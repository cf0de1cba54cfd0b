"""API of public supervision (clause 6.1) and complaints (clause 6.5) on a station host: the opinions with their
plans, and the complaints with their timeline, the next step and the escalation to the bureau.

Serializers check types only; every rule is the services', whose refusals come back as 400 keyed by field.
"""

from django.http import Http404
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response

from api.base import StationAPIView
from api.masking import MaskedEmailField, MaskedPhoneField
from api.pagination import paginate, paginated_schema
from api.serializers import ModelSerializer, Serializer
from core.archive.confidentiality import linked_case
from core.complaints import selectors as complaint_selectors
from core.complaints import services as complaint_services
from core.complaints.models import Complaint, ComplaintEvent
from core.supervision import selectors, services
from core.supervision.models import ImprovementPlan, Opinion
from tenants.models import User

TEXT = {"required": False, "allow_blank": True}


def _valid(serializer: serializers.Serializer) -> dict:
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


class LinkedCaseSerializer(ModelSerializer):
    """`case` (its id) and `case_number` of a row linked to a desk case, as the reader may see it (clause 7.3): a
    confidential case hidden from them answers `case` null and `case_number` "Confidential case". The rows come
    from the selectors with `viewer` (annotated: no query per row)."""

    case = serializers.SerializerMethodField()
    case_number = serializers.SerializerMethodField()

    def _shown(self, row):
        request = self.context.get("request")
        return linked_case(row, user=getattr(request, "user", None))

    def get_case(self, row) -> int | None:
        shown = self._shown(row)
        return shown.pk if shown else None

    def get_case_number(self, row) -> str | None:
        shown = self._shown(row)
        return shown.label if shown else None


# Opinions --------------------------------------------------------------------------------------------------------


class OpinionFilter(Serializer):
    state = serializers.CharField(**TEXT)
    kind = serializers.CharField(**TEXT)
    channel = serializers.CharField(**TEXT)
    topic = serializers.CharField(**TEXT)
    q = serializers.CharField(**TEXT)


class ImprovementPlanSerializer(ModelSerializer):
    class Meta:
        model = ImprovementPlan
        fields = ["id", "what", "owner", "due_on", "done_at", "result", "created_at"]


class OpinionSerializer(LinkedCaseSerializer):
    kind = serializers.CharField(read_only=True)
    channel = serializers.CharField(read_only=True)
    topic = serializers.CharField(read_only=True)
    state = serializers.CharField(read_only=True)
    state_display = serializers.CharField(source="get_state_display", read_only=True)

    class Meta:
        model = Opinion
        fields = [
            "id",
            "kind",
            "channel",
            "anonymous",
            "name",
            "phone",
            "email",
            "text",
            "topic",
            "case",
            "case_number",
            "state",
            "state_display",
            "received_at",
            "answer",
            "answered_at",
            "closed_at",
            "published",
            "public_result",
            "published_at",
        ]


class OpinionListSerializer(OpinionSerializer):
    """An opinion in a list: the sender's phone and e-mail masked (api.masking)."""

    phone = MaskedPhoneField()
    email = MaskedEmailField()


class OpinionDetailSerializer(OpinionSerializer):
    plans = ImprovementPlanSerializer(many=True, read_only=True)

    class Meta(OpinionSerializer.Meta):
        fields = [*OpinionSerializer.Meta.fields, "plans"]


class OpinionActionInput(Serializer):
    """`action` one of classify (`kind`, `topic`), answer (`answer`), publish (`public_result`), close."""

    action = serializers.ChoiceField(choices=["classify", "answer", "publish", "close"])
    kind = serializers.CharField(**TEXT)
    topic = serializers.CharField(**TEXT)
    answer = serializers.CharField(**TEXT)
    public_result = serializers.CharField(**TEXT)


def _opinion(pk: int, viewer: User) -> Opinion:
    opinion = selectors.opinion_get(pk=pk, viewer=viewer)
    if opinion is None:
        raise Http404
    return opinion


class OpinionListView(StationAPIView):
    """The station's opinions, newest first, filtered by `state`, `kind`, `channel`, `topic`, `q` (text)."""

    @paginated_schema(OpinionListSerializer, parameters=[OpenApiParameter(name) for name in OpinionFilter().fields])
    def get(self, request):
        filters = {k: v for k, v in _valid(OpinionFilter(data=request.query_params)).items() if v}
        return paginate(self, request, selectors.opinion_list(**filters, viewer=request.user), OpinionListSerializer)


class OpinionDetailView(StationAPIView):
    @extend_schema(responses=OpinionDetailSerializer)
    def get(self, request, pk: int):
        return Response(OpinionDetailSerializer(_opinion(pk, request.user)).data)

    @extend_schema(request=OpinionActionInput, responses=OpinionDetailSerializer)
    def post(self, request, pk: int):
        opinion = _opinion(pk, request.user)
        data = _valid(OpinionActionInput(data=request.data))
        action, user = data["action"], request.user
        if action == "classify":
            services.opinion_classify(
                opinion=opinion,
                user=user,
                kind=data.get("kind", ""),
                topic=data.get("topic", ""),
                case=opinion.case,
            )
        elif action == "answer":
            services.opinion_answer(opinion=opinion, user=user, answer=data.get("answer", ""))
        elif action == "publish":
            services.opinion_publish(opinion=opinion, user=user, public_result=data.get("public_result", ""))
        else:
            services.opinion_close(opinion=opinion, user=user)
        return Response(OpinionDetailSerializer(_opinion(pk, user)).data)


# Complaints ------------------------------------------------------------------------------------------------------


class ComplaintFilter(Serializer):
    state = serializers.CharField(**TEXT)
    overdue = serializers.BooleanField(required=False, allow_null=True, default=None)
    q = serializers.CharField(**TEXT)


class ComplaintEventSerializer(ModelSerializer):
    kind = serializers.CharField(read_only=True)
    from_state = serializers.CharField(read_only=True)
    to_state = serializers.CharField(read_only=True)

    class Meta:
        model = ComplaintEvent
        fields = ["kind", "from_state", "to_state", "text", "actor_name", "created_at"]


class ComplaintSerializer(LinkedCaseSerializer):
    state = serializers.CharField(read_only=True)
    state_display = serializers.CharField(source="get_state_display", read_only=True)
    channel = serializers.CharField(read_only=True)
    feedback = serializers.CharField(read_only=True)
    acknowledge_overdue = serializers.BooleanField(read_only=True)
    response_overdue = serializers.BooleanField(read_only=True)
    opinion = serializers.IntegerField(source="opinion_id", read_only=True, allow_null=True)

    class Meta:
        model = Complaint
        fields = [
            "id",
            "uid",
            "reference",
            "opinion",
            "case",
            "case_number",
            "channel",
            "complainant_name",
            "complainant_phone",
            "complainant_email",
            "subject",
            "state",
            "state_display",
            "received_at",
            "acknowledge_due_at",
            "acknowledge_overdue",
            "response_due_at",
            "response_overdue",
            "acknowledged_at",
            "responded_at",
            "response",
            "closed_at",
            "feedback",
            "feedback_text",
            "escalated_at",
            "escalation_reason",
            "escalated_automatically",
            "bureau_handling",
            "bureau_handled_at",
            "version",
        ]


class ComplaintListSerializer(ComplaintSerializer):
    """A complaint in a list: the complainant's phone and e-mail masked (api.masking)."""

    complainant_phone = MaskedPhoneField()
    complainant_email = MaskedEmailField()


class ComplaintDetailSerializer(ComplaintSerializer):
    events = ComplaintEventSerializer(many=True, read_only=True)

    class Meta(ComplaintSerializer.Meta):
        fields = [*ComplaintSerializer.Meta.fields, "events"]


class ComplaintTransitionInput(Serializer):
    """`to` the next state; `text` the response (to responded); `feedback` satisfied / not_satisfied and
    `feedback_text` (to closed); `version` the complaint's as read."""

    to = serializers.CharField()
    text = serializers.CharField(**TEXT)
    feedback = serializers.CharField(**TEXT)
    feedback_text = serializers.CharField(**TEXT)
    version = serializers.IntegerField()


class ComplaintEscalateInput(Serializer):
    """`unresolvable` true escalates before the response: staff judge the dispute cannot be settled here."""

    reason = serializers.CharField(**TEXT)
    unresolvable = serializers.BooleanField(required=False, default=False)


def _complaint(pk: int, viewer: User) -> Complaint:
    complaint = complaint_selectors.complaint_get(pk=pk, viewer=viewer)
    if complaint is None:
        raise Http404
    return complaint


class ComplaintListView(StationAPIView):
    """The station's complaints, newest first, filtered by `state`, `overdue=true` and `q`."""

    @paginated_schema(ComplaintListSerializer, parameters=[OpenApiParameter(name) for name in ComplaintFilter().fields])
    def get(self, request):
        filters = _valid(ComplaintFilter(data=request.query_params))
        complaints = complaint_selectors.complaint_list(**filters, viewer=request.user)
        return paginate(self, request, complaints, ComplaintListSerializer)


class ComplaintDetailView(StationAPIView):
    @extend_schema(responses=ComplaintDetailSerializer)
    def get(self, request, pk: int):
        return Response(ComplaintDetailSerializer(_complaint(pk, request.user)).data)


class ComplaintTransitionView(StationAPIView):
    @extend_schema(request=ComplaintTransitionInput, responses=ComplaintDetailSerializer)
    def post(self, request, pk: int):
        complaint = _complaint(pk, request.user)
        data = _valid(ComplaintTransitionInput(data=request.data))
        complaint_services.complaint_transition(complaint=complaint, user=request.user, **data)
        return Response(ComplaintDetailSerializer(_complaint(pk, request.user)).data)


class ComplaintEscalateView(StationAPIView):
    @extend_schema(request=ComplaintEscalateInput, responses=ComplaintDetailSerializer)
    def post(self, request, pk: int):
        complaint = _complaint(pk, request.user)
        data = _valid(ComplaintEscalateInput(data=request.data))
        complaint_services.complaint_escalate(
            complaint=complaint,
            user=request.user,
            reason=data.get("reason", ""),
            unresolvable=data["unresolvable"],
        )
        return Response(ComplaintDetailSerializer(_complaint(pk, request.user)).data, status=status.HTTP_200_OK)

"""API of the complaints stations escalated to the bureau (clause 6.5, GB/T 19013), on the public host.

Bureau roles read the city-wide list (filtered by `station` and `state`) and an escalation; administrators record
the bureau's handling through the same service as the console (`core.escalations.services.escalation_handle`), which
sends it back to the station. Stations never reach this: their hosts have no such route, and on the public host a
station member without a bureau role is refused.
"""

from django.http import Http404
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.response import Response

from api.base import BureauAPIView
from api.pagination import paginate, paginated_schema
from api.serializers import ModelSerializer, Serializer
from core.escalations import selectors, services
from core.escalations.models import Escalation, EscalationState
from tenants.models import BureauRole

# Input: types only ------------------------------------------------------------------------------------------------


class EscalationFilter(Serializer):
    station = serializers.IntegerField(required=False, allow_null=True, default=None, min_value=1)
    state = serializers.ChoiceField(choices=EscalationState.choices, required=False, allow_blank=True, default="")


class HandlingInput(Serializer):
    handling = serializers.CharField(allow_blank=True, max_length=4000)


# Output -----------------------------------------------------------------------------------------------------------


class EscalationSerializer(ModelSerializer):
    station = serializers.IntegerField(source="station_id", read_only=True)
    station_code = serializers.CharField(source="station.code", read_only=True)
    station_name = serializers.CharField(source="station.name", read_only=True)
    state_display = serializers.CharField(source="get_state_display", read_only=True)
    responded = serializers.SerializerMethodField()

    class Meta:
        model = Escalation
        fields = [
            "id",
            "uid",
            "station",
            "station_code",
            "station_name",
            "complaint_id",
            "reference",
            "subject",
            "received_at",
            "escalated_at",
            "automatic",
            "overdue_working_days",
            "responded",
            "state",
            "state_display",
            "handled_at",
        ]

    def get_responded(self, escalation) -> bool:
        """Whether the station had responded when it escalated (it may escalate an unresolvable dispute before)."""
        return bool(escalation.station_response)


class EscalationDetailSerializer(EscalationSerializer):
    handled_by = serializers.SerializerMethodField()

    class Meta(EscalationSerializer.Meta):
        fields = [
            *EscalationSerializer.Meta.fields,
            "complainant_name",
            "complainant_phone",
            "complainant_email",
            "station_response",
            "feedback",
            "feedback_text",
            "reason",
            "handling",
            "handled_by",
        ]

    def get_handled_by(self, escalation) -> str | None:
        return None if escalation.handled_by is None else escalation.handled_by.display_name


def _valid(serializer: serializers.Serializer) -> dict:
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


class BureauEscalationAPIView(BureauAPIView):
    """Bureau roles read; administrators write (the service checks it again)."""

    write_roles = (BureauRole.ADMIN,)


def _escalation(pk: int) -> Escalation:
    escalation = selectors.escalation_get(pk=pk)
    if escalation is None:
        raise Http404
    return escalation


class EscalationListView(BureauEscalationAPIView):
    """The escalated complaints of the whole city, newest first, filtered by `station` (its id) and `state`."""

    @paginated_schema(EscalationSerializer, parameters=[OpenApiParameter(name) for name in EscalationFilter().fields])
    def get(self, request):
        filters = _valid(EscalationFilter(data=request.query_params))
        return paginate(self, request, selectors.escalation_list(**filters), EscalationSerializer)


class EscalationDetailView(BureauEscalationAPIView):
    """An escalated complaint with the complainant, the station's response and the bureau's handling; POST records
    (or rewrites) the handling, which goes back to the station."""

    @extend_schema(responses=EscalationDetailSerializer)
    def get(self, request, pk: int):
        return Response(EscalationDetailSerializer(_escalation(pk)).data)

    @extend_schema(request=HandlingInput, responses=EscalationDetailSerializer)
    def post(self, request, pk: int):
        escalation = _escalation(pk)
        data = _valid(HandlingInput(data=request.data))
        services.escalation_handle(escalation=escalation, user=request.user, handling=data["handling"])
        return Response(EscalationDetailSerializer(_escalation(pk)).data)

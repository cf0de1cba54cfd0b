"""The enterprise's tracking link of a demand, for staff: what the enterprise sees, the messages it was sent, and
revoking or renewing the link."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response

from api.base import DemandAPIView
from api.serializers import Serializer
from core.common.masking import mask_email, mask_phone
from core.deliveries.selectors import deliveries_of_demand
from core.desk import selectors, services
from core.desk.models import Channel


class TrackedCaseOutput(Serializer):
    number = serializers.CharField(source="case.number")
    category = serializers.CharField(source="case.category.name")
    state = serializers.CharField(help_text="The state in the enterprise's words.")
    served_by = serializers.CharField()
    phone = serializers.CharField()
    next_step = serializers.CharField()
    next_at = serializers.DateTimeField(allow_null=True)


class DeliveryOutput(Serializer):
    channel = serializers.CharField()
    address = serializers.SerializerMethodField(help_text="Masked: 139****0000, a***@example.com.")
    kind = serializers.CharField()
    status = serializers.CharField()
    last_error = serializers.CharField()
    created_at = serializers.DateTimeField()
    sent_at = serializers.DateTimeField(allow_null=True)

    def get_address(self, delivery) -> str:
        return mask_phone(delivery.address) if delivery.channel == "sms" else mask_email(delivery.address)


class TrackingOutput(Serializer):
    url = serializers.CharField(allow_blank=True, help_text="Empty when revoked (or for a referred-in demand).")
    revoked_at = serializers.DateTimeField(allow_null=True)
    cases = TrackedCaseOutput(many=True)
    deliveries = DeliveryOutput(many=True)


class TrackingActionInput(Serializer):
    action = serializers.ChoiceField(choices=("revoke", "renew"))


class DemandTrackingView(DemandAPIView):
    """GET: the demand's tracking link, what its page shows, and every message sent to the enterprise. POST
    `{"action": "revoke"}` ends the link; `{"action": "renew"}` makes a new one (earlier links end) and sends it."""

    def answer(self, demand):
        live = demand.tracking_revoked_at is None and demand.channel != Channel.REFERRAL
        return Response(
            TrackingOutput(
                {
                    "url": services.tracking_url(demand=demand, station=self.station) if live else "",
                    "revoked_at": demand.tracking_revoked_at,
                    "cases": selectors.tracking_cases(demand=demand, station=self.station),
                    "deliveries": deliveries_of_demand(demand_id=demand.pk),
                }
            ).data
        )

    @extend_schema(responses=TrackingOutput)
    def get(self, request, pk):
        return self.answer(self.demand)

    @extend_schema(request=TrackingActionInput, responses=TrackingOutput)
    def post(self, request, pk):
        data = TrackingActionInput(data=request.data)
        data.is_valid(raise_exception=True)
        if data.validated_data["action"] == "revoke":
            demand = services.demand_tracking_revoke(demand=self.demand, user=request.user)
        else:
            demand = services.demand_tracking_renew(demand=self.demand, user=request.user)
        return self.answer(demand)

"""API of the city-wide referral network on the public host, for the bureau: the station × station matrix of referral
flows, the referrals overdue for acceptance, and the referral policy (how many working days a station has to accept).

Read from the bureau's read model (`core.network`), which holds who referred what kind of need to whom and how it
went, never the enterprise's data. Anyone of the bureau reads; only its administrators set the policy.
"""

from dataclasses import asdict

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.response import Response

from api.base import BureauAPIView
from api.pagination import paginate, paginated_schema
from api.serializers import ModelSerializer, Serializer
from core.common.replica import ReplicaReadsMixin
from core.network import selectors, services
from core.network.models import ReferralFlow
from core.network.selectors import FlowCell
from tenants.models import BureauRole

# Input ------------------------------------------------------------------------------------------------------------

# `from` and `to` are Python keywords: the serializers naming them are built with type().
MatrixFilter = type(
    "MatrixFilter",
    (Serializer,),
    {"from": serializers.DateField(required=False), "to": serializers.DateField(required=False)},
)


class ReferralPolicyInput(Serializer):
    accept_working_days = serializers.IntegerField()


# Output -----------------------------------------------------------------------------------------------------------


class ReferralFlowCellSerializer(Serializer):
    """Referrals of a pair of stations (or a row, a column, the city): counts, the share of answers that accepted,
    the median hours from request to acceptance."""

    total = serializers.IntegerField()
    answered = serializers.IntegerField()
    accepted = serializers.IntegerField()
    declined = serializers.IntegerField()
    withdrawn = serializers.IntegerField()
    open = serializers.IntegerField()
    completed = serializers.IntegerField()
    failed = serializers.IntegerField()
    overdue = serializers.IntegerField()
    acceptance_rate = serializers.FloatField(allow_null=True)
    median_accept_hours = serializers.FloatField(allow_null=True)


ReferralFlowPairSerializer = type(
    "ReferralFlowPairSerializer",
    (ReferralFlowCellSerializer,),
    {
        "__doc__": "The referrals station `from` sent to station `to`.",
        "from": serializers.IntegerField(),
        "to": serializers.IntegerField(),
    },
)


class ReferralStationFlowSerializer(ReferralFlowCellSerializer):
    station = serializers.IntegerField()


class ReferralMatrixStationSerializer(Serializer):
    id = serializers.IntegerField()
    code = serializers.CharField()
    name = serializers.CharField()


class ReferralMatrixSerializer(Serializer):
    """`cells` per pair that has referrals; `sent` (row totals), `received` (column totals) and `to_institutions`
    per station; `total` the city's referrals between stations."""

    stations = ReferralMatrixStationSerializer(many=True)
    cells = ReferralFlowPairSerializer(many=True)
    sent = ReferralStationFlowSerializer(many=True)
    received = ReferralStationFlowSerializer(many=True)
    to_institutions = ReferralStationFlowSerializer(many=True)
    total = ReferralFlowCellSerializer()


class ReferralFlowSerializer(ModelSerializer):
    from_station = serializers.SerializerMethodField()
    to_station = serializers.SerializerMethodField()
    institution = serializers.SerializerMethodField()
    category = serializers.SerializerMethodField()

    class Meta:
        model = ReferralFlow
        fields = [
            "uid",
            "number",
            "from_station",
            "to_station",
            "institution",
            "category",
            "state",
            "requested_at",
            "accept_due_at",
            "overdue_at",
        ]

    @staticmethod
    def _station(station) -> dict | None:
        return None if station is None else {"id": station.pk, "code": station.code, "name": station.name}

    def get_from_station(self, flow) -> dict:
        return self._station(flow.from_station)

    def get_to_station(self, flow) -> dict | None:
        return self._station(flow.to_station)

    def get_institution(self, flow) -> dict | None:
        institution = flow.institution
        return None if institution is None else {"id": institution.pk, "name": institution.name}

    def get_category(self, flow) -> dict:
        return {"clause": flow.category.clause, "name": flow.category.name}


class ReferralPolicySerializer(Serializer):
    accept_working_days = serializers.IntegerField()
    updated_at = serializers.DateTimeField(allow_null=True)
    updated_by = serializers.SerializerMethodField()

    def get_updated_by(self, policy) -> str | None:
        return None if policy.updated_by_id is None else policy.updated_by.display_name


def _cell(cell: FlowCell, **key) -> dict:
    return {**key, **asdict(cell), "acceptance_rate": cell.acceptance_rate}


def _per_station(cells: dict[int, FlowCell]) -> list[dict]:
    return [_cell(cell, station=station) for station, cell in sorted(cells.items())]


# Views ------------------------------------------------------------------------------------------------------------


class ReferralMatrixView(ReplicaReadsMixin, BureauAPIView):
    """Referrals requested between `from` and `to` (dates, both included), station by station."""

    @extend_schema(
        parameters=[OpenApiParameter("from", OpenApiTypes.DATE), OpenApiParameter("to", OpenApiTypes.DATE)],
        responses=ReferralMatrixSerializer,
    )
    def get(self, request):
        period = MatrixFilter(data=request.query_params)
        period.is_valid(raise_exception=True)
        matrix = selectors.referral_matrix(
            requested_from=period.validated_data.get("from"), requested_to=period.validated_data.get("to")
        )
        data = {
            "stations": matrix.stations,
            "cells": [_cell(cell, **{"from": pair[0], "to": pair[1]}) for pair, cell in sorted(matrix.cells.items())],
            "sent": _per_station(matrix.sent),
            "received": _per_station(matrix.received),
            "to_institutions": _per_station(matrix.to_institutions),
            "total": _cell(matrix.total),
        }
        return Response(ReferralMatrixSerializer(data).data)


class ReferralOverdueView(ReplicaReadsMixin, BureauAPIView):
    """Referrals still waiting past their acceptance deadline (flagged), the oldest deadline first."""

    @paginated_schema(ReferralFlowSerializer)
    def get(self, request):
        return paginate(self, request, selectors.referral_flows_overdue(), ReferralFlowSerializer)


class ReferralPolicyView(BureauAPIView):
    """The referral policy in force; the bureau's administrators set it (it applies to new referrals)."""

    write_roles = (BureauRole.ADMIN,)

    @extend_schema(responses=ReferralPolicySerializer)
    def get(self, request):
        return Response(ReferralPolicySerializer(selectors.referral_policy_get()).data)

    @extend_schema(request=ReferralPolicyInput, responses=ReferralPolicySerializer)
    def put(self, request):
        data = ReferralPolicyInput(data=request.data)
        data.is_valid(raise_exception=True)
        policy = services.referral_policy_set(
            user=request.user,
            accept_working_days=data.validated_data["accept_working_days"],
        )
        return Response(ReferralPolicySerializer(policy).data)

"""API of referrals (clause 5.2.2) on a station host: the station's referrals both ways, the "referred to us" inbox,
a case referred to another station, the answer and the withdrawal, and the stations one may refer to.

Serializers check types only; every rule is the services' (`core.referrals.services`), whose refusals come back as
400 keyed by field. A referral is read from the station's own copy: the receiver's holds only what the sender chose
to share (`shared`), and this API shows nothing else about the enterprise.
"""

from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.response import Response

from api.base import CaseAPIView, ReferralAPIView, StationAPIView
from api.pagination import paginate, paginated_schema
from api.serializers import ModelSerializer, Serializer
from core.catalog.models import ServiceItem
from core.referrals import selectors, services
from core.referrals.models import Direction, Referral, ReferralEvent, ReferralState
from tenants.models import Station, User


def _valid(serializer: serializers.Serializer) -> dict:
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


# Input: types only ------------------------------------------------------------------------------------------------

TEXT = {"required": False, "allow_blank": True}
NULLABLE = {"required": False, "allow_null": True}


class ReferralFilter(Serializer):
    direction = serializers.ChoiceField(choices=Direction.choices, required=False)
    state = serializers.ChoiceField(choices=ReferralState.choices, required=False)
    overdue = serializers.BooleanField(required=False)
    q = serializers.CharField(**TEXT)


class ReferralCreateInput(Serializer):
    """`station` the id of the station referred to; `parts` what of the demand form travels (see `share-options/`);
    `version` the case's version as read."""

    station = serializers.PrimaryKeyRelatedField(queryset=Station.objects.all(), **NULLABLE)
    reason = serializers.CharField(**TEXT)
    ask = serializers.CharField(**TEXT)
    parts = serializers.ListField(child=serializers.CharField(), required=False)
    consent_channel = serializers.CharField(**TEXT)
    consent_at = serializers.DateTimeField(**NULLABLE)
    version = serializers.IntegerField()


class ReferralTransitionInput(Serializer):
    """`assignee` (a member's user id) books the case opened on accepting; `version` the referral's as read."""

    to = serializers.CharField()
    reason = serializers.CharField(**TEXT)
    outcome = serializers.CharField(**TEXT)
    assignee = serializers.PrimaryKeyRelatedField(queryset=User.objects.all(), **NULLABLE)
    version = serializers.IntegerField()


class ReferralStationFilter(Serializer):
    """`item` a catalog clause (`5.1.6.2`): stations serving it come first."""

    district = serializers.CharField(**TEXT)
    item = serializers.SlugRelatedField(slug_field="clause", queryset=ServiceItem.objects.all(), required=False)
    q = serializers.CharField(**TEXT)


# Output -----------------------------------------------------------------------------------------------------------
# Choice fields are plain strings (with their `_display`): drf-spectacular would otherwise name one enum per field and
# clash with the desk's `state`.


class ReferralSerializer(ModelSerializer):
    direction = serializers.CharField(read_only=True)
    direction_display = serializers.CharField(source="get_direction_display", read_only=True)
    partner = serializers.SerializerMethodField()
    institution = serializers.SerializerMethodField()
    category = serializers.SerializerMethodField()
    state = serializers.CharField(read_only=True)
    state_display = serializers.CharField(source="get_state_display", read_only=True)
    overdue = serializers.SerializerMethodField()
    case = serializers.IntegerField(source="case_id", read_only=True, allow_null=True)

    class Meta:
        model = Referral
        fields = [
            "id",
            "uid",
            "number",
            "direction",
            "direction_display",
            "partner",
            "institution",
            "category",
            "enterprise_name",
            "state",
            "state_display",
            "requested_at",
            "accept_due_at",
            "overdue",
            "accepted_at",
            "closed_at",
            "case",
            "version",
        ]

    def get_partner(self, referral) -> dict | None:
        station = referral.partner
        return None if station is None else {"id": station.pk, "name": station.name, "code": station.code}

    def get_institution(self, referral) -> dict | None:
        institution = referral.institution
        return None if institution is None else {"id": institution.pk, "name": institution.name}

    def get_category(self, referral) -> dict:
        return {"clause": referral.category.clause, "name": referral.category.name}

    def get_overdue(self, referral) -> bool:
        """Still waiting for the answer past its deadline."""
        return referral.state == ReferralState.REQUESTED and referral.accept_due_at < timezone.now()


class ReferralEventSerializer(ModelSerializer):
    kind = serializers.CharField(read_only=True)
    from_state = serializers.CharField(read_only=True)
    to_state = serializers.CharField(read_only=True)

    class Meta:
        model = ReferralEvent
        fields = ["uid", "kind", "from_state", "to_state", "text", "station_name", "actor_name", "occurred_at"]


class ReferralDetailSerializer(ReferralSerializer):
    shared = serializers.SerializerMethodField()
    consent_channel = serializers.CharField(read_only=True)
    events = ReferralEventSerializer(many=True, read_only=True)
    previous = serializers.SerializerMethodField()

    class Meta(ReferralSerializer.Meta):
        fields = [
            *ReferralSerializer.Meta.fields,
            "reason",
            "ask",
            "shared_parts",
            "shared",
            "chain",
            "consent_channel",
            "consent_at",
            "outcome",
            "state_reason",
            "events",
            "previous",
        ]

    @extend_schema_field(OpenApiTypes.OBJECT)
    def get_shared(self, referral) -> dict:
        """Exactly what travelled to the receiver: the enterprise's identity, the request, and the parts chosen."""
        return referral.shared

    def get_previous(self, referral) -> str | None:
        return None if referral.previous is None else referral.previous.number


class ShareOptionSerializer(Serializer):
    part = serializers.CharField()
    label = serializers.CharField()


class ReferralStationSerializer(ModelSerializer):
    """A station one may refer to, with its load as it last published it."""

    serves = serializers.SerializerMethodField()
    items = serializers.SlugRelatedField(slug_field="clause", many=True, read_only=True)
    open_cases = serializers.IntegerField(read_only=True)
    referrals_waiting = serializers.SerializerMethodField()
    load_measured_at = serializers.SerializerMethodField()

    class Meta:
        model = Station
        fields = [
            "id",
            "code",
            "name",
            "district",
            "serves",
            "items",
            "open_cases",
            "referrals_waiting",
            "load_measured_at",
        ]

    def get_serves(self, station) -> bool:
        return bool(station.serves)

    def get_referrals_waiting(self, station) -> int:
        load = getattr(station, "load", None)
        return 0 if load is None else load.referrals_waiting

    @extend_schema_field({"type": "string", "format": "date-time", "nullable": True})
    def get_load_measured_at(self, station):
        load = getattr(station, "load", None)
        return None if load is None else serializers.DateTimeField().to_representation(load.measured_at)


# Views ------------------------------------------------------------------------------------------------------------


class ReferralListView(StationAPIView):
    """The station's referrals both ways, newest first: `direction` `out` (referred by us) or `in` (referred to us),
    `state`, `overdue=true` (still waiting past the acceptance deadline), `q` a number or part of the enterprise's
    name."""

    @paginated_schema(ReferralSerializer, parameters=[OpenApiParameter(name) for name in ReferralFilter().fields])
    def get(self, request):
        filters = _valid(ReferralFilter(data=request.query_params))
        return paginate(self, request, selectors.referral_list(**filters, viewer=request.user), ReferralSerializer)


class ReferralInboxView(StationAPIView):
    """Referred to us and waiting for our answer, the oldest deadline first."""

    @paginated_schema(ReferralSerializer)
    def get(self, request):
        return paginate(self, request, selectors.referral_inbox(viewer=request.user), ReferralSerializer)


class ReferralDetailView(ReferralAPIView):
    @extend_schema(responses=ReferralDetailSerializer)
    def get(self, request, pk: int):
        return Response(ReferralDetailSerializer(self.referral).data)


class ReferralTransitionView(ReferralAPIView):
    """Move the referral to state `to`: the receiver accepts (its desk opens a case) or declines (`reason`), the
    sender withdraws one still waiting; a referral to an institution is moved on the institution's behalf
    (`outcome` to complete it)."""

    @extend_schema(request=ReferralTransitionInput, responses=ReferralDetailSerializer)
    def post(self, request, pk: int):
        data = _valid(ReferralTransitionInput(data=request.data))
        services.referral_transition(
            referral=self.referral,
            user=request.user,
            to=data["to"],
            reason=data.get("reason", ""),
            outcome=data.get("outcome", ""),
            assignee=data.get("assignee"),
            expected_version=data["version"],
        )
        return Response(ReferralDetailSerializer(self.referral_reload()).data)


class CaseReferralListView(CaseAPIView):
    """A case's referrals; POST refers it to another station (re-routes it after a decline or a failure)."""

    @extend_schema(responses=ReferralSerializer(many=True))
    def get(self, request, pk: int):
        return Response(ReferralSerializer(selectors.case_referrals(case=self.case), many=True).data)

    @extend_schema(request=ReferralCreateInput, responses={201: ReferralDetailSerializer})
    def post(self, request, pk: int):
        data = _valid(ReferralCreateInput(data=request.data))
        referral = services.referral_create(
            case=self.case,
            user=request.user,
            station=data.get("station"),
            reason=data.get("reason", ""),
            ask=data.get("ask", ""),
            parts=data.get("parts", []),
            consent_channel=data.get("consent_channel", ""),
            consent_at=data.get("consent_at"),
            expected_version=data["version"],
        )
        return Response(
            ReferralDetailSerializer(selectors.referral_access(pk=referral.pk, user=request.user)).data,
            status=status.HTTP_201_CREATED,
        )


class CaseShareOptionsView(CaseAPIView):
    """The parts of the case's demand form that hold something, to choose what travels with a referral."""

    @extend_schema(responses=ShareOptionSerializer(many=True))
    def get(self, request, pk: int):
        options = services.share_options(case=self.case)
        return Response(ShareOptionSerializer([{"part": p, "label": label} for p, label in options], many=True).data)


class ReferralStationListView(StationAPIView):
    """The published stations a case may be referred to: by `district`, `item` (a catalog clause: those serving it
    first) and `q` (part of the name), then the least loaded."""

    @paginated_schema(
        ReferralStationSerializer, parameters=[OpenApiParameter(name) for name in ReferralStationFilter().fields]
    )
    def get(self, request):
        filters = _valid(ReferralStationFilter(data=request.query_params))
        stations = selectors.referral_station_candidates(here=self.station, **filters)
        return paginate(self, request, stations, ReferralStationSerializer)

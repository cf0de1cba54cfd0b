"""API of stations and members."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response

from api.base import BureauAPIView, StationAPIView, UserAPIView
from api.pagination import paginate, paginated_schema
from api.serializers import ModelSerializer, Serializer
from core.accounts.services import user_profile_update
from tenants.hosts import station_host
from tenants.models import Membership, Station
from tenants.selectors import membership_list_for_station, membership_list_for_user, station_list


class StationSerializer(ModelSerializer):
    host = serializers.SerializerMethodField()
    district_display = serializers.CharField(source="get_district_display")
    status_display = serializers.CharField(source="get_status_display")

    class Meta:
        model = Station
        fields = [
            "id",
            "code",
            "name",
            "district",
            "district_display",
            "address",
            "service_phone",
            "complaint_phone",
            "status",
            "status_display",
            "host",
            "created_at",
        ]

    def get_host(self, station: Station) -> str:
        return station_host(station.code)


class BureauStationSerializer(StationSerializer):
    member_count = serializers.IntegerField()

    class Meta(StationSerializer.Meta):
        fields = [*StationSerializer.Meta.fields, "member_count"]


class MemberSerializer(ModelSerializer):
    username = serializers.CharField(source="user.username")
    full_name = serializers.CharField(source="user.display_name")
    role_display = serializers.CharField(source="get_role_display")

    class Meta:
        model = Membership
        fields = ["id", "username", "full_name", "role", "role_display"]


class CurrentStationSerializer(StationSerializer):
    my_role = serializers.CharField()
    team = MemberSerializer(many=True)

    class Meta(StationSerializer.Meta):
        fields = [*StationSerializer.Meta.fields, "my_role", "team"]


class MyMembershipSerializer(ModelSerializer):
    station = StationSerializer()
    role_display = serializers.CharField(source="get_role_display")

    class Meta:
        model = Membership
        fields = ["station", "role", "role_display"]


class MeSerializer(Serializer):
    username = serializers.CharField()
    full_name = serializers.CharField(source="display_name")
    email = serializers.EmailField()
    bureau_role = serializers.CharField()
    memberships = MyMembershipSerializer(many=True)


class BureauStationListView(BureauAPIView):
    """Every station with its status and member count (bureau roles)."""

    @paginated_schema(BureauStationSerializer)
    def get(self, request):
        return paginate(self, request, station_list(), BureauStationSerializer)


class ProfileSerializer(Serializer):
    full_name = serializers.CharField(max_length=100, allow_blank=True)
    phone = serializers.CharField(max_length=30, allow_blank=True)
    email = serializers.EmailField(max_length=254, allow_blank=True)


class MeView(UserAPIView):
    """The signed-in user and the stations they work in."""

    @extend_schema(responses=MeSerializer)
    def get(self, request):
        user = request.user
        data = {
            "username": user.username,
            "display_name": user.display_name,
            "email": user.email,
            "bureau_role": user.bureau_role,
            "memberships": membership_list_for_user(user=user),
        }
        return Response(MeSerializer(data).data)

    @extend_schema(request=ProfileSerializer, responses=MeSerializer)
    def patch(self, request):
        """The caller changes their own name, phone and e-mail."""
        user = request.user
        current = {"full_name": user.full_name, "phone": user.phone, "email": user.email}
        sent = request.data
        # What is not sent stays as it is; a body that is not an object is refused by the serializer (400).
        data = ProfileSerializer(data={**current, **dict(sent.items())} if hasattr(sent, "items") else sent)
        data.is_valid(raise_exception=True)
        user_profile_update(user=user, request=request, **data.validated_data)
        user.refresh_from_db()
        return self.get(request)


class CurrentStationView(StationAPIView):
    """This station, with the caller's role in it and its team."""

    @extend_schema(responses=CurrentStationSerializer)
    def get(self, request):
        station = self.station
        station.my_role = self.membership.role
        station.team = membership_list_for_station(station=station)
        return Response(CurrentStationSerializer(station).data)

"""API of a station's members (issue 18): every member reads the list (former members too); the head invites a staff
member and deactivates or brings one back. The services check the role again; their refusals answer 400 per field or
403 with the reason (api.errors)."""

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response

from api.base import StationAPIView
from api.pagination import paginate, paginated_schema
from api.serializers import ModelSerializer, Serializer
from core.accounts.selectors import member_list
from core.accounts.services import member_invite, membership_deactivate, membership_reactivate
from tenants.models import MemberRole, Membership


class StationMemberSerializer(ModelSerializer):
    username = serializers.CharField(source="user.username")
    full_name = serializers.CharField(source="user.display_name")
    role_display = serializers.CharField(source="get_role_display")

    class Meta:
        model = Membership
        fields = ["id", "username", "full_name", "role", "role_display", "is_active", "created_at"]


class MemberInviteSerializer(Serializer):
    full_name = serializers.CharField(max_length=100)
    email = serializers.EmailField(max_length=254)
    phone = serializers.CharField(max_length=30, required=False, allow_blank=True, default="")


class MemberListView(StationAPIView):
    """The station's members, active first; the head invites a staff member (e-mailed the link to set a password)."""

    write_roles = (MemberRole.HEAD,)

    @paginated_schema(StationMemberSerializer)
    def get(self, request):
        return paginate(self, request, member_list(station=self.station), StationMemberSerializer)

    @extend_schema(request=MemberInviteSerializer, responses={201: StationMemberSerializer})
    def post(self, request):
        data = MemberInviteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        membership = member_invite(actor=request.user, station=self.station, request=request, **data.validated_data)
        return Response(StationMemberSerializer(membership).data, status=status.HTTP_201_CREATED)


class MemberActionView(StationAPIView):
    """Deactivate a member (at once: their sessions here end, their open cases wait to be reassigned) or bring one
    back. A membership of another station answers 404."""

    write_roles = (MemberRole.HEAD,)
    action = ""

    @extend_schema(request=None, responses=StationMemberSerializer)
    def post(self, request, pk: int):
        membership = get_object_or_404(Membership.objects.select_related("user"), pk=pk, station=self.station)
        service = membership_deactivate if self.action == "deactivate" else membership_reactivate
        membership = service(actor=request.user, membership=membership, request=request)
        return Response(StationMemberSerializer(membership).data)

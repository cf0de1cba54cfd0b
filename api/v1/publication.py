"""API of the objections to stations' publications (公示异议, clause 3), on the public host.

Bureau roles read the objections (those waiting first, filtered by `state`) and one objection with who raised it and
how to reach them; administrators uphold or dismiss one with its reason through the same service as the console
(`core.evaluation.services.objection_handle`): upheld, the publication is withdrawn and the station goes back to
evaluation. The public raises objections on the portal's station page only. Stations never reach this: their hosts
have no such route, and on the public host a station member without a bureau role is refused.
"""

from django.http import Http404
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.response import Response

from api.base import BureauAPIView
from api.pagination import paginate, paginated_schema
from api.serializers import ModelSerializer, Serializer
from api.v1.docs import NOT_FOUND
from core.evaluation import services
from core.evaluation.models import ObjectionState, PublicationObjection
from core.evaluation.publication_selectors import objection_get, objection_list
from tenants.models import BureauRole

# Input: types only ------------------------------------------------------------------------------------------------


class ObjectionFilter(Serializer):
    state = serializers.ChoiceField(choices=ObjectionState.choices, required=False, allow_blank=True, default="")


class ObjectionHandlingInput(Serializer):
    """`state` upheld or dismissed; the `reason` (required) is published with the outcome."""

    state = serializers.CharField(max_length=20)
    reason = serializers.CharField(allow_blank=True, max_length=4000)


# Output -----------------------------------------------------------------------------------------------------------


class PublicationObjectionSerializer(ModelSerializer):
    station = serializers.IntegerField(source="publication.station_id", read_only=True)
    station_code = serializers.CharField(source="publication.station.code", read_only=True)
    station_name = serializers.CharField(source="publication.station.name", read_only=True)
    published_at = serializers.DateTimeField(source="publication.published_at", read_only=True)
    notice_until = serializers.DateTimeField(source="publication.notice_until", read_only=True)
    state_display = serializers.CharField(source="get_state_display", read_only=True)
    handled_by = serializers.SerializerMethodField()

    class Meta:
        model = PublicationObjection
        fields = [
            "id",
            "publication",
            "station",
            "station_code",
            "station_name",
            "published_at",
            "notice_until",
            "name",
            "phone",
            "email",
            "text",
            "received_at",
            "state",
            "state_display",
            "reason",
            "handled_by",
            "handled_at",
        ]

    def get_handled_by(self, objection) -> str | None:
        return None if objection.handled_by is None else objection.handled_by.display_name


def _valid(serializer: serializers.Serializer) -> dict:
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


def _objection(pk: int) -> PublicationObjection:
    objection = objection_get(pk=pk)
    if objection is None:
        raise Http404
    return objection


class BureauObjectionAPIView(BureauAPIView):
    """Bureau roles read; administrators write (the service checks it again)."""

    write_roles = (BureauRole.ADMIN,)


class ObjectionListView(BureauObjectionAPIView):
    """Every objection to a publication, those waiting for the bureau first, then newest first; `state` filters."""

    @paginated_schema(
        PublicationObjectionSerializer, parameters=[OpenApiParameter(name) for name in ObjectionFilter().fields]
    )
    def get(self, request):
        filters = _valid(ObjectionFilter(data=request.query_params))
        return paginate(self, request, objection_list(**filters), PublicationObjectionSerializer)


class ObjectionDetailView(BureauObjectionAPIView):
    """An objection with who raised it; POST upholds or dismisses a waiting one with its reason."""

    @extend_schema(responses={200: PublicationObjectionSerializer, 404: NOT_FOUND})
    def get(self, request, pk: int):
        return Response(PublicationObjectionSerializer(_objection(pk)).data)

    @extend_schema(request=ObjectionHandlingInput, responses={200: PublicationObjectionSerializer, 404: NOT_FOUND})
    def post(self, request, pk: int):
        objection = _objection(pk)
        data = _valid(ObjectionHandlingInput(data=request.data))
        services.objection_handle(objection=objection, user=request.user, request=request, **data)
        return Response(PublicationObjectionSerializer(_objection(pk)).data)

"""Service plans through the API: write a case's plan, or re-plan; the case (with its plans) is the answer."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response

from api.base import CaseAPIView
from api.serializers import Serializer
from api.v1.desk.serializers import NULLABLE, TEXT, CaseDetailSerializer, _valid
from core.catalog.models import ServiceItem
from core.desk import services
from core.directory.models import Institution
from tenants.models import User


class PlanInput(Serializer):
    """`agreed_items` are catalog clauses (`5.1.6.2`), as in the rest of the API; `staff` a member's user id."""

    kind = serializers.CharField()
    evaluation = serializers.CharField(allow_blank=True, default="")
    appointment_at = serializers.DateTimeField(**NULLABLE)
    staff = serializers.PrimaryKeyRelatedField(queryset=User.objects.all(), **NULLABLE)
    institution = serializers.PrimaryKeyRelatedField(queryset=Institution.objects.all(), **NULLABLE)
    technician = serializers.CharField(**TEXT)
    agreed_items = serializers.SlugRelatedField(
        slug_field="clause", many=True, queryset=ServiceItem.objects.all(), required=False
    )
    agreed_at = serializers.DateTimeField(**NULLABLE)
    period_start = serializers.DateField(**NULLABLE)
    period_end = serializers.DateField(**NULLABLE)
    version = serializers.IntegerField()


class CasePlanView(CaseAPIView):
    """Write the service plan, or re-plan (the current plan is superseded and kept). Answers the case."""

    @extend_schema(request=PlanInput, responses={201: CaseDetailSerializer})
    def post(self, request, pk: int):
        data = dict(_valid(PlanInput(data=request.data)))
        version = data.pop("version")
        fields = {key: value for key, value in data.items() if value is not None}
        services.case_plan(case=self.case, user=request.user, expected_version=version, **fields)
        return Response(CaseDetailSerializer(self.case_reload()).data, status=status.HTTP_201_CREATED)

"""Demands (Appendix A) through the API: the station's list, one demand with its tables, and a new demand form,
which opens its cases.
"""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response

from api.base import DemandAPIView, StationAPIView
from api.masking import MaskedEmailField, MaskedPhoneField
from api.pagination import paginate, paginated_schema
from api.serializers import ModelSerializer, Serializer
from api.v1.desk.serializers import NULLABLE, TEXT, _user, _valid
from core.catalog.models import FormBox, FormKind
from core.desk import selectors, services
from core.desk.models import (
    DEMAND_TABLES,
    Demand,
    InstrumentRow,
    OperatorStaffingRow,
    ProductRow,
    ProductStandardRow,
    ServiceCase,
    SpecialEquipmentRow,
)
from core.directory.models import Enterprise

# Input: types only ------------------------------------------------------------------------------------------------


class ProductStandardInput(Serializer):
    product = serializers.CharField(**TEXT)
    standard_name = serializers.CharField(**TEXT)
    standard_number = serializers.CharField(**TEXT)
    adoption = serializers.CharField(**TEXT)
    published = serializers.BooleanField(**NULLABLE)


class InstrumentInput(Serializer):
    name = serializers.CharField(**TEXT)
    measuring_range = serializers.CharField(**TEXT)
    accuracy_class = serializers.CharField(**TEXT)
    serial_number = serializers.CharField(**TEXT)
    purpose = serializers.CharField(**TEXT)
    traceability_method = serializers.CharField(**TEXT)
    last_traceability_body = serializers.CharField(**TEXT)
    last_traceability_on = serializers.DateField(**NULLABLE)
    valid_until = serializers.DateField(**NULLABLE)


class ProductInput(Serializer):
    name = serializers.CharField(**TEXT)
    standard = serializers.CharField(**TEXT)
    remark = serializers.CharField(**TEXT)


class SpecialEquipmentInput(Serializer):
    category = serializers.CharField(**TEXT)
    count = serializers.IntegerField(**NULLABLE)
    valid_until = serializers.DateField(**NULLABLE)
    remark = serializers.CharField(**TEXT)


class OperatorStaffingInput(Serializer):
    trade = serializers.CharField(**TEXT)
    staffing = serializers.IntegerField(**NULLABLE)
    needed = serializers.IntegerField(**NULLABLE)
    certificates_held = serializers.CharField(**TEXT)


class DemandTablesInput(Serializer):
    product_standards = ProductStandardInput(many=True, required=False)
    instruments = InstrumentInput(many=True, required=False)
    products = ProductInput(many=True, required=False)
    special_equipment = SpecialEquipmentInput(many=True, required=False)
    operator_staffing = OperatorStaffingInput(many=True, required=False)


class DemandInput(Serializer):
    """The demand form (Appendix A). The enterprise block defaults to the directory entry's values; what is sent
    here is kept as filled in."""

    enterprise = serializers.PrimaryKeyRelatedField(queryset=Enterprise.objects.all())
    channel = serializers.CharField(allow_blank=True)
    filled_on = serializers.DateField(required=False)
    boxes = serializers.PrimaryKeyRelatedField(
        queryset=FormBox.objects.filter(form=FormKind.DEMAND), many=True, required=False
    )
    enterprise_name = serializers.CharField(**TEXT)
    legal_representative = serializers.CharField(**TEXT)
    uscc = serializers.CharField(**TEXT)
    contact_person = serializers.CharField(**TEXT)
    email = serializers.CharField(**TEXT)
    phone = serializers.CharField(**TEXT)
    address = serializers.CharField(**TEXT)
    inspection_materials = serializers.ListField(child=serializers.CharField(), required=False)
    exam_categories = serializers.ListField(child=serializers.CharField(), required=False)
    training_mode = serializers.CharField(**TEXT)
    other_needs = serializers.CharField(**TEXT)
    opinions = serializers.CharField(**TEXT)
    signatory = serializers.CharField(**TEXT)
    signed_on = serializers.DateField(**NULLABLE)
    tables = DemandTablesInput(required=False)


# Output -----------------------------------------------------------------------------------------------------------

ROW_OUTPUT = {
    ProductStandardRow: ProductStandardInput,
    InstrumentRow: InstrumentInput,
    ProductRow: ProductInput,
    SpecialEquipmentRow: SpecialEquipmentInput,
    OperatorStaffingRow: OperatorStaffingInput,
}


def _row_serializer(model, fields_from):
    meta = type("Meta", (), {"model": model, "fields": ["id", "position", *fields_from().fields]})
    return type(f"{model.__name__}Serializer", (ModelSerializer,), {"Meta": meta})


ROW_SERIALIZERS = {name: _row_serializer(model, ROW_OUTPUT[model]) for name, model in DEMAND_TABLES.items()}


class CaseBriefSerializer(ModelSerializer):
    state_display = serializers.CharField(source="get_state_display", read_only=True)
    category = serializers.CharField(source="category.clause", read_only=True)

    class Meta:
        model = ServiceCase
        fields = ["id", "number", "state", "state_display", "category", "version"]


DEMAND_FIELDS = [name for name in DemandInput().fields if name not in {"tables"}]


class DemandSerializer(ModelSerializer):
    channel_display = serializers.CharField(source="get_channel_display", read_only=True)
    created_by = serializers.SerializerMethodField()
    cases = CaseBriefSerializer(many=True, read_only=True)

    class Meta:
        model = Demand
        fields = ["id", "number", *DEMAND_FIELDS, "channel_display", "created_by", "created_at", "version", "cases"]

    def get_created_by(self, demand) -> dict | None:
        return _user(demand.created_by)


class DemandListSerializer(DemandSerializer):
    """A demand in a list: its contact's phone and e-mail masked (api.masking)."""

    phone = MaskedPhoneField()
    email = MaskedEmailField()


class DemandDetailSerializer(DemandSerializer):
    tables = serializers.SerializerMethodField()

    class Meta(DemandSerializer.Meta):
        fields = [*DemandSerializer.Meta.fields, "tables"]

    def get_tables(self, demand) -> dict:
        return {
            name: serializer(getattr(demand, name).all(), many=True).data
            for name, serializer in ROW_SERIALIZERS.items()
        }


# Views ------------------------------------------------------------------------------------------------------------


class DemandListView(StationAPIView):
    """The station's demands, newest first; POST takes a demand form and opens its cases."""

    @paginated_schema(DemandListSerializer)
    def get(self, request):
        return paginate(self, request, selectors.demand_list(viewer=request.user), DemandListSerializer)

    @extend_schema(request=DemandInput, responses={201: DemandDetailSerializer})
    def post(self, request):
        data = dict(_valid(DemandInput(data=request.data)))
        tables = {name: [dict(row) for row in rows] for name, rows in data.pop("tables", {}).items()}
        demand = services.demand_create(station=self.station, user=request.user, tables=tables, **data)
        return Response(
            DemandDetailSerializer(selectors.demand_access(pk=demand.pk, user=request.user)).data,
            status=status.HTTP_201_CREATED,
        )


class DemandDetailView(DemandAPIView):
    @extend_schema(responses=DemandDetailSerializer)
    def get(self, request, pk: int):
        return Response(DemandDetailSerializer(self.demand).data)

"""API of the station desk (clause 5.2): demands (Appendix A), service cases, their plans and timelines.

Serializers check types only; every business rule is the services' (`core.desk.services`), whose refusals come back
as 400 keyed by field. Table rows are keyed `table.position.field`, positions counted from 1 like the form's "no."
column, both for type errors found here and for the services' own checks.
"""

from django.http import Http404
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from api.base import StationAPIView
from api.pagination import paginate, paginated_schema
from api.serializers import ModelSerializer, Serializer
from core.catalog.models import FormBox, FormKind, ServiceItem
from core.desk import selectors, services
from core.desk.models import (
    DEMAND_TABLES,
    RECORD_FIELDS,
    CaseEvent,
    Demand,
    InstrumentRow,
    OperatorStaffingRow,
    ProductRow,
    ProductStandardRow,
    RecordAmendment,
    ServiceCase,
    ServicePlan,
    ServiceRecord,
    SpecialEquipmentRow,
)
from core.directory.models import Enterprise, Institution
from tenants.models import User


def _valid(serializer: serializers.Serializer) -> dict:
    """The serializer's data, or a 400 whose table-row errors are flattened to `table.position.field`."""
    if serializer.is_valid():
        return serializer.validated_data
    errors = dict(serializer.errors)
    tables = errors.pop("tables", None)
    if isinstance(tables, dict):
        for name, rows in tables.items():
            # A nested list's errors are a list per row, or (newer DRF) a dict keyed by the 0-based row index.
            by_index = dict(enumerate(rows)) if isinstance(rows, list) else rows
            # ... or the table's own messages (a `null` instead of a list).
            table_refused = isinstance(rows, list) and any(isinstance(row, str) for row in rows)
            if not table_refused and isinstance(by_index, dict) and all(isinstance(i, int) for i in by_index):
                for index, row_errors in by_index.items():
                    if isinstance(row_errors, dict):
                        for field, messages in row_errors.items():
                            errors[f"{name}.{index + 1}.{field}"] = messages
                    elif row_errors:  # the row itself is refused (a `null` or a text instead of a row)
                        errors[f"{name}.{index + 1}"] = row_errors
            else:
                errors[name] = rows
    elif tables is not None:
        errors["tables"] = tables
    raise ValidationError(errors)


def _user(user: User | None) -> dict | None:
    return None if user is None else {"id": user.pk, "name": user.display_name}


# Input: types only ------------------------------------------------------------------------------------------------

TEXT = {"required": False, "allow_blank": True}
NULLABLE = {"required": False, "allow_null": True}


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


class TransitionInput(Serializer):
    to = serializers.CharField()
    reason = serializers.CharField(**TEXT)
    version = serializers.IntegerField()


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


class RecordInput(Serializer):
    """Appendix B. Every field is optional: what is not sent keeps its value (or, on the first write, the value the
    desk already knows). `category` is a check box of form B; `version` the record's version as read."""

    requested_at = serializers.DateTimeField(required=False)
    staff = serializers.PrimaryKeyRelatedField(queryset=User.objects.all(), required=False)
    received_at = serializers.DateTimeField(required=False)
    answered_at = serializers.DateTimeField(**NULLABLE)
    on_site_at = serializers.DateTimeField(**NULLABLE)
    ended_at = serializers.DateTimeField(**NULLABLE)
    category = serializers.PrimaryKeyRelatedField(queryset=FormBox.objects.filter(form=FormKind.RECORD), required=False)
    request = serializers.CharField(required=False, allow_blank=True)
    institution = serializers.PrimaryKeyRelatedField(queryset=Institution.objects.all(), **NULLABLE)
    technician = serializers.CharField(**TEXT)
    items_and_expected_time = serializers.CharField(**TEXT)
    resolution = serializers.CharField(**TEXT)
    version = serializers.IntegerField(required=False)


class AmendmentInput(RecordInput):
    reason = serializers.CharField(allow_blank=True)


class EventInput(Serializer):
    kind = serializers.CharField()
    text = serializers.CharField(**TEXT)


class CaseFilter(Serializer):
    view = serializers.ChoiceField(choices=["inbox", "mine", "due"], required=False)
    q = serializers.CharField(**TEXT)
    state = serializers.CharField(**TEXT)
    category = serializers.CharField(**TEXT)
    assignee = serializers.RegexField(r"^(me|\d+)$", required=False)
    enterprise = serializers.IntegerField(required=False)
    received_from = serializers.DateField(required=False)
    received_to = serializers.DateField(required=False)


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


class DemandDetailSerializer(DemandSerializer):
    tables = serializers.SerializerMethodField()

    class Meta(DemandSerializer.Meta):
        fields = [*DemandSerializer.Meta.fields, "tables"]

    def get_tables(self, demand) -> dict:
        return {
            name: serializer(getattr(demand, name).all(), many=True).data
            for name, serializer in ROW_SERIALIZERS.items()
        }


class CaseSerializer(ModelSerializer):
    state_display = serializers.CharField(source="get_state_display", read_only=True)
    category = serializers.SerializerMethodField()
    items = serializers.SlugRelatedField(slug_field="clause", many=True, read_only=True)
    demand = serializers.SerializerMethodField()
    assignee = serializers.SerializerMethodField()

    class Meta:
        model = ServiceCase
        fields = [
            "id",
            "number",
            "demand",
            "category",
            "items",
            "request",
            "state",
            "state_display",
            "resume_state",
            "assignee",
            "received_at",
            "target_days",
            "due_at",
            "closed_at",
            "version",
        ]

    def get_category(self, case) -> dict:
        return {"clause": case.category.clause, "name": case.category.name}

    def get_demand(self, case) -> dict:
        demand = case.demand
        return {
            "id": demand.pk,
            "number": demand.number,
            "enterprise": demand.enterprise_id,
            "enterprise_name": demand.enterprise_name,
        }

    def get_assignee(self, case) -> dict | None:
        return _user(case.assignee)


class PlanSerializer(ModelSerializer):
    kind_display = serializers.CharField(source="get_kind_display", read_only=True)
    staff = serializers.SerializerMethodField()
    institution = serializers.SerializerMethodField()
    agreed_items = serializers.SlugRelatedField(slug_field="clause", many=True, read_only=True)
    created_by = serializers.SerializerMethodField()

    class Meta:
        model = ServicePlan
        fields = [
            "id",
            "kind",
            "kind_display",
            "evaluation",
            "appointment_at",
            "staff",
            "institution",
            "technician",
            "agreed_items",
            "agreed_at",
            "period_start",
            "period_end",
            "created_by",
            "created_at",
            "superseded_at",
        ]

    def get_staff(self, plan) -> dict | None:
        return _user(plan.staff)

    def get_institution(self, plan) -> dict | None:
        return None if plan.institution is None else {"id": plan.institution_id, "name": plan.institution.name}

    def get_created_by(self, plan) -> dict | None:
        return _user(plan.created_by)


class EventSerializer(ModelSerializer):
    kind_display = serializers.CharField(source="get_kind_display", read_only=True)
    actor = serializers.SerializerMethodField()

    class Meta:
        model = CaseEvent
        fields = ["id", "kind", "kind_display", "text", "from_state", "to_state", "actor", "created_at"]

    def get_actor(self, event) -> dict | None:
        return _user(event.actor)


class AmendmentSerializer(ModelSerializer):
    actor = serializers.SerializerMethodField()

    class Meta:
        model = RecordAmendment
        fields = ["id", "field", "old_value", "new_value", "reason", "actor", "created_at"]

    def get_actor(self, amendment) -> dict | None:
        return _user(amendment.actor)


class RecordSerializer(ModelSerializer):
    """Appendix B; the durations are derived (seconds), never written."""

    staff = serializers.SerializerMethodField()
    category = serializers.SerializerMethodField()
    institution = serializers.SerializerMethodField()
    response_seconds = serializers.SerializerMethodField()
    handling_seconds = serializers.SerializerMethodField()
    total_seconds = serializers.SerializerMethodField()
    amendments = AmendmentSerializer(many=True, read_only=True)

    class Meta:
        model = ServiceRecord
        fields = [
            "id",
            "number",
            *RECORD_FIELDS,
            "response_seconds",
            "handling_seconds",
            "total_seconds",
            "version",
            "created_at",
            "amendments",
        ]

    def get_staff(self, record) -> dict | None:
        return _user(record.staff)

    def get_category(self, record) -> dict:
        return {"id": record.category_id, "label": record.category.label}

    def get_institution(self, record) -> dict | None:
        return None if record.institution is None else {"id": record.institution_id, "name": record.institution.name}

    @staticmethod
    def _seconds(span) -> int | None:
        return None if span is None else int(span.total_seconds())

    def get_response_seconds(self, record) -> int | None:
        return self._seconds(record.response_time)

    def get_handling_seconds(self, record) -> int | None:
        return self._seconds(record.handling_time)

    def get_total_seconds(self, record) -> int | None:
        return self._seconds(record.total_time)


class CaseDetailSerializer(CaseSerializer):
    current_plan = serializers.SerializerMethodField()
    plans = PlanSerializer(many=True, read_only=True)
    events = EventSerializer(many=True, read_only=True)
    record = serializers.SerializerMethodField()

    class Meta(CaseSerializer.Meta):
        fields = [*CaseSerializer.Meta.fields, "current_plan", "plans", "events", "record"]

    def get_record(self, case) -> dict | None:
        record = getattr(case, "record", None)
        return None if record is None else RecordSerializer(record).data

    def get_current_plan(self, case) -> dict | None:
        current = next((plan for plan in case.plans.all() if plan.superseded_at is None), None)
        return None if current is None else PlanSerializer(current).data


# Views ------------------------------------------------------------------------------------------------------------


def _demand(pk: int, viewer: User) -> Demand:
    demand = selectors.demand_get(pk=pk, viewer=viewer)
    if demand is None:
        raise Http404
    return demand


class DemandListView(StationAPIView):
    """The station's demands, newest first; POST takes a demand form and opens its cases."""

    @paginated_schema(DemandSerializer)
    def get(self, request):
        return paginate(self, request, selectors.demand_list(viewer=request.user), DemandSerializer)

    @extend_schema(request=DemandInput, responses={201: DemandDetailSerializer})
    def post(self, request):
        data = dict(_valid(DemandInput(data=request.data)))
        tables = {name: [dict(row) for row in rows] for name, rows in data.pop("tables", {}).items()}
        demand = services.demand_create(station=self.station, user=request.user, tables=tables, **data)
        return Response(DemandDetailSerializer(_demand(demand.pk, request.user)).data, status=status.HTTP_201_CREATED)


class DemandDetailView(StationAPIView):
    @extend_schema(responses=DemandDetailSerializer)
    def get(self, request, pk: int):
        return Response(DemandDetailSerializer(_demand(pk, request.user)).data)


class CaseListView(StationAPIView):
    """Cases, newest first. `assignee` is a user id or `me`; `category` a catalog clause (`5.1.6`); `view` one of the
    workspace's lists: `inbox` (new cases), `mine` (my open cases), `due` (open cases near or past their deadline,
    soonest first); `q` a number or part of the enterprise's name."""

    @paginated_schema(CaseSerializer, parameters=[OpenApiParameter(name) for name in CaseFilter().fields])
    def get(self, request):
        filters = dict(_valid(CaseFilter(data=request.query_params)))
        filters |= selectors.case_view_filters(view=filters.pop("view", ""), user=request.user)
        assignee = filters.pop("assignee", None)
        if assignee == "me":
            filters["mine_for"] = request.user
        elif assignee is not None:
            filters["assignee"] = int(assignee)
        return paginate(self, request, selectors.case_list(**filters, viewer=request.user), CaseSerializer)


class CaseDetailView(StationAPIView):
    @extend_schema(responses=CaseDetailSerializer)
    def get(self, request, pk: int):
        return Response(CaseDetailSerializer(selectors.case_access(pk=pk, user=request.user)).data)


class CaseTransitionView(StationAPIView):
    """Move the case to state `to`; `version` is the case's version as read (a stale one is refused)."""

    @extend_schema(request=TransitionInput, responses=CaseDetailSerializer)
    def post(self, request, pk: int):
        case = selectors.case_access(pk=pk, user=request.user)
        data = _valid(TransitionInput(data=request.data))
        services.case_transition(
            case=case,
            user=request.user,
            to=data["to"],
            reason=data.get("reason", ""),
            expected_version=data["version"],
        )
        return Response(CaseDetailSerializer(selectors.case_access(pk=pk, user=request.user)).data)


class CasePlanView(StationAPIView):
    """Write the service plan, or re-plan (the current plan is superseded and kept). Answers the case."""

    @extend_schema(request=PlanInput, responses={201: CaseDetailSerializer})
    def post(self, request, pk: int):
        case = selectors.case_access(pk=pk, user=request.user)
        data = dict(_valid(PlanInput(data=request.data)))
        version = data.pop("version")
        fields = {key: value for key, value in data.items() if value is not None}
        services.case_plan(case=case, user=request.user, expected_version=version, **fields)
        return Response(
            CaseDetailSerializer(selectors.case_access(pk=pk, user=request.user)).data, status=status.HTTP_201_CREATED
        )


class CaseEventView(StationAPIView):
    """Add a follow-up entry to the timeline: a contact, a problem, its cause, feedback given, a note."""

    @extend_schema(request=EventInput, responses={201: EventSerializer})
    def post(self, request, pk: int):
        case = selectors.case_access(pk=pk, user=request.user)
        data = _valid(EventInput(data=request.data))
        event = services.case_event_add(case=case, user=request.user, kind=data["kind"], text=data.get("text", ""))
        return Response(EventSerializer(event).data, status=status.HTTP_201_CREATED)


class CaseRecordView(StationAPIView):
    """The case's service record (Appendix B). POST writes it while the case is open (201 the first time); a closed
    case's record is corrected through `record/amendments/`."""

    @extend_schema(responses=RecordSerializer)
    def get(self, request, pk: int):
        record = getattr(selectors.case_access(pk=pk, user=request.user), "record", None)
        if record is None:
            raise Http404
        return Response(RecordSerializer(record).data)

    @extend_schema(request=RecordInput, responses={200: RecordSerializer, 201: RecordSerializer})
    def post(self, request, pk: int):
        case = selectors.case_access(pk=pk, user=request.user)
        existed = getattr(case, "record", None) is not None
        data = dict(_valid(RecordInput(data=request.data)))
        version = data.pop("version", None)
        record = services.record_save(case=case, user=request.user, expected_version=version, **data)
        return Response(
            RecordSerializer(selectors.record_get(pk=record.pk)).data,
            status=status.HTTP_200_OK if existed else status.HTTP_201_CREATED,
        )


class RecordAmendmentView(StationAPIView):
    """Correct the record of a closed case: each changed field keeps its original value, with the reason."""

    @extend_schema(request=AmendmentInput, responses={201: RecordSerializer})
    def post(self, request, pk: int):
        record = getattr(selectors.case_access(pk=pk, user=request.user), "record", None)
        if record is None:
            raise Http404
        data = dict(_valid(AmendmentInput(data=request.data)))
        version, reason = data.pop("version", None), data.pop("reason")
        services.record_amend(record=record, user=request.user, reason=reason, expected_version=version, **data)
        return Response(RecordSerializer(selectors.record_get(pk=record.pk)).data, status=status.HTTP_201_CREATED)

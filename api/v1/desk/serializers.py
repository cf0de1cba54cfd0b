"""What several of the desk's modules share: checking input (`_valid`, which flattens table-row errors to
`table.position.field`) and the read side of a case as the case, plan and record endpoints answer it: the case with
its plans, timeline events and service record (Appendix B) with its amendments.
"""

from rest_framework import serializers
from rest_framework.exceptions import ValidationError

from api.serializers import ModelSerializer
from core.desk.models import (
    RECORD_FIELDS,
    CaseEvent,
    RecordAmendment,
    ServiceCase,
    ServicePlan,
    ServiceRecord,
)
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


TEXT = {"required": False, "allow_blank": True}
NULLABLE = {"required": False, "allow_null": True}


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

"""API of station operations (clauses 4.2.2, 4.3, 4.4, 4.5), on a station host.

Members read; the head writes, except maintenance logs, which every member records. The head corrects a
qualification, a training or an item (PATCH) and withdraws, cancels or retires it (POST …/withdraw/, …/cancel/,
…/retire/): nothing is deleted. Serializers check types only;
every rule is the services' (`core.operations.services`), whose refusals come back as 400 keyed by field (403 for who
may not). Files (training certificates, written systems) are uploaded multipart and checked by content.
"""

from dataclasses import asdict

from django.http import Http404
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response

from api.base import StationAPIView
from api.pagination import paginate, paginated_schema
from api.serializers import ModelSerializer, Serializer
from core.operations import selectors, services
from core.operations.models import (
    MAINTENANCE_INTERVAL_MAX_DAYS,
    Equipment,
    EquipmentKind,
    MaintenanceLog,
    SystemCode,
    SystemDocumentVersion,
    Training,
    TrainingKind,
)
from tenants.models import MemberRole, User

# Input: types only ------------------------------------------------------------------------------------------------


class TrainingInput(Serializer):
    title = serializers.CharField(max_length=200)
    held_on = serializers.DateField()
    hours = serializers.DecimalField(max_digits=5, decimal_places=1)
    kind = serializers.ChoiceField(choices=TrainingKind.choices)
    trainer = serializers.CharField(max_length=120, required=False, allow_blank=True, default="")
    attendees = serializers.ListField(child=serializers.IntegerField(), allow_empty=True)
    certificate = serializers.FileField(required=False, allow_null=True, default=None)


class TrainingChangeInput(Serializer):
    """What a PATCH of a training may change; the fields left out keep their values."""

    title = serializers.CharField(max_length=200, required=False)
    held_on = serializers.DateField(required=False)
    hours = serializers.DecimalField(max_digits=5, decimal_places=1, required=False)
    kind = serializers.ChoiceField(choices=TrainingKind.choices, required=False)
    trainer = serializers.CharField(max_length=120, required=False, allow_blank=True)
    attendees = serializers.ListField(child=serializers.IntegerField(), allow_empty=True, required=False)
    completed = serializers.ListField(child=serializers.IntegerField(), allow_empty=True, required=False)


class QualificationChangeInput(Serializer):
    name = serializers.CharField(max_length=100, required=False)
    number = serializers.CharField(max_length=60, required=False, allow_blank=True)
    valid_until = serializers.DateField(required=False, allow_null=True)


class ReasonInput(Serializer):
    reason = serializers.CharField(max_length=300, allow_blank=True)
    on = serializers.DateField(required=False, allow_null=True, default=None)


class EquipmentInput(Serializer):
    kind = serializers.ChoiceField(choices=EquipmentKind.choices)
    name = serializers.CharField(max_length=120)
    model_number = serializers.CharField(max_length=120, required=False, allow_blank=True, default="")
    location = serializers.CharField(max_length=120, required=False, allow_blank=True, default="")
    acquired_on = serializers.DateField(required=False, allow_null=True, default=None)
    maintenance_interval_days = serializers.IntegerField(min_value=1, max_value=MAINTENANCE_INTERVAL_MAX_DAYS)
    next_maintenance_due = serializers.DateField(required=False, allow_null=True, default=None)


class MaintenanceInput(Serializer):
    performed_on = serializers.DateField()
    work = serializers.CharField(max_length=4000)


class VersionInput(Serializer):
    effective_on = serializers.DateField()
    text = serializers.CharField(required=False, allow_blank=True, default="")
    file = serializers.FileField(required=False, allow_null=True, default=None)


def _found(obj):
    if obj is None:
        raise Http404
    return obj


def _valid(serializer: serializers.Serializer) -> dict:
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


def _user(user: User | None) -> dict | None:
    return None if user is None else {"id": user.pk, "name": user.display_name}


def _users(ids: list[int]) -> list[User]:
    """The users of `ids`; an unknown id becomes an unsaved user the services refuse like any outsider."""
    users = list(User.objects.filter(pk__in=ids))
    if len(users) != len(set(ids)):
        users.append(User(pk=0))
    return users


# Output -----------------------------------------------------------------------------------------------------------


class TrainingSerializer(ModelSerializer):
    attendees = serializers.SerializerMethodField()
    has_certificate = serializers.SerializerMethodField()

    class Meta:
        model = Training
        fields = [
            "id",
            "title",
            "held_on",
            "hours",
            "kind",
            "trainer",
            "attendees",
            "has_certificate",
            "certificate_name",
            "cancelled_at",
            "cancellation_reason",
        ]

    def get_attendees(self, training) -> list[dict]:
        return [{**_user(a.user), "completed": a.completed} for a in training.attendance.all()]

    def get_has_certificate(self, training) -> bool:
        return bool(training.certificate)


class EquipmentSerializer(ModelSerializer):
    overdue = serializers.BooleanField(read_only=True)

    class Meta:
        model = Equipment
        fields = [
            "id",
            "kind",
            "name",
            "model_number",
            "location",
            "acquired_on",
            "maintenance_interval_days",
            "next_maintenance_due",
            "overdue",
            "retired_on",
            "retirement_reason",
        ]


class MaintenanceSerializer(ModelSerializer):
    performed_by = serializers.SerializerMethodField()

    class Meta:
        model = MaintenanceLog
        fields = ["id", "equipment", "performed_on", "performed_by", "work", "next_due"]

    def get_performed_by(self, log) -> dict | None:
        return _user(log.performed_by)


class VersionSerializer(ModelSerializer):
    approved_by = serializers.SerializerMethodField()
    has_file = serializers.SerializerMethodField()

    class Meta:
        model = SystemDocumentVersion
        fields = ["id", "number", "effective_on", "text", "has_file", "file_name", "file_kind", "approved_by"]

    def get_approved_by(self, version) -> dict | None:
        return _user(version.approved_by)

    def get_has_file(self, version) -> bool:
        return bool(version.file)


def _system(row: selectors.SystemRow) -> dict:
    return {
        "code": row.code,
        "name": row.name,
        "current": VersionSerializer(row.current).data if row.current else None,
        "versions": VersionSerializer(row.versions, many=True).data,
    }


def _date(day) -> str | None:
    return day.isoformat() if day else None


def _qualification(q) -> dict:
    answer = {"id": q.pk, "name": q.name, "number": q.number, "valid_until": _date(q.valid_until)}
    if q.withdrawn:
        answer.update(withdrawn_on=_date(q.withdrawn_on), withdrawal_reason=q.withdrawal_reason)
    return answer


QUALIFICATION = inline_serializer(
    "StaffQualification",
    {
        "id": serializers.IntegerField(),
        "name": serializers.CharField(),
        "number": serializers.CharField(),
        "valid_until": serializers.DateField(allow_null=True),
        "withdrawn_on": serializers.DateField(required=False),
        "withdrawal_reason": serializers.CharField(required=False),
    },
)


def _register_row(row: selectors.RegisterRow) -> dict:
    record = row.record
    return {
        "user": _user(row.user),
        "role": row.membership.role,
        "is_head": row.is_head,
        "duty_start": record.duty_start.isoformat() if record and record.duty_start else None,
        "qualifications": [_qualification(q) for q in row.qualifications],
        "withdrawn_qualifications": [_qualification(q) for q in row.withdrawn],
        "cleared_for_duty": row.cleared,
    }


# Views ------------------------------------------------------------------------------------------------------------


class OperationsAPIView(StationAPIView):
    """Members read; `write_roles` write (the head unless said otherwise; the services check it again)."""

    write_roles: tuple[str, ...] = (MemberRole.HEAD,)


class StaffRegisterView(OperationsAPIView):
    """The staff register (clause 4.4): every active member, the head first, with duty start, qualifications and
    whether a completed pre-duty training clears them for duty."""

    @extend_schema(
        responses=inline_serializer(
            "StaffRegisterRow",
            {
                "user": serializers.DictField(),
                "role": serializers.CharField(),
                "is_head": serializers.BooleanField(),
                "duty_start": serializers.DateField(allow_null=True),
                "qualifications": serializers.ListField(child=serializers.DictField()),
                "withdrawn_qualifications": serializers.ListField(child=serializers.DictField()),
                "cleared_for_duty": serializers.BooleanField(),
            },
            many=True,
        )
    )
    def get(self, request):
        return Response([_register_row(row) for row in selectors.staff_register(station=self.station)])


class TrainingListView(OperationsAPIView):
    """Trainings, newest first; the head records one (multipart with an optional `certificate`: PDF, JPEG, PNG)."""

    parser_classes = [MultiPartParser, FormParser, JSONParser]

    @paginated_schema(TrainingSerializer)
    def get(self, request):
        return paginate(self, request, selectors.training_list(), TrainingSerializer)

    @extend_schema(request={"multipart/form-data": TrainingInput}, responses={201: TrainingSerializer})
    def post(self, request):
        data = dict(_valid(TrainingInput(data=request.data)))
        data["attendees"] = _users(data["attendees"])  # an unknown id: refused as not a member, like any outsider
        training = services.training_create(user=request.user, **data)
        return Response(TrainingSerializer(selectors.training_get(pk=training.pk)).data, status=status.HTTP_201_CREATED)


class QualificationView(OperationsAPIView):
    """The head corrects a qualification (only the fields sent change)."""

    @extend_schema(request=QualificationChangeInput, responses=QUALIFICATION)
    def patch(self, request, pk: int):
        qualification = _found(selectors.qualification_get(pk=pk))
        data = _valid(QualificationChangeInput(data=request.data))
        fields = {f: data.get(f, getattr(qualification, f)) for f in ("name", "number", "valid_until")}
        qualification = services.staff_qualification_update(user=request.user, qualification=qualification, **fields)
        return Response(_qualification(qualification))


class QualificationWithdrawView(OperationsAPIView):
    """The head withdraws a qualification (expired, revoked) with a `reason`, `on` a date (today by default): it is
    kept, shown as withdrawn, and no longer counts as valid."""

    @extend_schema(request=ReasonInput, responses=QUALIFICATION)
    def post(self, request, pk: int):
        qualification = _found(selectors.qualification_get(pk=pk))
        data = _valid(ReasonInput(data=request.data))
        qualification = services.staff_qualification_withdraw(
            user=request.user,
            qualification=qualification,
            reason=data["reason"],
            withdrawn_on=data["on"],
        )
        return Response(_qualification(qualification))


class TrainingView(OperationsAPIView):
    """The head corrects a training's facts and attendance (only the fields sent change; `completed`: who of the
    attendees completed it). Refused (400) when it would take the clearance for duty of a member holding open cases."""

    @extend_schema(request=TrainingChangeInput, responses=TrainingSerializer)
    def patch(self, request, pk: int):
        training = _found(selectors.training_get(pk=pk))
        data = dict(_valid(TrainingChangeInput(data=request.data)))
        fields = {f: data.get(f, getattr(training, f)) for f in ("title", "held_on", "hours", "kind", "trainer")}
        attendance = list(training.attendance.all())
        attendees = _users(data["attendees"]) if "attendees" in data else [a.user for a in attendance]
        completed = _users(data["completed"]) if "completed" in data else None
        services.training_update(
            user=request.user,
            training=training,
            attendees=attendees,
            completed=completed,
            **fields,
        )
        return Response(TrainingSerializer(selectors.training_get(pk=pk)).data)


class TrainingCancelView(OperationsAPIView):
    """The head cancels a training with a `reason`: kept, shown as cancelled, clearing nobody for duty. Refused (400)
    when that would take the clearance of a member holding open cases."""

    @extend_schema(request=ReasonInput, responses=TrainingSerializer)
    def post(self, request, pk: int):
        training = _found(selectors.training_get(pk=pk))
        data = _valid(ReasonInput(data=request.data))
        services.training_cancel(user=request.user, training=training, reason=data["reason"])
        return Response(TrainingSerializer(selectors.training_get(pk=pk)).data)


class EquipmentListView(OperationsAPIView):
    """The equipment register (clause 4.3) with `overdue` flagged (`?retired=yes`: the retired items); the head adds
    an item."""

    @paginated_schema(
        EquipmentSerializer,
        parameters=[OpenApiParameter("retired", str, required=False, description="yes: the retired items")],
    )
    def get(self, request):
        retired = request.query_params.get("retired") == "yes"
        return paginate(self, request, selectors.equipment_list(retired=retired), EquipmentSerializer)

    @extend_schema(request=EquipmentInput, responses={201: EquipmentSerializer})
    def post(self, request):
        data = _valid(EquipmentInput(data=request.data))
        equipment = services.equipment_create(user=request.user, **data)
        return Response(
            EquipmentSerializer(selectors.equipment_list().get(pk=equipment.pk)).data, status=status.HTTP_201_CREATED
        )


class EquipmentView(OperationsAPIView):
    """The head corrects an item of the register (only the fields sent change)."""

    FIELDS = (
        "kind",
        "name",
        "model_number",
        "location",
        "acquired_on",
        "maintenance_interval_days",
        "next_maintenance_due",
    )

    @extend_schema(request=EquipmentInput(partial=True), responses=EquipmentSerializer)
    def patch(self, request, pk: int):
        equipment = _found(selectors.equipment_get(pk=pk))
        data = _valid(EquipmentInput(data=request.data, partial=True))
        fields = {f: data[f] if f in data else getattr(equipment, f) for f in self.FIELDS}
        services.equipment_update(user=request.user, equipment=equipment, **fields)
        return Response(EquipmentSerializer(selectors.equipment_list(retired=None).get(pk=pk)).data)


class EquipmentRetireView(OperationsAPIView):
    """The head retires an item with a `reason`, `on` a date (today by default): kept with its maintenance logs,
    listed apart, no longer reminded of."""

    @extend_schema(request=ReasonInput, responses=EquipmentSerializer)
    def post(self, request, pk: int):
        equipment = _found(selectors.equipment_get(pk=pk))
        data = _valid(ReasonInput(data=request.data))
        services.equipment_retire(
            user=request.user,
            equipment=equipment,
            reason=data["reason"],
            retired_on=data["on"],
        )
        return Response(EquipmentSerializer(selectors.equipment_list(retired=None).get(pk=pk)).data)


class MaintenanceView(OperationsAPIView):
    """Record a maintenance of an item (clause 4.3.5); any member. The item's next due date moves on."""

    write_roles = (MemberRole.HEAD, MemberRole.STAFF)

    @extend_schema(request=MaintenanceInput, responses={201: MaintenanceSerializer})
    def post(self, request, pk: int):
        equipment = selectors.equipment_get(pk=pk)
        if equipment is None:
            raise Http404
        data = _valid(MaintenanceInput(data=request.data))
        log = services.maintenance_log_add(equipment=equipment, user=request.user, **data)
        return Response(MaintenanceSerializer(log).data, status=status.HTTP_201_CREATED)


class SystemListView(OperationsAPIView):
    """The eight written systems of clause 4.5 with their current version and every version."""

    @extend_schema(
        responses=inline_serializer(
            "SystemRow",
            {
                "code": serializers.CharField(),
                "name": serializers.CharField(),
                "current": VersionSerializer(allow_null=True),
                "versions": VersionSerializer(many=True),
            },
            many=True,
        )
    )
    def get(self, request):
        return Response([_system(row) for row in selectors.system_list()])


class SystemVersionView(OperationsAPIView):
    """The head publishes a new version of a system (`a`-`h`): text and/or a PDF or DOCX `file` (multipart)."""

    parser_classes = [MultiPartParser, FormParser, JSONParser]

    @extend_schema(request={"multipart/form-data": VersionInput}, responses={201: VersionSerializer})
    def post(self, request, code: str):
        if code not in SystemCode.values:
            raise Http404
        data = _valid(VersionInput(data=request.data))
        version = services.system_version_publish(user=request.user, code=code, **data)
        return Response(VersionSerializer(version).data, status=status.HTTP_201_CREATED)


EVIDENCE_COUNTS = (
    "members",
    "members_cleared",
    "equipment",
    "equipment_maintained",
    "equipment_overdue",
    "systems",
    "systems_current",
)


class EvidenceView(OperationsAPIView):
    """What the operations show the evaluation's self-assessment: counts of trained staff, maintained equipment,
    systems in effect."""

    @extend_schema(
        responses=inline_serializer(
            "OperationsEvidence",
            {
                **{name: serializers.IntegerField() for name in EVIDENCE_COUNTS},
                "head_designated": serializers.BooleanField(),
                "display_process": serializers.BooleanField(),
            },
        )
    )
    def get(self, request):
        return Response(asdict(selectors.operations_self_assessment_evidence(station=self.station)))

"""API of the quality archive (clause 7) on a station host: an enterprise's archive (every read logged), its export
as a ZIP of PDFs (a job), and the head's access log."""

from django.http import Http404
from django.urls import reverse
from drf_spectacular.utils import extend_schema, extend_schema_serializer
from rest_framework import serializers, status
from rest_framework.pagination import LimitOffsetPagination
from rest_framework.response import Response

from api.base import CaseAPIView, StationAPIView
from api.pagination import PAGE_PARAMETERS, paginate, paginated_schema
from api.serializers import ModelSerializer, Serializer
from core.archive import selectors, services
from core.archive.models import AccessAction, AccessChannel, ArchiveAccess, ArchiveDisposal, ConfidentialCase
from core.jobs.selectors import job_get
from tenants.models import MemberRole


@extend_schema_serializer(component_name="ArchiveEnterprise")  # not the directory's `Enterprise`
class EnterpriseSerializer(Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    uscc = serializers.CharField()
    legal_representative = serializers.CharField()
    address = serializers.CharField()
    district = serializers.CharField()
    industry = serializers.CharField()
    scale = serializers.CharField()
    contact_person = serializers.CharField()
    phone = serializers.CharField()
    email = serializers.CharField()


class EntrySerializer(Serializer):
    number = serializers.CharField(source="entry.number")
    recorded_at = serializers.DateTimeField(source="entry.recorded_at")
    source = serializers.CharField(source="entry.source")
    object_id = serializers.IntegerField(source="entry.object_id")
    title = serializers.CharField(source="document.title")
    reference = serializers.CharField(source="document.reference")
    url = serializers.CharField(source="document.url")


class EntryPagination(LimitOffsetPagination):
    default_limit = 50
    max_limit = 500


class EnterpriseArchivePageSerializer(Serializer):
    """A page of the archive's documents (limit/offset, at most 500 a page) with the enterprise's registration
    facts."""

    count = serializers.IntegerField()
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)
    results = EntrySerializer(many=True)
    enterprise = EnterpriseSerializer()


class EnterpriseArchiveView(StationAPIView):
    """An enterprise's archive: its registration facts and its documents in date order with their archive numbers
    (paginated by limit/offset). Every read is logged."""

    @extend_schema(
        operation_id="archive_enterprises_list", responses=EnterpriseArchivePageSerializer, parameters=PAGE_PARAMETERS
    )
    def get(self, request, pk: int):
        enterprise = selectors.archive_enterprise_get(pk=pk)
        if enterprise is None:
            raise Http404
        rows = selectors.rows_visible(rows=selectors.archive_rows(enterprise=enterprise), user=request.user)
        services.archive_access_log(
            user=request.user, enterprise=enterprise, action=AccessAction.VIEW, detail=request.path, request=request
        )
        paginator = EntryPagination()
        page = paginator.paginate_queryset(rows, request, view=self)
        response = paginator.get_paginated_response(EntrySerializer(page, many=True).data)
        response.data["enterprise"] = EnterpriseSerializer(enterprise).data
        return response


class ExportSerializer(Serializer):
    id = serializers.IntegerField()
    status = serializers.CharField()
    status_display = serializers.CharField(source="get_status_display")
    percent = serializers.IntegerField()
    total = serializers.IntegerField()
    done = serializers.IntegerField()
    summary = serializers.JSONField()
    error = serializers.CharField()
    ready = serializers.SerializerMethodField()
    download = serializers.SerializerMethodField()

    def get_ready(self, job) -> bool:
        return bool(self.context["export"].name)

    def get_download(self, job) -> str | None:
        return reverse("archive:export_download", kwargs={"pk": job.pk}) if self.get_ready(job) else None


class ExportStartView(StationAPIView):
    """Start the export of an enterprise's archive as a ZIP of PDFs; answers the job to follow."""

    @extend_schema(request=None, responses={202: ExportSerializer})
    def post(self, request, pk: int):
        enterprise = selectors.archive_enterprise_get(pk=pk)
        if enterprise is None:
            raise Http404
        job = services.archive_export_start(enterprise=enterprise, user=request.user, request=request)
        export = selectors.export_get(job_id=job.pk)
        return Response(ExportSerializer(job, context={"export": export}).data, status=status.HTTP_202_ACCEPTED)


class ExportStatusView(StationAPIView):
    """An export's progress (its requester only)."""

    @extend_schema(responses=ExportSerializer)
    def get(self, request, pk: int):
        export = selectors.export_get(job_id=pk)
        if export is None or export.requested_by_id != request.user.pk:
            raise Http404
        return Response(ExportSerializer(job_get(job_id=pk), context={"export": export}).data)


class AccessSerializer(ModelSerializer):
    class Meta:
        model = ArchiveAccess
        fields = [
            "id",
            "created_at",
            "user_id",
            "user_name",
            "action",
            "channel",
            "enterprise_id",
            "enterprise_name",
            "object_kind",
            "object_id",
            "object_label",
            "detail",
        ]


class AccessFilterSerializer(Serializer):
    user = serializers.IntegerField(required=False, min_value=1, help_text="A member's user id.")
    enterprise = serializers.IntegerField(required=False, min_value=1, help_text="An enterprise's id.")
    q = serializers.CharField(required=False, help_text="Part of the enterprise's name, or a USCC prefix.")
    action = serializers.ChoiceField(choices=AccessAction.choices, required=False)
    channel = serializers.ChoiceField(choices=AccessChannel.choices, required=False)
    date_from = serializers.DateField(required=False)
    date_to = serializers.DateField(required=False)


class AccessLogView(StationAPIView):
    """The access log (clause 7.3): every look at an enterprise's information (its archive, demands, cases, records,
    printed forms, by page or API; a list read is one row per enterprise shown) and what was done with its archive,
    newest first, per member (`user`) and per enterprise (`enterprise`). The station head only."""

    station_roles = (MemberRole.HEAD,)

    @paginated_schema(AccessSerializer, parameters=[AccessFilterSerializer])
    def get(self, request):
        filters = AccessFilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        entries = selectors.access_log(viewer=request.user, **filters.validated_data)
        return paginate(self, request, entries, AccessSerializer)


# --- Confidential cases and disposals (clauses 7.3, 7.4) -------------------------------------------------------------


class ConfidentialInput(Serializer):
    reason = serializers.CharField(required=False, allow_blank=True, max_length=500)


class ConfidentialSerializer(Serializer):
    case = serializers.IntegerField()
    confidential = serializers.BooleanField()
    reason = serializers.CharField()
    marked_at = serializers.DateTimeField(allow_null=True)


def _confidential(case) -> dict:
    marked = ConfidentialCase.objects.filter(case=case).first()
    return {
        "case": case.pk,
        "confidential": marked is not None,
        "reason": getattr(marked, "reason", ""),
        "marked_at": getattr(marked, "marked_at", None),
    }


class CaseConfidentialView(CaseAPIView):
    """The head's confidential mark of a case (clause 7.3): GET it, POST marks the case (only its assignee and the
    head see it from then on), DELETE lifts the mark. The station head only."""

    station_roles = (MemberRole.HEAD,)

    @extend_schema(responses=ConfidentialSerializer)
    def get(self, request, pk: int):
        return Response(ConfidentialSerializer(_confidential(self.case)).data)

    @extend_schema(request=ConfidentialInput, responses=ConfidentialSerializer)
    def post(self, request, pk: int):
        data = ConfidentialInput(data=request.data)
        data.is_valid(raise_exception=True)
        services.case_confidential_mark(case=self.case, user=request.user, reason=data.validated_data.get("reason", ""))
        return Response(ConfidentialSerializer(_confidential(self.case)).data)

    @extend_schema(request=None, responses={200: ConfidentialSerializer})
    def delete(self, request, pk: int):
        services.case_confidential_unmark(case=self.case, user=request.user)
        return Response(ConfidentialSerializer(_confidential(self.case)).data)


class DisposalSerializer(ModelSerializer):
    requested_by = serializers.CharField(source="requested_by.display_name", read_only=True)
    approved_by = serializers.CharField(source="approved_by.display_name", read_only=True, allow_null=True)

    class Meta:
        model = ArchiveDisposal
        fields = [
            "id",
            "enterprise_id",
            "enterprise_name",
            "state",
            "reason",
            "last_recorded_at",
            "requested_by",
            "requested_at",
            "approved_by",
            "approved_at",
            "removed_counts",
            "removed_numbers",
        ]


class DisposalInput(Serializer):
    reason = serializers.CharField(allow_blank=True)


class EnterpriseDisposalListView(StationAPIView):
    """The disposals of an enterprise's archive; POST asks for one (`reason`): refused (400 on `enterprise`, and
    logged) within five years of its last record. The head then approves it."""

    @extend_schema(responses=DisposalSerializer(many=True))
    def get(self, request, pk: int):
        enterprise = selectors.archive_enterprise_get(pk=pk)
        if enterprise is None:
            raise Http404
        return Response(DisposalSerializer(selectors.disposal_list(enterprise=enterprise), many=True).data)

    @extend_schema(request=DisposalInput, responses={201: DisposalSerializer})
    def post(self, request, pk: int):
        enterprise = selectors.archive_enterprise_get(pk=pk)
        if enterprise is None:
            raise Http404
        data = DisposalInput(data=request.data)
        data.is_valid(raise_exception=True)
        disposal = services.archive_dispose(
            enterprise=enterprise, user=request.user, reason=data.validated_data["reason"]
        )
        return Response(DisposalSerializer(disposal).data, status=status.HTTP_201_CREATED)


class DisposalApproveView(StationAPIView):
    """The head approves a disposal: the retention is checked again and the archive's documents are removed."""

    station_roles = (MemberRole.HEAD,)

    @extend_schema(request=None, responses=DisposalSerializer)
    def post(self, request, pk: int):
        disposal = selectors.disposal_list().filter(pk=pk).first()
        if disposal is None:
            raise Http404
        done = services.archive_disposal_approve(disposal=disposal, user=request.user)
        return Response(DisposalSerializer(done).data)

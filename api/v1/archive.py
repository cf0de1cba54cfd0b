"""API of the quality archive (clause 7) on a station host: an enterprise's archive (every read logged), its export
as a ZIP of PDFs (a job), and the head's access log."""

from django.http import Http404
from django.urls import reverse
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.pagination import LimitOffsetPagination
from rest_framework.response import Response

from api.base import StationAPIView
from api.errors import service_call
from api.pagination import paginate
from core.archive import selectors, services
from core.archive.models import AccessAction, ArchiveAccess
from core.jobs.selectors import job_get
from tenants.models import MemberRole


class EnterpriseSerializer(serializers.Serializer):
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


class EntrySerializer(serializers.Serializer):
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


class EnterpriseArchiveView(StationAPIView):
    """An enterprise's archive: its registration facts and its documents in date order with their archive numbers
    (paginated by limit/offset). Every read is logged."""

    @extend_schema(responses=EntrySerializer(many=True))
    def get(self, request, pk: int):
        enterprise = selectors.archive_enterprise_get(pk=pk)
        if enterprise is None:
            raise Http404
        rows = selectors.rows_visible(rows=services.archive_file(enterprise=enterprise), user=request.user)
        services.archive_access_log(
            user=request.user, enterprise=enterprise, action=AccessAction.VIEW, detail=request.path
        )
        paginator = EntryPagination()
        page = paginator.paginate_queryset(rows, request, view=self)
        response = paginator.get_paginated_response(EntrySerializer(page, many=True).data)
        response.data["enterprise"] = EnterpriseSerializer(enterprise).data
        return response


class ExportSerializer(serializers.Serializer):
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
        job = service_call(services.archive_export_start, enterprise=enterprise, user=request.user)
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


class AccessSerializer(serializers.ModelSerializer):
    class Meta:
        model = ArchiveAccess
        fields = ["id", "created_at", "user_id", "user_name", "action", "enterprise_id", "enterprise_name", "detail"]


class AccessFilterSerializer(serializers.Serializer):
    user = serializers.IntegerField(required=False)
    action = serializers.ChoiceField(choices=AccessAction.choices, required=False)
    enterprise = serializers.CharField(required=False)
    date_from = serializers.DateField(required=False)
    date_to = serializers.DateField(required=False)


class AccessLogView(StationAPIView):
    """The archive's access log, newest first, with filters (the station head only)."""

    station_roles = (MemberRole.HEAD,)

    @extend_schema(parameters=[AccessFilterSerializer], responses=AccessSerializer(many=True))
    def get(self, request):
        filters = AccessFilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        return paginate(self, request, selectors.access_log(**filters.validated_data), AccessSerializer)

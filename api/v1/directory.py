"""API of the shared directory (enterprises, institutions), the service catalog and directory imports/exports."""

from urllib.parse import quote

from django.http import Http404, HttpResponse
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import PermissionDenied
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response

from api.base import SharedAPIView
from api.masking import MaskedEmailField, MaskedPhoneField
from api.pagination import paginate, paginated_schema
from api.serializers import ModelSerializer, Serializer
from core.audit.models import AuditAction
from core.audit.services import audit_record
from core.catalog.models import ServiceItem
from core.catalog.selectors import service_category_list
from core.directory import services
from core.directory.exports import directory_sample
from core.directory.models import Enterprise, Institution, Qualification
from core.directory.selectors import (
    SEARCH_CAP,
    directory_entry_warnings,
    directory_may_add,
    enterprise_get,
    enterprise_search,
    institution_get,
    institution_search,
)
from core.districts import District
from core.jobs.selectors import job_get
from tenants.models import BureauRole


class EnterpriseSerializer(ModelSerializer):
    district_display = serializers.CharField(source="get_district_display", read_only=True)
    industry_display = serializers.CharField(source="get_industry_display", read_only=True)
    scale_display = serializers.CharField(source="get_scale_display", read_only=True)
    source_station = serializers.CharField(source="source_station.name", read_only=True, default=None, allow_null=True)
    warnings = serializers.SerializerMethodField()

    class Meta:
        model = Enterprise
        fields = [
            "id",
            *services.ENTERPRISE_FIELDS,
            "district_display",
            "industry_display",
            "scale_display",
            "source_station",
            "created_at",
            "updated_at",
            "warnings",
        ]
        # Uniqueness and validity are the service's to check (full_clean), with the same messages as the pages; the
        # 18 characters are counted there too, once the code is compact (a pasted code may carry spaces).
        extra_kwargs = {"uscc": {"validators": [], "max_length": None}}

    def get_warnings(self, entry) -> list[str]:
        """Doubts about what was saved, never refusals: a USCC registered outside the city or in another district."""
        return directory_entry_warnings(entry=entry)


class EnterpriseListSerializer(EnterpriseSerializer):
    """An enterprise in a list: its contact's phone and e-mail masked (api.masking)."""

    phone = MaskedPhoneField()
    email = MaskedEmailField()


class QualificationSerializer(ModelSerializer):
    items = serializers.SlugRelatedField(slug_field="clause", many=True, read_only=True)

    class Meta:
        model = Qualification
        fields = ["id", "kind", "number", "scope", "items", "valid_from", "valid_until"]


class InstitutionSerializer(ModelSerializer):
    items = serializers.SlugRelatedField(
        slug_field="clause", many=True, queryset=ServiceItem.objects.all(), required=False
    )
    districts = serializers.ListField(child=serializers.ChoiceField(choices=District.choices), required=False)
    kind_display = serializers.CharField(source="get_kind_display", read_only=True)
    qualifications = QualificationSerializer(many=True, read_only=True)
    source_station = serializers.CharField(source="source_station.name", read_only=True, default=None, allow_null=True)
    warnings = serializers.SerializerMethodField()

    class Meta:
        model = Institution
        fields = [
            "id",
            *services.INSTITUTION_FIELDS,
            "kind_display",
            "items",
            "qualifications",
            "source_station",
            "created_at",
            "updated_at",
            "warnings",
        ]
        validators = []
        extra_kwargs = {"uscc": {"max_length": None}}  # counted once compact, by the service (see above)

    def get_warnings(self, entry) -> list[str]:
        """Doubts about what was saved, never refusals: a USCC registered outside the city."""
        return directory_entry_warnings(entry=entry)


class InstitutionListSerializer(InstitutionSerializer):
    """An institution in a list: its contact's phone and e-mail masked (api.masking)."""

    phone = MaskedPhoneField()
    email = MaskedEmailField()
    item_expired = serializers.SerializerMethodField()

    class Meta(InstitutionSerializer.Meta):
        fields = [*InstitutionSerializer.Meta.fields, "item_expired"]

    def get_item_expired(self, institution) -> bool | None:
        """With an `item` filter: whether the institution's qualifications covering it have all expired (shown only
        with `expired=shown`); null without one."""
        return getattr(institution, "item_expired", None)


FILTER = OpenApiParameter
INSTITUTION_FILTERS = ("q", "kind", "district", "item", "expired")


class EnterpriseListView(SharedAPIView):
    """Search the enterprise directory: `q` is a name fragment (fuzzy) or the start of a USCC."""

    @paginated_schema(
        EnterpriseListSerializer, parameters=[FILTER(name) for name in ("q", "uscc", "district", "industry", "scale")]
    )
    def get(self, request):
        filters = {k: request.query_params.get(k, "") for k in ("q", "uscc", "district", "industry", "scale")}
        return paginate(self, request, enterprise_search(**filters, cap=SEARCH_CAP), EnterpriseListSerializer)

    @extend_schema(request=EnterpriseSerializer, responses={201: EnterpriseSerializer})
    def post(self, request):
        serializer = EnterpriseSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        enterprise = services.enterprise_create(
            user=request.user, station=self.station, request=request, **serializer.validated_data
        )
        return Response(EnterpriseSerializer(enterprise).data, status=status.HTTP_201_CREATED)


class EnterpriseDetailView(SharedAPIView):
    def get_object(self, pk: int) -> Enterprise:
        enterprise = enterprise_get(pk=pk)
        if enterprise is None:
            raise Http404
        return enterprise

    @extend_schema(responses=EnterpriseSerializer)
    def get(self, request, pk: int):
        return Response(EnterpriseSerializer(self.get_object(pk)).data)

    @extend_schema(request=EnterpriseSerializer, responses=EnterpriseSerializer)
    def patch(self, request, pk: int):
        enterprise = self.get_object(pk)
        serializer = EnterpriseSerializer(enterprise, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        enterprise = services.enterprise_update(
            enterprise=enterprise,
            user=request.user,
            station=self.station,
            request=request,
            **serializer.validated_data,
        )
        return Response(EnterpriseSerializer(enterprise).data)


class InstitutionListView(SharedAPIView):
    """Search institutions: by name, kind, district covered and catalog item (e.g. `item=5.1.6.2&district=kaiyuan`).
    With an item, institutions whose qualifications covering it have all expired are left out; `expired=shown` keeps
    them, marked `item_expired`."""

    @paginated_schema(InstitutionListSerializer, parameters=[FILTER(name) for name in INSTITUTION_FILTERS])
    def get(self, request):
        filters = {k: request.query_params.get(k, "") for k in INSTITUTION_FILTERS}
        return paginate(self, request, institution_search(**filters, cap=SEARCH_CAP), InstitutionListSerializer)

    @extend_schema(request=InstitutionSerializer, responses={201: InstitutionSerializer})
    def post(self, request):
        serializer = InstitutionSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        institution = services.institution_create(
            user=request.user, station=self.station, request=request, **serializer.validated_data
        )
        return Response(InstitutionSerializer(institution_get(pk=institution.pk)).data, status=status.HTTP_201_CREATED)


class InstitutionDetailView(SharedAPIView):
    def get_object(self, pk: int) -> Institution:
        institution = institution_get(pk=pk)
        if institution is None:
            raise Http404
        return institution

    @extend_schema(responses=InstitutionSerializer)
    def get(self, request, pk: int):
        return Response(InstitutionSerializer(self.get_object(pk)).data)

    @extend_schema(request=InstitutionSerializer, responses=InstitutionSerializer)
    def patch(self, request, pk: int):
        institution = self.get_object(pk)
        serializer = InstitutionSerializer(institution, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        services.institution_update(
            institution=institution,
            user=request.user,
            station=self.station,
            request=request,
            **serializer.validated_data,
        )
        return Response(InstitutionSerializer(institution_get(pk=pk)).data)


class CatalogItemSerializer(ModelSerializer):
    class Meta:
        model = ServiceItem
        fields = ["clause", "name", "text"]


class CatalogCategorySerializer(Serializer):
    clause = serializers.CharField()
    name = serializers.CharField()
    items = CatalogItemSerializer(many=True)


class CatalogView(SharedAPIView):
    """The service catalog of clause 5.1: categories and their active items."""

    @extend_schema(responses=CatalogCategorySerializer(many=True))
    def get(self, request):
        return Response(CatalogCategorySerializer(service_category_list(), many=True).data)


class JobSerializer(Serializer):
    id = serializers.IntegerField()
    kind = serializers.CharField()
    status = serializers.CharField()
    status_display = serializers.CharField(source="get_status_display")
    total = serializers.IntegerField()
    done = serializers.IntegerField()
    percent = serializers.IntegerField()
    summary = serializers.JSONField()
    error = serializers.CharField()
    has_result = serializers.SerializerMethodField()
    created_at = serializers.DateTimeField()
    finished_at = serializers.DateTimeField(allow_null=True)

    def get_has_result(self, job) -> bool:
        return bool(job.result_name)


class ImportRequestSerializer(Serializer):
    what = serializers.ChoiceField(choices=list(services.IMPORT_KINDS))
    file = serializers.FileField()


class ExportRequestSerializer(Serializer):
    what = serializers.ChoiceField(choices=list(services.EXPORT_KINDS))
    format = serializers.ChoiceField(choices=["csv", "xlsx"], default="xlsx")
    filters = serializers.DictField(child=serializers.CharField(allow_blank=True), required=False, default=dict)


class ImportView(SharedAPIView):
    """Upload a CSV or XLSX of enterprises or institutions; answers the job to follow."""

    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(request=ImportRequestSerializer, responses={202: JobSerializer})
    def post(self, request):
        if not directory_may_add(user=request.user, station=self.station):
            raise PermissionDenied
        serializer = ImportRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        upload = serializer.validated_data["file"]
        job = services.directory_import_start(
            what=serializer.validated_data["what"],
            user=request.user,
            station=self.station,
            file=upload,
        )
        return Response(JobSerializer(job).data, status=status.HTTP_202_ACCEPTED)


class ExportView(SharedAPIView):
    # An export is a read of the directory, sent as a job: every reader may ask for one.
    bureau_write_roles = (BureauRole.ADMIN, BureauRole.VIEWER)

    @extend_schema(request=ExportRequestSerializer, responses={202: JobSerializer})
    def post(self, request):
        serializer = ExportRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        job = services.directory_export_start(
            what=serializer.validated_data["what"],
            user=request.user,
            file_format=serializer.validated_data["format"],
            filters=serializer.validated_data["filters"],
            request=request,
        )
        return Response(JobSerializer(job).data, status=status.HTTP_202_ACCEPTED)


class JobView(SharedAPIView):
    """A job's state and progress (jobs are kept where they were started: this station, or the bureau)."""

    @extend_schema(responses=JobSerializer)
    def get(self, request, pk: int):
        job = job_get(job_id=pk)
        if job is None:
            raise Http404
        return Response(JobSerializer(job).data)


class JobResultView(SharedAPIView):
    """Download a job's result: an export, or an import's per-row report."""

    @extend_schema(responses={(200, "application/octet-stream"): bytes})
    def get(self, request, pk: int):
        job = job_get(job_id=pk)
        if job is None or not job.result_name:
            raise Http404
        audit_record(action=AuditAction.DOWNLOADED, request=request, target=f"{job.result_name} (job {job.pk})")
        response = HttpResponse(bytes(job.result_data), content_type=job.result_content_type)
        response["Content-Disposition"] = f"attachment; filename*=UTF-8''{_quote(job.result_name)}"
        return response


class SampleView(SharedAPIView):
    """A sample import file with one filled-in row."""

    @extend_schema(responses={(200, "application/octet-stream"): bytes})
    def get(self, request, what: str, file_format: str):
        if what not in services.IMPORT_KINDS or file_format not in {"csv", "xlsx"}:
            raise Http404
        name, content, content_type = directory_sample(what=what, file_format=file_format)
        response = HttpResponse(content, content_type=content_type)
        response["Content-Disposition"] = f"attachment; filename*=UTF-8''{_quote(name)}"
        return response


def _quote(name: str) -> str:
    return quote(name)

"""Service records (Appendix B) through the API: read and write a case's record while the case is open, amend it
once the case is closed.
"""

from django.http import Http404
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response

from api.base import CaseAPIView
from api.serializers import Serializer
from api.v1.desk.serializers import NULLABLE, TEXT, RecordSerializer, _valid
from core.catalog.models import FormBox, FormKind
from core.desk import selectors, services
from core.directory.models import Institution
from tenants.models import User


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


class CaseRecordView(CaseAPIView):
    """The case's service record (Appendix B). POST writes it while the case is open (201 the first time); a closed
    case's record is corrected through `record/amendments/`."""

    def looked_at(self) -> list:
        record = getattr(self.case, "record", None)
        return [record] if record is not None else []

    @extend_schema(responses=RecordSerializer)
    def get(self, request, pk: int):
        record = getattr(self.case, "record", None)
        if record is None:
            raise Http404
        return Response(RecordSerializer(record).data)

    @extend_schema(request=RecordInput, responses={200: RecordSerializer, 201: RecordSerializer})
    def post(self, request, pk: int):
        existed = getattr(self.case, "record", None) is not None
        data = dict(_valid(RecordInput(data=request.data)))
        version = data.pop("version", None)
        record = services.record_save(case=self.case, user=request.user, expected_version=version, **data)
        return Response(
            RecordSerializer(selectors.record_get(pk=record.pk)).data,
            status=status.HTTP_200_OK if existed else status.HTTP_201_CREATED,
        )


class RecordAmendmentView(CaseAPIView):
    """Correct the record of a closed case: each changed field keeps its original value, with the reason."""

    @extend_schema(request=AmendmentInput, responses={201: RecordSerializer})
    def post(self, request, pk: int):
        record = getattr(self.case, "record", None)
        if record is None:
            raise Http404
        data = dict(_valid(AmendmentInput(data=request.data)))
        version, reason = data.pop("version", None), data.pop("reason")
        services.record_amend(record=record, user=request.user, reason=reason, expected_version=version, **data)
        return Response(RecordSerializer(selectors.record_get(pk=record.pk)).data, status=status.HTTP_201_CREATED)

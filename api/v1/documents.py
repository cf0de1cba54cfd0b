"""Documents on demands and cases through the API (issue 19): a case's or a demand's documents (every version, newest
first within a series) and an upload to it (multipart: `kind`, `title`, `file`), a new version of a document, its
release to the enterprise (the standard's 发放检验检测报告, clause 5.1.7.4), and its file.

A document is reached through its case or demand for the caller (`core.documents.selectors.document_access`): one of
a case the caller may not see answers 404 like a missing one. Every rule is the services' (`core.documents.services`):
a file refused by its content, a second release, a replaced version answer 400 keyed by field.
"""

from django.urls import reverse
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response

from api.base import CaseAPIView, DemandAPIView, StationAPIView
from api.serializers import ModelSerializer, Serializer
from api.v1.desk.serializers import _valid
from core.documents import selectors, services
from core.documents.models import Document, DocumentKind
from core.documents.views import document_response
from core.uploads.checks import KINDS

# Input: types only ------------------------------------------------------------------------------------------------


class DocumentInput(Serializer):
    kind = serializers.ChoiceField(choices=DocumentKind.choices)
    title = serializers.CharField(max_length=200)
    file = serializers.FileField()


class DocumentVersionInput(Serializer):
    """A new version's file; `title` changes the title (left out or blank: it stays)."""

    file = serializers.FileField()
    title = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")


# Output -----------------------------------------------------------------------------------------------------------


class DocumentSerializer(ModelSerializer):
    """A version of a document: `series` is shared by its versions, `superseded_by` names the newer version of a
    replaced one; `released_at` is set once it was released to the enterprise; `origin_station_name` names the
    station a copy came back from after a referral."""

    kind_display = serializers.CharField(source="get_kind_display", read_only=True)
    case_number = serializers.SerializerMethodField()
    archive_number = serializers.SerializerMethodField()
    download = serializers.SerializerMethodField()

    class Meta:
        model = Document
        fields = [
            "id",
            "uid",
            "demand",
            "case",
            "case_number",
            "kind",
            "kind_display",
            "title",
            "original_name",
            "content_type",
            "size",
            "sha256",
            "series",
            "version",
            "superseded_at",
            "superseded_by",
            "uploaded_by_name",
            "uploaded_at",
            "released_at",
            "released_by_name",
            "origin_station_name",
            "archive_number",
            "download",
        ]
        read_only_fields = fields

    def get_case_number(self, document) -> str | None:
        return document.case.number if document.case_id else None

    def get_archive_number(self, document) -> str | None:
        return getattr(document, "archive_number", None)

    def get_download(self, document) -> str:
        return reverse("api-document-download", kwargs={"pk": document.pk})


def _answer(document: Document, request, *, code: int = status.HTTP_200_OK) -> Response:
    """A written document as the lists show it (with its archive number)."""
    return Response(DocumentSerializer(selectors.document_access(pk=document.pk, user=request.user)).data, status=code)


# Views ------------------------------------------------------------------------------------------------------------


class CaseDocumentsView(CaseAPIView):
    """The case's documents, every version (newest series first, the newest version first within it); POST uploads a
    file to the case (multipart): PDF, JPEG, PNG, DOCX or XLSX by content, filed in the enterprise's archive at once."""

    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(responses=DocumentSerializer(many=True))
    def get(self, request, pk: int):
        return Response(DocumentSerializer(selectors.documents_of_case(case=self.case), many=True).data)

    @extend_schema(request={"multipart/form-data": DocumentInput}, responses={201: DocumentSerializer})
    def post(self, request, pk: int):
        data = _valid(DocumentInput(data=request.data))
        document = services.document_upload(
            user=request.user,
            demand=self.case.demand,
            case=self.case,
            kind=data["kind"],
            title=data["title"],
            file=data["file"],
        )
        return _answer(document, request, code=status.HTTP_201_CREATED)


class DemandDocumentsView(DemandAPIView):
    """The demand's documents: of the demand as a whole and of each of its cases (`case`), every version; POST uploads
    a file to the demand as a whole (multipart)."""

    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(responses=DocumentSerializer(many=True))
    def get(self, request, pk: int):
        return Response(DocumentSerializer(selectors.documents_of_demand(demand=self.demand), many=True).data)

    @extend_schema(request={"multipart/form-data": DocumentInput}, responses={201: DocumentSerializer})
    def post(self, request, pk: int):
        data = _valid(DocumentInput(data=request.data))
        document = services.document_upload(
            user=request.user, demand=self.demand, kind=data["kind"], title=data["title"], file=data["file"]
        )
        return _answer(document, request, code=status.HTTP_201_CREATED)


class DocumentAPIView(StationAPIView):
    """An endpoint about one document (`<pk>`): `self.document`, reached through its case or demand for the caller."""

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        self.document = selectors.document_access(pk=kwargs["pk"], user=request.user)


class DocumentVersionView(DocumentAPIView):
    """Upload a new version of the document (multipart `file`, optional `title`): the earlier version is kept, marked
    replaced. Only the current version takes a new one."""

    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(request={"multipart/form-data": DocumentVersionInput}, responses={201: DocumentSerializer})
    def post(self, request, pk: int):
        data = _valid(DocumentVersionInput(data=request.data))
        new = services.document_replace(
            user=request.user, document=self.document, file=data["file"], title=data.get("title") or None
        )
        return _answer(new, request, code=status.HTTP_201_CREATED)


class DocumentReleaseView(DocumentAPIView):
    """Release the document to the enterprise (发放报告): when and by whom are kept, the case's timeline says it, and
    the enterprise's tracking page shows it. A replaced version or a second release is refused (400 on `document`)."""

    @extend_schema(request=None, responses=DocumentSerializer)
    def post(self, request, pk: int):
        released = services.document_release(user=request.user, document=self.document)
        return _answer(released, request)


class DocumentDownloadView(DocumentAPIView):
    """The document's file, as an attachment named as it was uploaded."""

    @extend_schema(
        responses={(200, kind.content_type): bytes for kind in KINDS.values()}
        | {(200, "application/octet-stream"): bytes}
    )
    def get(self, request, pk: int):
        return document_response(self.document)

"""The written systems (clause 4.5 a-h): the head publishes versions (text and/or a PDF or Word file); versions are
never changed; the current one is the newest in effect."""

import datetime
import logging

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from core.operations.models import SystemCode, SystemDocument, SystemDocumentVersion
from core.operations.services._common import _original_name, _require_head, _save_or_forget, _store
from core.uploads.checks import FileKind, upload_check
from tenants.models import User

logger = logging.getLogger(__name__)

SYSTEM_FILE_KINDS = ("pdf", "docx")


def _system_file_check(file) -> FileKind:
    return upload_check(
        file=file, allowed=SYSTEM_FILE_KINDS, max_bytes=settings.OPERATIONS_DOCUMENT_MAX_BYTES, field="file"
    )


@transaction.atomic
def system_version_publish(
    *, user: User, code: str, effective_on: datetime.date, text: str = "", file=None
) -> SystemDocumentVersion:
    """The head publishes a new version of a written system (clause 4.5 a-h): its text and/or a PDF or Word (DOCX)
    file, checked by content, in effect from `effective_on`. Numbered after the last version; earlier versions stay."""
    _require_head(user)
    if code not in SystemCode.values:
        raise ValidationError({"code": [_("Not one of the written systems of the standard.")]}, code="unknown")
    text = text.strip()
    if not text and file is None:
        raise ValidationError({"text": [_("Give the text of the system, or its file.")]}, code="empty")
    found = _system_file_check(file) if file is not None else None
    SystemDocument.objects.get_or_create(code=code)
    document = SystemDocument.objects.select_for_update().get(code=code)
    last = document.versions.aggregate(last=Max("number"))["last"] or 0
    version = SystemDocumentVersion(
        document=document,
        number=last + 1,
        effective_on=effective_on,
        text=text,
        approved_by=user,
        published_at=timezone.now(),
    )
    stored = None
    if found is not None:
        version.file_name = _original_name(file, found)
        version.file_kind = found.name
        _store(version, "file", file, found)
        stored = version.file.name
    _save_or_forget(version, stored)
    logger.info("station %s: system %s version %s published", connection.schema_name, code, version.number)
    return version

"""Helpers the operations services share: who may (the head), the stored upload and its name, what a correction
changed and its line in the station's activity log, the reason and the date a withdrawal or retirement needs, and the
save that forgets a stored file when the row is refused."""

import datetime
import uuid
from collections.abc import Sequence
from pathlib import PurePath

from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.utils import timezone
from django.utils.translation import gettext as _

from core.activity.services import activity_record
from core.uploads.checks import FileKind
from tenants.models import User
from tenants.selectors import require_head


def _require_head(user: User) -> None:
    require_head(user=user, message=_("Only the station head keeps the station's operations."))


def _store(instance, field: str, file, kind: FileKind) -> None:
    getattr(instance, field).save(f"{uuid.uuid4().hex}{kind.extension}", file, save=False)


def _original_name(file, kind: FileKind) -> str:
    return PurePath(file.name or "").name[:255] or kind.name


def _changed(instance, before: dict) -> list[str]:
    """The names (verbose, in the active language) of the fields of `instance` that differ from `before`."""
    return [
        str(instance._meta.get_field(field).verbose_name)
        for field, value in before.items()
        if getattr(instance, field) != value
    ]


def _log(verb: str, user: User, subject: str, details: Sequence[str] = ()) -> None:
    """One line of the station's activity log: what was changed and, after a colon, how."""
    detail = subject if not details else f"{subject}: {'; '.join(details)}"
    activity_record(verb=verb, actor=user, detail=detail[:300])


def _reason(reason: str, field: str = "reason") -> str:
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({field: [_("Give the reason.")]}, code="required")
    return reason


def _not_future(day: datetime.date, field: str) -> None:
    if day > timezone.localdate():
        raise ValidationError({field: [_("The date cannot be in the future.")]}, code="future")


def _save_or_forget(instance, stored: str | None) -> None:
    """full_clean and save; a stored file is removed again if the row is refused."""
    try:
        instance.full_clean()
        instance.save()
    except Exception:
        if stored:
            default_storage.delete(stored)
        raise

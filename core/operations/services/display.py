"""The public display (clause 4.2.2): the service process in words (and other notices), shown next to the
station's facts and phones."""

from django.db import transaction

from core.operations.models import DisplayNotice
from core.operations.services._common import _require_head
from tenants.models import User


@transaction.atomic
def display_notice_save(*, user: User, process: str, notes: str = "") -> DisplayNotice:
    """The head writes the service process (and other notices) the station displays next to its facts and phones."""
    _require_head(user)
    notice = DisplayNotice.objects.select_for_update().first() or DisplayNotice()
    notice.process = process.strip()
    notice.notes = notes.strip()
    notice.updated_by = user
    notice.full_clean()
    notice.save()
    return notice

from django.db import transaction

from core.activity.models import ActivityEntry


@transaction.atomic
def activity_record(*, verb: str, actor=None, detail: str = "") -> ActivityEntry:
    """Record an entry in the activity log of the station whose schema is active."""
    entry = ActivityEntry(
        verb=verb,
        actor_id=getattr(actor, "pk", None),
        actor_name=str(actor) if actor is not None else "",
        detail=detail,
    )
    entry.full_clean()
    entry.save()
    return entry

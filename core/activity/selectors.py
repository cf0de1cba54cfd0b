from django.db.models import QuerySet

from core.activity.models import ActivityEntry


def activity_list() -> QuerySet[ActivityEntry]:
    """The active station's activity, newest first."""
    return ActivityEntry.objects.order_by("-created_at", "-id")

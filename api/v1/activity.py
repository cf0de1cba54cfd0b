"""API of the station's activity log."""

from rest_framework import serializers

from api.base import StationAPIView
from api.pagination import paginate, paginated_schema
from api.serializers import ModelSerializer
from core.activity.models import ActivityEntry
from core.activity.selectors import activity_list


class ActivityEntrySerializer(ModelSerializer):
    verb_display = serializers.CharField(source="get_verb_display")

    class Meta:
        model = ActivityEntry
        fields = ["id", "created_at", "actor_name", "verb", "verb_display", "detail"]


class ActivityListView(StationAPIView):
    """What happened in this station, newest first."""

    @paginated_schema(ActivityEntrySerializer)
    def get(self, request):
        return paginate(self, request, activity_list(), ActivityEntrySerializer)

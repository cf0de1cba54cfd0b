"""API of the station's activity log."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers

from api.base import StationAPIView
from api.pagination import paginate
from core.activity.models import ActivityEntry
from core.activity.selectors import activity_list


class ActivityEntrySerializer(serializers.ModelSerializer):
    verb_display = serializers.CharField(source="get_verb_display")

    class Meta:
        model = ActivityEntry
        fields = ["id", "created_at", "actor_name", "verb", "verb_display", "detail"]


class ActivityListView(StationAPIView):
    """What happened in this station, newest first."""

    @extend_schema(responses=ActivityEntrySerializer(many=True))
    def get(self, request):
        return paginate(self, request, activity_list(), ActivityEntrySerializer)

"""One's own notifications (`/api/v1/notifications/`) on both kinds of host: the list, read marks, and which kinds
also come by e-mail or SMS. Another user's notification is missing (404)."""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.parsers import JSONParser
from rest_framework.response import Response

from api.base import UserAPIView
from api.pagination import paginate, paginated_schema
from api.serializers import ModelSerializer, Serializer
from core.notifications import selectors, services
from core.notifications.kinds import KIND_CHOICES
from core.notifications.models import Notification


class NotificationSerializer(ModelSerializer):
    kind_display = serializers.CharField(source="kind_label", read_only=True)
    station = serializers.CharField(source="station.code", read_only=True, allow_null=True, default=None)
    read = serializers.SerializerMethodField()

    class Meta:
        model = Notification
        fields = ["id", "kind", "kind_display", "title", "body", "url", "station", "created_at", "read_at", "read"]
        read_only_fields = fields

    def get_read(self, notification: Notification) -> bool:
        return notification.read_at is not None


class ReadAllSerializer(Serializer):
    read = serializers.IntegerField(help_text=gettext_lazy("How many notifications were marked read."))
    unread = serializers.IntegerField(help_text=gettext_lazy("How many are unread now."))


class PreferenceSerializer(Serializer):
    kind = serializers.ChoiceField(choices=KIND_CHOICES)
    label = serializers.CharField(read_only=True)
    email = serializers.BooleanField(help_text=gettext_lazy("Also by e-mail (to the profile's address)."))
    sms = serializers.BooleanField(help_text=gettext_lazy("Also by SMS (needs a mobile number in the profile)."))


UNREAD_PARAMETER = OpenApiParameter(
    "unread", OpenApiTypes.BOOL, description=gettext_lazy("true: only the unread notifications.")
)


class NotificationListView(UserAPIView):
    """The caller's notifications, newest first."""

    @paginated_schema(NotificationSerializer, parameters=[UNREAD_PARAMETER])
    def get(self, request):
        unread = request.query_params.get("unread", "").lower() in {"1", "true", "yes"}
        notifications = selectors.notification_list(user=request.user, unread=unread)
        return paginate(self, request, notifications, NotificationSerializer)


class NotificationReadView(UserAPIView):
    """Mark one of the caller's notifications read."""

    @extend_schema(request=None, responses=NotificationSerializer)
    def post(self, request, pk):
        notification = selectors.notification_access(pk=pk, user=request.user)
        notification = services.notification_read(user=request.user, notification=notification)
        return Response(NotificationSerializer(notification).data)


class NotificationReadAllView(UserAPIView):
    """Mark every notification of the caller read."""

    @extend_schema(request=None, responses=ReadAllSerializer)
    def post(self, request):
        count = services.notifications_read_all(user=request.user)
        request.user.refresh_from_db(fields=["notifications_unread"])
        return Response(ReadAllSerializer({"read": count, "unread": request.user.notifications_unread}).data)


class NotificationPreferencesView(UserAPIView):
    """Per kind of notification, whether it also comes by e-mail and by SMS (in the app, always). PUT a list of
    kinds with their choices (kinds left out stay as they are); a refusal names `<kind>.sms`. The body is JSON (a
    list)."""

    parser_classes = [JSONParser]

    @extend_schema(responses=PreferenceSerializer(many=True))
    def get(self, request):
        rows = selectors.notification_preferences(user=request.user)
        return Response(PreferenceSerializer(rows, many=True).data)

    @extend_schema(request=PreferenceSerializer(many=True), responses=PreferenceSerializer(many=True))
    def put(self, request):
        sent = PreferenceSerializer(data=request.data, many=True)
        sent.is_valid(raise_exception=True)
        choices = {row["kind"]: (row["email"], row["sms"]) for row in sent.validated_data}
        if not choices:
            raise ValidationError({"kind": [gettext_lazy("Send at least one kind with its choices.")]})
        services.notification_preferences_save(user=request.user, choices=choices)
        return self.get(request)

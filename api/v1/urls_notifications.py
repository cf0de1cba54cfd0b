"""API of one's own notifications, on both kinds of host."""

from django.urls import path

from api.v1 import notifications

urlpatterns = [
    path("notifications/", notifications.NotificationListView.as_view(), name="api-notifications"),
    path("notifications/<int:pk>/read/", notifications.NotificationReadView.as_view(), name="api-notification-read"),
    path("notifications/read-all/", notifications.NotificationReadAllView.as_view(), name="api-notifications-read-all"),
    path(
        "notifications/preferences/",
        notifications.NotificationPreferencesView.as_view(),
        name="api-notification-preferences",
    ),
]

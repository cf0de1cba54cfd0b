"""Pages of one's own notifications, on both kinds of host."""

from django.urls import path

from core.notifications import views

app_name = "notifications"
urlpatterns = [
    path("", views.NotificationListPage.as_view(), name="list"),
    path("<int:pk>/read/", views.NotificationReadAction.as_view(), name="read"),
    path("read-all/", views.NotificationReadAllAction.as_view(), name="read_all"),
    path("preferences/", views.PreferencesPage.as_view(), name="preferences"),
]

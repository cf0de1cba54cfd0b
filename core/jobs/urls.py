from django.urls import path

from core.jobs import views

app_name = "jobs"

urlpatterns = [path("<int:pk>/", views.JobPage.as_view(), name="detail")]

"""Operations pages of a station host, under /operations/."""

from django.urls import path

from core.operations import views

app_name = "operations"

urlpatterns = [
    path("", views.StaffRegisterPage.as_view(), name="staff"),
    path("qualifications/<int:pk>/edit/", views.QualificationEditPage.as_view(), name="qualification_edit"),
    path("trainings/<int:pk>/edit/", views.TrainingEditPage.as_view(), name="training_edit"),
    path("trainings/<int:pk>/certificate/", views.TrainingCertificateView.as_view(), name="certificate"),
    path("equipment/", views.EquipmentPage.as_view(), name="equipment"),
    path("equipment/<int:pk>/", views.EquipmentDetailPage.as_view(), name="equipment_detail"),
    path("equipment/<int:pk>/edit/", views.EquipmentEditPage.as_view(), name="equipment_edit"),
    path("systems/", views.SystemListPage.as_view(), name="systems"),
    path("systems/<str:code>/", views.SystemPage.as_view(), name="system"),
    path("systems/versions/<int:pk>/file/", views.SystemVersionFileView.as_view(), name="version_file"),
    path("display/", views.DisplayPage.as_view(), name="display"),
]

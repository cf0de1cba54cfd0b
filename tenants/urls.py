from django.urls import path

from tenants import views

app_name = "accounts"

urlpatterns = [
    path("login/", views.SignInView.as_view(), name="login"),
    path("logout/", views.SignOutView.as_view(), name="logout"),
    path("invite/done/", views.InvitationDoneView.as_view(), name="invitation_done"),
    path("invite/<uidb64>/<token>/", views.InvitationAcceptView.as_view(), name="invitation"),
]

"""Everything under /accounts/ on both kinds of host: signing in and out, invitations (tenants.views), and one's own
account (core.accounts.views)."""

from django.urls import path

from core.accounts import views
from tenants import views as sign_in

app_name = "accounts"

urlpatterns = [
    path("login/", sign_in.SignInView.as_view(), name="login"),
    path("logout/", sign_in.SignOutView.as_view(), name="logout"),
    path("invite/done/", sign_in.InvitationDoneView.as_view(), name="invitation_done"),
    path("invite/<uidb64>/<token>/", sign_in.InvitationAcceptView.as_view(), name="invitation"),
    path("profile/", views.ProfilePage.as_view(), name="profile"),
    path("password/", views.PasswordChangeView.as_view(), name="password_change"),
    path("password/reset/", views.PasswordResetRequestView.as_view(), name="password_reset"),
    path("password/reset/sent/", views.PasswordResetDoneView.as_view(), name="password_reset_done"),
    path("password/reset/done/", views.PasswordResetCompleteView.as_view(), name="password_reset_complete"),
    path("password/reset/<uidb64>/<token>/", views.PasswordResetConfirmView.as_view(), name="password_reset_confirm"),
    path("sessions/", views.SessionListPage.as_view(), name="sessions"),
]

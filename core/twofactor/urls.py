"""Two-factor sign-in under /accounts/2fa/ on both kinds of host."""

from django.urls import path

from core.twofactor import views

app_name = "twofactor"

urlpatterns = [
    path("", views.TwoFactorManagePage.as_view(), name="manage"),
    path("setup/", views.TwoFactorSetupPage.as_view(), name="setup"),
    path("verify/", views.TwoFactorVerifyPage.as_view(), name="verify"),
    path("recovery-codes/", views.RecoveryCodesMakeAction.as_view(), name="recovery_codes"),
    path("disable/", views.TwoFactorDisableAction.as_view(), name="disable"),
]

"""The security administrator's two-factor page in the bureau console (included by `console.urls`, whose namespace
it takes: `console:twofactor_reset`)."""

from django.urls import path

from core.twofactor import views

urlpatterns = [
    path("2fa/reset/<int:user_id>/", views.TwoFactorResetPage.as_view(), name="twofactor_reset"),
]

"""`/accounts/tokens/` on both kinds of host: the signed-in person's own API tokens."""

from django.urls import path

from core.tokens import views

app_name = "tokens"

urlpatterns = [
    path("", views.MyTokensPage.as_view(), name="mine"),
    path("<int:pk>/revoke/", views.MyTokenRevokeAction.as_view(), name="revoke"),
]

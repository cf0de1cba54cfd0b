"""`/console/tokens/`: every person's API tokens, for the security administrator (included by the console's URLs)."""

from django.urls import path

from core.tokens import views

urlpatterns = [
    path("", views.TokenConsolePage.as_view(), name="tokens"),
]

"""The OpenAPI 3 schema and interactive docs, served on both kinds of host, each describing its own endpoints."""

from django.urls import path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView


def schema_urls(urlconf: str):
    return [
        path("schema/", SpectacularAPIView.as_view(urlconf=urlconf), name="schema"),
        path("docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="docs"),
    ]

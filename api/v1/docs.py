"""The OpenAPI 3 schema and interactive docs, served on both kinds of host, each describing its own endpoints.

drf-spectacular documents what a view answers when it succeeds; `error_responses` (a post-processing hook, see
SPECTACULAR_SETTINGS) adds the refusals every endpoint of this API may answer, with their JSON bodies:
- 401 and 403 on every endpoint that needs a signed-in caller (not a member, not the role, not allowed to write);
- 404 on every endpoint with a path parameter (no such row, or one the caller may not see; a view that answers 404
  without one says so itself with `NOT_FOUND`);
- 400 (the messages by field) on every endpoint that writes (the services' rules) or takes query parameters;
- 413 on every endpoint that takes a body (larger than the configured limit, files besides).
"""

from django.urls import path
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import OpenApiResponse
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework import serializers

from api.serializers import Serializer

ERROR = "Error"
FIELD_ERRORS = "FieldErrors"


class ErrorSerializer(Serializer):
    # The `Error` component: `error_responses` writes its schema (the same, with its description translated).
    detail = serializers.CharField()


NOT_FOUND = OpenApiResponse(ErrorSerializer, description=gettext_lazy("Not found, or not yours to see."))


def schema_urls(urlconf: str):
    return [
        path("schema/", SpectacularAPIView.as_view(urlconf=urlconf), name="schema"),
        # Swagger UI's start-up script as a file of its own (`docs/?script`): no inline script (settings' CSP).
        path("docs/", SpectacularSwaggerSplitView.as_view(url_name="schema"), name="docs"),
    ]


def _ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def _response(description: str, schema: str) -> dict:
    return {"description": description, "content": {"application/json": {"schema": _ref(schema)}}}


def _components() -> dict:
    return {
        ERROR: {
            "type": "object",
            "description": _("A refusal: its reason, in the caller's language."),
            "properties": {"detail": {"type": "string"}},
            "required": ["detail"],
        },
        FIELD_ERRORS: {
            "type": "object",
            "description": _(
                "The input refused: the messages of each field (a table's row as `table.row.field`), `detail` or "
                "`non_field_errors` for the request as a whole."
            ),
            "additionalProperties": {
                "oneOf": [
                    {"type": "string"},
                    {"type": "array", "items": {}},
                    {"type": "object", "additionalProperties": {}},
                ]
            },
        },
    }


def _is_anonymous(operation: dict) -> bool:
    security = operation.get("security")
    return not security or {} in security


def error_responses(result: dict, generator, request, public: bool) -> dict:
    """drf-spectacular post-processing hook: the refusals of every operation (see the module's docstring)."""
    used = set()
    for item in result.get("paths", {}).values():
        for method, operation in item.items():
            if method not in {"get", "put", "patch", "post", "delete"}:
                continue
            responses = operation.setdefault("responses", {})
            parameters = operation.get("parameters", [])
            body = "requestBody" in operation
            errors = {}
            if method != "get" or any(p["in"] == "query" for p in parameters):
                errors["400"] = _response(_("Invalid input: the messages by field."), FIELD_ERRORS)
            if not _is_anonymous(operation):
                errors["401"] = _response(_("Not signed in (no session, no valid token)."), ERROR)
                errors["403"] = _response(_("Not allowed: not a member here, or not the role for this."), ERROR)
            if any(p["in"] == "path" for p in parameters):
                errors["404"] = _response(_("Not found, or not yours to see."), ERROR)
            if body:
                errors["413"] = _response(_("The request is too large."), ERROR)
            for status, response in errors.items():
                responses.setdefault(status, response)
            used |= {FIELD_ERRORS if status == "400" else ERROR for status in errors}
    schemas = result.setdefault("components", {}).setdefault("schemas", {})
    for name, schema in _components().items():
        if name in used or name in schemas:
            schemas[name] = schema
    return result

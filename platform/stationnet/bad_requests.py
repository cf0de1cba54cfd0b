"""Bad requests, answered in the request's language: JSON on the API (`/api/`), a page everywhere else (issue 16).

- `NullCharacterMiddleware` refuses, before any view runs, a request holding NUL (U+0000) in its path, a query
  parameter, a cookie or a header: PostgreSQL cannot hold the character, so a search for it could only fail, and no
  identifier, filter or token of ours contains one. A query parameter's refusal names the parameter, like a field.
- `bad_request` is both URL confs' `handler400`: Django calls it for every request it refuses itself, above all a
  body larger than `DATA_UPLOAD_MAX_MEMORY_SIZE` (files are counted apart), answered 413 instead of Django's English
  "Bad Request (400)", and too many fields.
"""

from django.conf import settings
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _

NUL = "\x00"


def _is_api(request: HttpRequest) -> bool:
    return request.path_info.startswith("/api/")


def refusal(request: HttpRequest, errors: dict[str, list[str]], status: int = 400) -> HttpResponse:
    """`errors` keyed by field (or `detail`) as JSON on the API, else the bad request page listing the messages."""
    if _is_api(request):
        return JsonResponse(
            {key: messages[0] if key == "detail" else messages for key, messages in errors.items()},
            status=status,
            json_dumps_params={"ensure_ascii": False},
        )
    messages = [message for key_messages in errors.values() for message in key_messages]
    return render(request, "400.html", {"problems": messages, "status": status}, status=status)


def _null_character_errors(request: HttpRequest) -> dict[str, list[str]]:
    message = _("Null characters are not allowed.")
    errors: dict[str, list[str]] = {}
    for name, values in request.GET.lists():
        if NUL in name:
            errors["detail"] = [message]
        elif any(NUL in value for value in values):
            errors[name] = [message]
    if errors:
        return errors
    if NUL in request.path_info:
        return {"detail": [_("The address holds a null character (U+0000), which is not allowed.")]}
    headers = (value for key, value in request.META.items() if key.startswith("HTTP_") and isinstance(value, str))
    if any(NUL in value for value in headers):
        return {
            "detail": [_("A header or cookie of the request holds a null character (U+0000), which is not allowed.")]
        }
    return {}


class NullCharacterMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        errors = _null_character_errors(request)
        if errors:
            return refusal(request, errors)
        return self.get_response(request)


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if isinstance(exception, RequestDataTooBig):
        message = _("The request is too large: at most %(size)s may be sent at once, besides files.") % {
            "size": filesizeformat(settings.DATA_UPLOAD_MAX_MEMORY_SIZE)
        }
        return refusal(request, {"detail": [message]}, status=413)
    if isinstance(exception, TooManyFieldsSent | TooManyFilesSent):
        return refusal(request, {"detail": [_("The request holds too many fields or files.")]})
    return refusal(request, {"detail": [_("The request could not be understood.")]})

"""Services refuse with Django's exceptions; the API answers them as DRF's (400 per field, 403 for who may not, 404
for what is missing or not yours): one place, `exception_handler` (DRF's `EXCEPTION_HANDLER`), so that views call
services directly. It also answers
400 for a value the database refuses (a number out of its range, a character it cannot hold) that got past the
input rules (`api.serializers`): a client's bad input is never a server error. A body too large is answered 413 by
`stationnet.bad_requests` (Django's `handler400`).
"""

import logging

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import DataError
from django.utils.translation import gettext as _
from rest_framework.exceptions import PermissionDenied, Throttled, ValidationError
from rest_framework.views import exception_handler as drf_exception_handler

from api.throttling import throttled

logger = logging.getLogger(__name__)


def validation_error(error: DjangoValidationError) -> ValidationError:
    return ValidationError(error.message_dict if hasattr(error, "error_dict") else {"detail": error.messages})


def exception_handler(exc, context):
    if isinstance(exc, DjangoValidationError):
        exc = validation_error(exc)
    elif isinstance(exc, DjangoPermissionDenied):
        # DRF's own handler answers it with its generic message: the service's says who may.
        exc = PermissionDenied(str(exc) or None)
    elif isinstance(exc, DataError):
        # The input rules should have refused it: logged, so that the rule missing is found.
        logger.warning("the database refused a value of %s", context["request"].path, exc_info=exc)
        exc = ValidationError({"detail": [_("A value sent cannot be stored: it is out of range or not valid.")]})
    elif isinstance(exc, Throttled):
        # 429 with the seconds to wait in the user's language (DRF's message is its own wording).
        exc = throttled(exc.wait)
    return drf_exception_handler(exc, context)

"""Services refuse with Django's exceptions; the API answers them as DRF's (400 per field, 403 for who may not).

`exception_handler` (DRF's `EXCEPTION_HANDLER`) does the same for a refusal raised outside `service_call`, and answers
400 for a value the database refuses (a number out of its range, a character it cannot hold) that got past the
input rules (`api.serializers`): a client's bad input is never a server error. A body too large is answered 413 by
`stationnet.bad_requests` (Django's `handler400`).
"""

import logging

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import DataError
from django.utils.translation import gettext as _
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.views import exception_handler as drf_exception_handler

logger = logging.getLogger(__name__)


def validation_error(error: DjangoValidationError) -> ValidationError:
    return ValidationError(error.message_dict if hasattr(error, "error_dict") else {"detail": error.messages})


def service_call(service, **kwargs):
    """Run a service, answering its refusals as DRF errors."""
    try:
        return service(**kwargs)
    except DjangoValidationError as error:
        raise validation_error(error) from None
    except DjangoPermissionDenied as error:
        raise PermissionDenied(str(error)) from None


def exception_handler(exc, context):
    if isinstance(exc, DjangoValidationError):
        exc = validation_error(exc)
    elif isinstance(exc, DataError):
        # The input rules should have refused it: logged, so that the rule missing is found.
        logger.warning("the database refused a value of %s", context["request"].path, exc_info=exc)
        exc = ValidationError({"detail": [_("A value sent cannot be stored: it is out of range or not valid.")]})
    return drf_exception_handler(exc, context)

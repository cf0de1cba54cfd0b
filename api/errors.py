"""Services refuse with Django's exceptions; the API answers them as DRF's (400 per field, 403 for who may not)."""

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework.exceptions import PermissionDenied, ValidationError


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

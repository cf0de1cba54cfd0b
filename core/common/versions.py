"""Optimistic concurrency: a change made to a row as it was before someone else's change is refused, never a silent
overwrite. A versioned model has a `version` integer its services raise on every change; a client sends the version
it read (`expected_version`; None: no check). A model may say in its own words what was changed (`STALE_MESSAGE`)."""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _


def version_check(document, expected_version: int | None) -> None:
    """Refuse (a `version` field error) a change to `document` made as it was before its current `version`."""
    if expected_version is None or expected_version == document.version:
        return
    message = getattr(document, "STALE_MESSAGE", None) or _(
        "Someone else changed this meanwhile. Reload the page to see their change."
    )
    raise ValidationError({"version": [str(message)]}, code="stale")

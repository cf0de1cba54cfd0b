"""Records of the operations registers for tests, written through the services as the head writes them."""

from decimal import Decimal

from django.utils import timezone

from core.operations import services
from core.operations.models import TrainingKind


def training_add(city, attendees, *, kind=TrainingKind.PRE_DUTY, held_on=None, **extra):
    """A training of alpha (pre-duty, held today, unless said otherwise) with `attendees`."""
    return services.training_create(
        user=city.alpha_head,
        title="上岗前培训",
        held_on=held_on or timezone.localdate(),
        hours=Decimal("4"),
        kind=kind,
        attendees=attendees,
        **extra,
    )

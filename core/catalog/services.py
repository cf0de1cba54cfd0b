"""Writes of the service catalog. The catalog itself is loaded by migration 0002; at run time items are only
retired and restored (clause 5.1 items are never deleted once services refer to them), by the bureau's
administrators."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from core.catalog.models import ServiceItem
from tenants.models import User
from tenants.selectors import PLATFORM, SystemActor, require_bureau_admin


def _require_catalog_keeper(user: User | SystemActor) -> None:
    """The bureau's administrators, or the platform (an operator: the catalog has no page of its own)."""
    message = gettext("Only the bureau's administrators change the service catalog.")
    require_bureau_admin(user=user, system=(PLATFORM,), message=message)


@transaction.atomic
def service_item_retire(*, item: ServiceItem, user: User | SystemActor) -> ServiceItem:
    """Take an item out of the catalog offered for new services; what already refers to it keeps referring."""
    _require_catalog_keeper(user)
    item = ServiceItem.objects.select_for_update().get(pk=item.pk)
    if item.retired_at is not None:
        raise ValidationError(_("This service item is already retired."), code="already_retired")
    item.retired_at = timezone.now()
    item.full_clean()
    item.save(update_fields=["retired_at"])
    return item


@transaction.atomic
def service_item_restore(*, item: ServiceItem, user: User | SystemActor) -> ServiceItem:
    """Offer a retired item again."""
    _require_catalog_keeper(user)
    item = ServiceItem.objects.select_for_update().get(pk=item.pk)
    if item.retired_at is None:
        raise ValidationError(_("This service item is not retired."), code="not_retired")
    item.retired_at = None
    item.full_clean()
    item.save(update_fields=["retired_at"])
    return item

"""Reads of the service catalog."""

from collections.abc import Iterable

from django.db.models import Prefetch, QuerySet

from core.catalog.models import FormBox, ServiceCategory, ServiceItem


def service_category_list(*, include_retired: bool = False) -> QuerySet[ServiceCategory]:
    """The categories in clause order, each with its items (`category.items.all()`) prefetched in clause order;
    retired items are left out unless asked for."""
    items = ServiceItem.objects.order_by("position", "id")
    if not include_retired:
        items = items.active()
    return ServiceCategory.objects.order_by("position", "id").prefetch_related(Prefetch("items", queryset=items))


def service_item_list(
    *, include_retired: bool = False, category: ServiceCategory | None = None
) -> QuerySet[ServiceItem]:
    items = ServiceItem.objects.select_related("category").order_by("category__position", "position", "id")
    if not include_retired:
        items = items.active()
    if category is not None:
        items = items.filter(category=category)
    return items


def service_item_get(*, clause: str) -> ServiceItem | None:
    return ServiceItem.objects.select_related("category").filter(clause=clause).first()


def form_box_list(*, form: str) -> QuerySet[FormBox]:
    """The boxes of one form ("A" or "B") in printed order, with their items (active or not) prefetched."""
    return (
        FormBox.objects.filter(form=form)
        .order_by("position", "id")
        .prefetch_related(Prefetch("items", queryset=ServiceItem.objects.order_by("category__position", "position")))
    )


def service_items_for_boxes(
    *, form: str, labels: Iterable[str], section: str | None = None, include_retired: bool = False
) -> QuerySet[ServiceItem]:
    """The catalog items that the ticked boxes of a form stand for, each once, in catalog order.

    A label such as 其他 occurs in several sections of Appendix A; pass `section` to mean one of them. Boxes that map
    to no item (the 其他 boxes of Appendix A) contribute nothing."""
    boxes = FormBox.objects.filter(form=form, label__in=list(labels))
    if section is not None:
        boxes = boxes.filter(section=section)
    mapped = ServiceItem.objects.filter(form_boxes__in=boxes).values("pk")
    return service_item_list(include_retired=include_retired).filter(pk__in=mapped)

"""Form fields that offer the service catalog: an item by its name, never its clause number ("5.1.1.1") or a form's
code ("A: …"), grouped under its category's name (an <optgroup> in a select), always in clause order (category, then
item), whatever order the queryset given was in."""

import itertools
from collections.abc import Callable, Iterable

from django import forms

from core.catalog.models import ServiceCategory, ServiceItem
from core.catalog.selectors import service_item_list

CLAUSE_ORDER = ("category__position", "position", "id")


def service_item_choices(
    items: Iterable[ServiceItem], *, value: Callable[[ServiceItem], object] = lambda item: item.clause
) -> list[tuple[str, list[tuple[object, str]]]]:
    """Choices for a plain ChoiceField: (category name, [(value, item name), …]) per category, in the order given
    (pass `service_item_list()`, which is in clause order)."""
    return [
        (category.name, [(value(item), item.name) for item in group])
        for category, group in itertools.groupby(items, key=lambda item: item.category)
    ]


class GroupedItemIterator(forms.models.ModelChoiceIterator):
    """The items of the field's queryset in clause order, one group per category, after the empty choice."""

    def __iter__(self):
        if self.field.empty_label is not None:
            yield ("", self.field.empty_label)
        items = self.queryset.select_related("category").order_by(*CLAUSE_ORDER)
        for category, group in itertools.groupby(items, key=lambda item: item.category):
            yield (category.name, [self.choice(item) for item in group])


class ServiceItemChoiceField(forms.ModelChoiceField):
    """One catalog item; the current (not retired) items unless a queryset is given."""

    iterator = GroupedItemIterator

    def __init__(self, queryset=None, **kwargs):
        super().__init__(service_item_list() if queryset is None else queryset, **kwargs)

    def label_from_instance(self, obj: ServiceItem) -> str:
        return obj.name


class ServiceItemMultipleChoiceField(forms.ModelMultipleChoiceField):
    """Catalog items; the current (not retired) items unless a queryset is given."""

    iterator = GroupedItemIterator

    def __init__(self, queryset=None, **kwargs):
        super().__init__(service_item_list() if queryset is None else queryset, **kwargs)

    def label_from_instance(self, obj: ServiceItem) -> str:
        return obj.name


class ServiceCategoryChoiceField(forms.ModelChoiceField):
    """One category of the catalog, by its name, in clause order."""

    def __init__(self, queryset=None, **kwargs):
        queryset = ServiceCategory.objects.all() if queryset is None else queryset
        super().__init__(queryset.order_by("position", "id"), **kwargs)

    def label_from_instance(self, obj: ServiceCategory) -> str:
        return obj.name

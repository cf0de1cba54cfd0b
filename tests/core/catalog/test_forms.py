"""The catalog as the product's forms offer it (issue 15): an item by its name, grouped under its category's name,
in clause order (category, then item), never with a clause number or a form code as its label."""

import re

import pytest
from django.core.exceptions import ValidationError

from console.statistics import StatisticsForm
from core.catalog.forms import ServiceItemChoiceField, ServiceItemMultipleChoiceField, service_item_choices
from core.catalog.models import ServiceCategory, ServiceItem
from core.catalog.selectors import service_item_list
from core.directory.forms import InstitutionForm, InstitutionSearchForm
from core.referrals.forms import StationFilterForm
from tests.core.catalog.selects import catalog_groups, read_select

pytestmark = pytest.mark.django_db


def test_the_item_fields_group_by_category_in_clause_order_whatever_the_queryset_order():
    # `position` alone interleaves the categories (every category has an item 1): the field still reads clause order.
    field = ServiceItemMultipleChoiceField(queryset=ServiceItem.objects.active().order_by("position"))
    select = read_select(field.widget.render("items", None))
    assert select.groups == catalog_groups()
    assert [name for name, _options in select.groups] == [
        c.name for c in ServiceCategory.objects.order_by("position") if c.items.filter(retired_at__isnull=True)
    ]
    single = ServiceItemChoiceField(required=False, empty_label="—")
    select = read_select(single.widget.render("item", None))
    assert select.loose == [("", "—")] and select.groups == catalog_groups()


def test_the_item_fields_take_and_check_items_as_before():
    item = ServiceItem.objects.get(clause="5.1.6.2")
    assert ServiceItemChoiceField().clean(str(item.pk)) == item
    assert list(ServiceItemMultipleChoiceField().clean([str(item.pk)])) == [item]
    with pytest.raises(ValidationError):
        ServiceItemChoiceField().clean("999999")


def test_the_plain_choices_are_grouped_by_clause():
    assert service_item_choices(service_item_list()) == catalog_groups(value=lambda item: item.clause)


@pytest.mark.parametrize(
    ("form", "name", "value"),
    [
        (StationFilterForm, "item", lambda item: str(item.pk)),  # the referral page's station filter
        (InstitutionForm, "items", lambda item: str(item.pk)),  # an institution's entry in the directory
        (InstitutionSearchForm, "item", lambda item: item.clause),  # the institution search
    ],
)
def test_every_item_select_reads_by_name_in_clause_order(form, name, value):
    html = str(form()[name])
    assert read_select(html).groups == catalog_groups(value)
    assert not re.search(r">\s*5\.1\.", html) and "A:" not in html


def test_the_statistics_category_filter_reads_by_name_in_clause_order():
    select = read_select(str(StatisticsForm()["category"]))
    assert [label for _value, label in select.loose[1:]] == list(
        ServiceCategory.objects.order_by("position").values_list("name", flat=True)
    )

"""Reading the catalog's selects back from a page: what each form offers, as people see it."""

import re
from html.parser import HTMLParser

from core.catalog.models import ServiceItem


class SelectReader(HTMLParser):
    """A rendered <select>: its options outside any group (value, label), and its groups in order, each with its
    options."""

    def __init__(self):
        super().__init__()
        self.loose: list[tuple[str, str]] = []
        self.groups: list[tuple[str, list[tuple[str, str]]]] = []
        self._group: list | None = None
        self._option: list | None = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "optgroup":
            self._group = []
            self.groups.append((attrs["label"], self._group))
        elif tag == "option":
            self._option = [attrs["value"], ""]

    def handle_endtag(self, tag):
        if tag == "option" and self._option is not None:
            (self.loose if self._group is None else self._group).append(tuple(self._option))
            self._option = None
        elif tag == "optgroup":
            self._group = None

    def handle_data(self, data):
        if self._option is not None:
            self._option[1] += data


def read_select(html: str) -> SelectReader:
    reader = SelectReader()
    reader.feed(html)
    return reader


def catalog_groups(value=lambda item: str(item.pk)):
    """The current catalog in clause order, as (category name, [(value, item name)])."""
    groups: dict[str, list] = {}
    items = ServiceItem.objects.active().select_related("category").order_by("category__position", "position")
    for item in items:
        groups.setdefault(item.category.name, []).append((value(item), item.name))
    return list(groups.items())


def page_select(html: str, name: str) -> tuple[str, SelectReader]:
    """The <select name="…"> of a whole page: its HTML and what it offers."""
    found = re.search(rf'<select name="{name}"[^>]*>.*?</select>', html, re.S)
    assert found, f"no select {name!r} on the page"
    return found.group(0), read_select(found.group(0))

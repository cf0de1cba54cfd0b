"""Filters of the evaluation pages: an item's attached operations figures in words (`core.evaluation.figures`)."""

from django import template

from core.evaluation import figures

register = template.Library()


@register.filter
def figures_lines(item) -> list[str]:
    return figures.figures_lines(item)


@register.filter
def figures_other_systems(item) -> list[str]:
    return figures.figures_other_systems(item)

"""Template tags every page has without loading them (settings.TEMPLATES' `builtins`).

`{% colon %}` is the separator after a label ("服务电话：…"): the full-width colon in Chinese, ": " in English, so a
page never mixes an ASCII colon into Chinese text.
"""

from django import template
from django.utils.translation import pgettext

register = template.Library()


@register.simple_tag
def colon() -> str:
    return pgettext("after a label", ": ")

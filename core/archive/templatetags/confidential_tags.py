"""`{% linked_case row %}`: the case a row (a complaint, an opinion) points at, as the viewer may see it (clause 7.3):
its number linking to the desk, or "Confidential case" without either. `core.archive.confidentiality.linked_case`
decides; a list should come annotated by `with_case_visibility` so that it costs no query per row."""

from django import template

from core.archive.confidentiality import linked_case as shown_case

register = template.Library()


@register.inclusion_tag("archive/_linked_case.html", takes_context=True)
def linked_case(context, row, field: str = "case", empty: str = "—"):
    return {"shown": shown_case(row, user=context["request"].user, field=field), "empty": empty}

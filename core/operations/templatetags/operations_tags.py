"""`{% operations_evidence %}`: what the station's operations show the evaluation's self-assessment (clauses 4.3-4.5),
on the station host's evaluation page."""

from django import template

from core.operations.selectors import operations_self_assessment_evidence

register = template.Library()


@register.inclusion_tag("operations/_evidence.html", takes_context=True)
def operations_evidence(context):
    request = context.get("request")
    station = getattr(context.get("view"), "station", None) or getattr(request, "tenant", None)
    if station is None or not getattr(station, "code", None):
        return {"evidence": None}
    return {"evidence": operations_self_assessment_evidence(station=station)}

"""The operations figures a station head attaches to a checklist item as its evidence (clauses 4.3-4.5): the staff
register, the equipment register or the written systems, read from the station's own schema through the operations
selectors at the moment they are attached and kept with the item as they were (`EvaluationItem.figures`), so the
bureau's reviewer sees what the registers showed when the head answered, not what they show later.

`figures_take` reads them (refusing, on `figures`, when the register has nothing to show yet); `figures_lines` says
them in the reader's language, for the pages, the API and the e-mails.
"""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from core.evaluation.models import EvaluationItem, FiguresSource
from core.operations.models import EquipmentKind
from core.operations.selectors import equipment_figures, staff_figures, system_figures
from tenants.models import Station

READERS = {
    FiguresSource.STAFF: staff_figures,
    FiguresSource.EQUIPMENT: equipment_figures,
    FiguresSource.SYSTEM: system_figures,
}


def system_code(item_code: str) -> str:
    """The written system a 4.5 item is about: "4.5c" → "c"."""
    return item_code.removeprefix("4.5")


def _own_system(data: dict, item_code: str) -> dict | None:
    code = system_code(item_code)
    return next((system for system in data.get("systems", ()) if system.get("code") == code), None)


def figures_take(*, station: Station, item: EvaluationItem) -> dict:
    """The figures of the item's register now, with their source. Refused on `figures` when the item takes none, or
    when the register has nothing to show for it yet (no member trained before duty, no equipment in service, the
    item's written system not in effect)."""
    reader = READERS.get(item.figures_source)
    if reader is None:
        raise ValidationError(
            {"figures": [_("No operations figures apply to this requirement: give a file instead.")]},
            code="no_figures",
        )
    data = {"source": item.figures_source, **reader(station=station)}
    empty = {
        FiguresSource.STAFF: lambda: not data["cleared"],
        FiguresSource.EQUIPMENT: lambda: not data["in_service"],
        FiguresSource.SYSTEM: lambda: (_own_system(data, item.code) or {}).get("current") is None,
    }[item.figures_source]
    if empty():
        messages = {
            FiguresSource.STAFF: _(
                "No member has a completed pre-duty training in the staff register yet: there is nothing to attach."
            ),
            FiguresSource.EQUIPMENT: _(
                "The equipment register has no item in service yet: there is nothing to attach."
            ),
            FiguresSource.SYSTEM: _(
                "This written system has no version in effect yet: publish it under Operations, then attach it."
            ),
        }
        raise ValidationError({"figures": [messages[item.figures_source]]}, code="nothing_to_attach")
    return data


def _names(names) -> str:
    return "、".join(names)


def _system_line(system: dict) -> str:
    current = system.get("current")
    if current is None:
        return _("%(code)s) %(name)s: no version in effect") % {"code": system["code"], "name": system["name"]}
    return _("%(code)s) %(name)s: version %(number)s, in effect since %(date)s, approved by %(approver)s") % {
        "code": system["code"],
        "name": system["name"],
        "number": current["number"],
        "date": current["effective_on"],
        "approver": current["approved_by"],
    }


def _equipment_kind(kind: str) -> str:
    return EquipmentKind(kind).label if kind in EquipmentKind.values else kind


def figures_lines(item: EvaluationItem) -> list[str]:
    """The item's attached figures, one statement a line (empty when none are attached)."""
    data = item.figures
    if not data:
        return []
    source = data.get("source")
    lines = []
    if source == FiguresSource.STAFF:
        lines.append(
            _("Members with a completed pre-duty training: %(cleared)s of %(members)s")
            % {"cleared": data["cleared"], "members": data["members"]}
        )
        if data.get("not_cleared"):
            lines.append(_("Not trained yet: %(names)s") % {"names": _names(data["not_cleared"])})
        lines.append(
            _("Members holding a qualification in force: %(qualified)s of %(members)s")
            % {"qualified": data["qualified"], "members": data["members"]}
        )
        if data.get("heads"):
            lines.append(_("Station head: %(names)s") % {"names": _names(data["heads"])})
        else:
            lines.append(_("No station head is designated."))
    elif source == FiguresSource.EQUIPMENT:
        lines.append(
            _("Equipment maintained on schedule: %(maintained)s of %(total)s")
            % {"maintained": data["maintained"], "total": data["in_service"]}
        )
        kinds = [
            _("%(kind)s: %(count)s") % {"kind": _equipment_kind(kind), "count": count}
            for kind, count in data.get("by_kind", {}).items()
        ]
        if kinds:
            lines.append(_("In service: %(kinds)s") % {"kinds": "；".join(kinds)})
        if data.get("overdue"):
            overdue = [
                _("%(name)s (due %(date)s)") % {"name": entry["name"], "date": entry["due"]}
                for entry in data["overdue"]
            ]
            lines.append(_("Maintenance overdue: %(items)s") % {"items": _names(overdue)})
    elif source == FiguresSource.SYSTEM:
        lines.append(
            _("Written systems with a version in effect: %(in_effect)s of %(total)s")
            % {"in_effect": data["in_effect"], "total": data["total"]}
        )
        own = _own_system(data, item.code)
        if own is not None:
            lines.append(_system_line(own))
    return lines


def figures_other_systems(item: EvaluationItem) -> list[str]:
    """For a 4.5 item's written-system figures: the other systems, one a line (shown folded on the pages)."""
    data = item.figures or {}
    if data.get("source") != FiguresSource.SYSTEM:
        return []
    code = system_code(item.code)
    return [_system_line(system) for system in data.get("systems", ()) if system.get("code") != code]

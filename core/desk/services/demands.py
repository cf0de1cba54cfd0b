"""Demands (Appendix A): intake at the desk and online, one case per section of needs, the enterprise found or added in
the directory."""

import datetime
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django_tenants.utils import schema_context

from core.archive.services import archive_entry_create
from core.catalog.models import FormBox, ServiceCategory, ServiceItem
from core.common import workdays
from core.common.phones import phone_number_check
from core.desk.models import (
    DEMAND_TABLES,
    CaseState,
    Channel,
    Demand,
    EventKind,
    ServiceCase,
)
from core.desk.services._base import _event
from core.desk.services.tracking import demand_tracking_send
from core.directory import services as directory_services
from core.directory import uscc
from core.directory.models import Enterprise
from core.notifications.kinds import DEMAND_NEW
from core.notifications.services import notify
from core.numbering.services import document_number
from core.stats.services import case_fact_send
from tenants.hosts import station_reverse
from tenants.models import Station, StationStatus, User
from tenants.selectors import (
    PUBLIC,
    SystemActor,
    actor_person,
    require_member,
    station_members,
)

# A filled-in section 九 (operator exams) is a need of its own: exam guidance and the training before it.
OPERATOR_EXAM_ITEMS = ("5.1.8.3", "5.1.1.7")


OTHER_SERVICES_ITEM = "5.1.11.1"


def _full_clean_rows(tables: dict[str, list[dict]]) -> tuple[dict[str, list], dict[str, list[str]]]:
    """Build and validate every table row. Returns (rows by table, errors keyed `table.position.field`), so that a
    form can mark the bad rows, and keep every row as typed."""
    built, errors = {}, {}
    for name, model in DEMAND_TABLES.items():
        built[name] = []
        for position, values in enumerate(tables.get(name, []), start=1):
            row = model(position=position, **values)
            try:
                row.full_clean(exclude=["demand"])
            except ValidationError as error:
                for field, messages in error.message_dict.items():
                    errors[f"{name}.{position}.{field}"] = messages
            built[name].append(row)
    return built, errors


@dataclass(frozen=True)
class CaseDraft:
    """A case the demand will open: its category, items, the boxes behind it and the request in words."""

    category: ServiceCategory
    items: tuple[ServiceItem, ...]
    request: str


def demand_case_drafts(*, boxes, exam_categories, other_needs: str) -> list[CaseDraft]:
    """One case per section with ticked boxes (its boxes' items together: a section is one need, the station splits
    it when it plans), one for the operator-exam block and one for other needs in words."""
    drafts: dict[int, list] = {}
    for box in sorted(boxes, key=lambda b: b.position):
        items = list(box.items.all())
        category = items[0].category if items else _section_category(box)
        drafts.setdefault(category.pk, [category, [], []])
        drafts[category.pk][1].extend(item for item in items if item not in drafts[category.pk][1])
        drafts[category.pk][2].append(box.label)
    result = [
        CaseDraft(category=category, items=tuple(items), request="、".join(labels))
        for category, items, labels in drafts.values()
    ]
    if exam_categories:
        found = ServiceItem.objects.filter(clause__in=OPERATOR_EXAM_ITEMS).select_related("category")
        items = tuple(sorted(found, key=lambda item: OPERATOR_EXAM_ITEMS.index(item.clause)))
        # The case belongs to special equipment (5.1.8); the training before the exam comes with it.
        request = _("Special equipment operator exams")
        result.append(CaseDraft(category=items[0].category, items=items, request=request))
    if other_needs.strip():
        item = ServiceItem.objects.select_related("category").get(clause=OTHER_SERVICES_ITEM)
        result.append(CaseDraft(category=item.category, items=(item,), request=other_needs.strip()))
    return result


def _section_category(box: FormBox) -> ServiceCategory:
    """The category of a box without items (a 其他 box): the category of another box of its section."""
    sibling = (
        ServiceItem.objects.filter(form_boxes__form=box.form, form_boxes__section=box.section)
        .select_related("category")
        .first()
    )
    if sibling is None:
        return ServiceItem.objects.select_related("category").get(clause=OTHER_SERVICES_ITEM).category
    return sibling.category


@transaction.atomic
def demand_create(
    *,
    station,
    user: User | SystemActor,
    enterprise: Enterprise,
    channel: str,
    filled_on: datetime.date | None = None,
    boxes=(),
    tables: dict[str, list[dict]] | None = None,
    target_days: int | None = None,
    drafts: list[CaseDraft] | None = None,
    **fields,
) -> Demand:
    """Take a demand form (Appendix A): number it, keep its rows, and open one case per need (or the cases `drafts`
    names: a referral from another station opens the one case it asks for).

    `fields` are the form's other fields (the enterprise block as filled in, the checklists, other needs, opinions,
    signatory). Every problem is raised at once: field errors by name, a table row's as `table.position.field`.
    The USCC is kept in its compact form, however it was typed. The station's members take demands; the enterprise
    itself submits one online (`user` is `PUBLIC`, see `demand_submit_online`).
    """
    require_member(user=user, station=station, system=(PUBLIC,))
    user = actor_person(user)
    if fields.get("uscc"):
        fields["uscc"] = uscc.compact(fields["uscc"])
    demand = Demand(
        enterprise=enterprise,
        channel=channel,
        filled_on=filled_on or timezone.localdate(),
        created_by=user,
        number="-",
        **{
            "enterprise_name": enterprise.name,
            "uscc": enterprise.uscc,
            "legal_representative": enterprise.legal_representative,
            "contact_person": enterprise.contact_person,
            "email": enterprise.email,
            "phone": enterprise.phone,
            "address": enterprise.address,
            **fields,
        },
    )
    errors: dict = {}
    if Station.objects.filter(pk=station.pk, status=StationStatus.SUSPENDED).exists():
        # A suspended station finishes its open work but takes no new demand (clause 3).
        errors["__all__"] = [_("This station is suspended: it takes no new demands.")]
    try:
        demand.full_clean(exclude=["number"])
    except ValidationError as error:
        errors.update(error.message_dict)
    if "phone" in fields and "phone" not in errors:
        try:  # the number typed on the form is where the enterprise's SMS go (core.desk.services.notices)
            phone_number_check(fields["phone"])
        except ValidationError as error:
            errors.update(error.message_dict)
    rows, row_errors = _full_clean_rows(tables or {})
    boxes = list(boxes)
    if drafts is None:
        drafts = demand_case_drafts(boxes=boxes, exam_categories=demand.exam_categories, other_needs=demand.other_needs)
    if not drafts and "boxes" not in errors:
        errors["boxes"] = [_("Tick at least one service, or describe the need under other services.")]
    if errors or row_errors:
        raise ValidationError({**errors, **row_errors})

    demand.number = document_number(station=station, kind="demand")
    demand.save()
    archive_entry_create(document=demand)  # numbered in the archive at once, then each case (clause 7.4)
    demand.boxes.set(boxes)
    for name, model in DEMAND_TABLES.items():
        for row in rows[name]:
            row.demand = demand
        model.objects.bulk_create(rows[name])
    received_at = timezone.now()
    target = target_days or settings.DESK_TARGET_WORKING_DAYS
    for index, draft in enumerate(drafts, start=1):
        case = ServiceCase(
            number=f"{demand.number}-{index}",
            demand=demand,
            category=draft.category,
            request=draft.request,
            received_at=received_at,
            target_days=target,
            due_at=workdays.add_working_days(received_at, target),
        )
        case.full_clean()
        case.save()
        archive_entry_create(document=case)
        case.items.set(draft.items)
        _event(case, kind=EventKind.STATE, actor=user, to_state=CaseState.RECEIVED, text=demand.get_channel_display())
        case_fact_send(case_id=case.pk)
    if channel != Channel.REFERRAL:  # the enterprise gets its tracking link (a referral's at the station it asked)
        demand_tracking_send(demand=demand, station=station)
    _demand_new_notify(demand=demand, station=station)
    return demand


def _demand_new_notify(*, demand: Demand, station: Station) -> None:
    """An enterprise's own demand from the portal (channel online, nobody of the station took it): the station's
    members are told it waits in the inbox."""
    if demand.channel != Channel.ONLINE or demand.created_by_id is not None:
        return
    with translation.override(settings.LANGUAGE_CODE):
        title = _("New online demand %(number)s from %(enterprise)s") % {
            "number": demand.number,
            "enterprise": demand.enterprise_name,
        }
    notify(
        recipients=station_members(station=station),
        kind=DEMAND_NEW,
        key=f"demand_new:{station.code}:{demand.pk}",
        title=title,
        url=station_reverse(station.code, "desk:demand", pk=demand.pk),
        station=station,
    )


# The enterprise block of Appendix A, and the directory field each comes from.
ENTERPRISE_BLOCK = {
    "enterprise_name": "name",
    "uscc": "uscc",
    "legal_representative": "legal_representative",
    "contact_person": "contact_person",
    "email": "email",
    "phone": "phone",
    "address": "address",
}


@transaction.atomic
def demand_enterprise_get_or_add(*, station, user: User | SystemActor, district: str = "", **block) -> Enterprise:
    """The directory entry an Appendix A enterprise block names: found by its USCC (compared compact, so a code
    typed in full width or with spaces finds it), or added to the shared directory on the spot (source: this
    station). `block` holds the block's fields by their form names; errors come back under those names."""
    code = uscc.compact(block.get("uscc") or "")
    found = Enterprise.objects.filter(uscc=code).first() if code else None
    if found is not None:
        return found
    values = {field: (block.get(name) or "").strip() for name, field in ENTERPRISE_BLOCK.items()}
    values["district"] = district or getattr(station, "district", "")
    try:
        return directory_services.enterprise_create(user=user, station=station, **values)
    except ValidationError as error:
        if any(e.code == "unique" for e in getattr(error, "error_dict", {}).get("uscc", ())):
            # Another desk (or the portal) added this code since we looked: the demand goes to that entry.
            found = Enterprise.objects.filter(uscc=code).first()
            if found is not None:
                return found
        by_form_name = {field: name for name, field in ENTERPRISE_BLOCK.items()}
        raise ValidationError(
            {by_form_name.get(field, field): messages for field, messages in error.message_dict.items()}
        ) from error


def demand_submit_online(*, station: Station, district: str = "", **form) -> Demand:
    """The enterprise's own demand form from the public portal (channel online): the enterprise is found or added in
    the shared directory and the demand lands in the station's inbox, both in one transaction."""
    if station.status != StationStatus.PUBLISHED:
        raise ValidationError({"station": [_("This station does not take demands at present.")]})
    with transaction.atomic(), schema_context(station.schema_name):
        block = {name: form.pop(name, "") for name in ENTERPRISE_BLOCK}
        enterprise = demand_enterprise_get_or_add(station=station, user=PUBLIC, district=district, **block)
        return demand_create(
            station=station, user=PUBLIC, enterprise=enterprise, channel=Channel.ONLINE, **block, **form
        )

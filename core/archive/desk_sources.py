"""The desk's documents as archive sources (clause 7.1): demand forms (Appendix A), service cases with their plans
and timeline, service records (Appendix B) with their amendments, and satisfaction surveys."""

from django.db import connection
from django.db.models import Prefetch
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.archive.sources import ArchiveDocument, ArchiveSource, source_register
from core.desk.models import (
    DEMAND_TABLES,
    RECORD_FIELDS,
    SURVEY_RATED,
    CaseEvent,
    Demand,
    RecordAmendment,
    ServiceCase,
    ServicePlan,
    ServiceRecord,
    Survey,
    SurveyInvitation,
)
from core.desk.services import record_field_display

DEMAND, CASE, RECORD, SURVEY = "desk.demand", "desk.case", "desk.record", "desk.survey"
# Set inside a disposal's transaction only: the desk's append-only trigger then lets the timeline and the
# amendments of the removed cases go (migration archive 0002). Nothing else ever deletes them.
DISPOSAL_SETTING = "stationnet.archive_disposal"


def _when(value) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M") if value else ""


def _url(name: str, pk: int) -> str:
    return reverse(name, kwargs={"pk": pk})


# --- documents ------------------------------------------------------------------------------------------------------


def demand_documents(enterprise_id: int):
    demands = Demand.objects.filter(enterprise_id=enterprise_id).prefetch_related(
        Prefetch("cases", queryset=ServiceCase.objects.only("pk", "demand_id"))
    )
    for demand in demands:
        yield ArchiveDocument(
            source=DEMAND,
            object_id=demand.pk,
            recorded_at=demand.created_at,
            title=_("Demand form"),
            reference=demand.number,
            case_ids=tuple(case.pk for case in demand.cases.all()),
            url=_url("desk:demand", demand.pk),
        )


def case_documents(enterprise_id: int):
    for case in ServiceCase.objects.filter(demand__enterprise_id=enterprise_id).select_related("category"):
        yield ArchiveDocument(
            source=CASE,
            object_id=case.pk,
            recorded_at=case.received_at,
            title=_("Service case: %(category)s") % {"category": case.category.name},
            reference=case.number,
            case_ids=(case.pk,),
            url=_url("desk:case", case.pk),
        )


def record_documents(enterprise_id: int):
    for record in ServiceRecord.objects.filter(case__demand__enterprise_id=enterprise_id):
        yield ArchiveDocument(
            source=RECORD,
            object_id=record.pk,
            recorded_at=record.created_at,
            title=_("Service record"),
            reference=record.number,
            case_ids=(record.case_id,),
            url=_url("desk:case", record.case_id),
        )


def survey_documents(enterprise_id: int):
    for survey in Survey.objects.filter(case__demand__enterprise_id=enterprise_id).select_related("case"):
        yield ArchiveDocument(
            source=SURVEY,
            object_id=survey.pk,
            recorded_at=survey.submitted_at,
            title=_("Satisfaction survey"),
            reference=survey.case.number,
            case_ids=(survey.case_id,),
            url=_url("desk:case", survey.case_id),
        )


# --- filing at creation (clause 7.4): each document's enterprise and date -------------------------------------------


def _case_enterprise(case_id: int) -> int:
    return ServiceCase.objects.filter(pk=case_id).values_list("demand__enterprise_id", flat=True).get()


def demand_filing(demand: Demand):
    return demand.enterprise_id, demand.created_at


def case_filing(case: ServiceCase):
    return case.demand.enterprise_id, case.received_at


def record_filing(record: ServiceRecord):
    return _case_enterprise(record.case_id), record.created_at


def survey_filing(survey: Survey):
    return _case_enterprise(survey.case_id), survey.submitted_at


# --- printed content ------------------------------------------------------------------------------------------------


def _label(model, name: str) -> str:
    return str(model._meta.get_field(name).verbose_name)


def demand_rows(ids: list[int]) -> dict[int, list[tuple[str, str]]]:
    demands = Demand.objects.filter(pk__in=ids).prefetch_related("boxes", *DEMAND_TABLES)
    result = {}
    for demand in demands:
        rows = [(_label(Demand, "number"), demand.number), (_label(Demand, "filled_on"), str(demand.filled_on))]
        rows.append((_label(Demand, "channel"), demand.get_channel_display()))
        for name in ("enterprise_name", "legal_representative", "uscc", "contact_person", "email", "phone", "address"):
            rows.append((_label(Demand, name), getattr(demand, name)))
        rows.append((_label(Demand, "boxes"), "、".join(box.label for box in demand.boxes.all())))
        for name, model in DEMAND_TABLES.items():
            for row in getattr(demand, name).all():
                fields = [f for f in model._meta.concrete_fields if f.name not in {"id", "demand", "position"}]
                text = "；".join(f"{f.verbose_name}: {getattr(row, f.name)}" for f in fields if getattr(row, f.name))
                rows.append((f"{model._meta.verbose_name} {row.position}", text))
        for name in ("other_needs", "opinions", "signatory"):
            rows.append((_label(Demand, name), getattr(demand, name)))
        rows.append((_label(Demand, "created_at"), _when(demand.created_at)))
        result[demand.pk] = rows
    return result


def case_rows(ids: list[int]) -> dict[int, list[tuple[str, str]]]:
    cases = ServiceCase.objects.filter(pk__in=ids).select_related("category", "assignee", "demand")
    cases = cases.prefetch_related(
        "items",
        Prefetch("plans", queryset=ServicePlan.objects.select_related("institution", "staff").order_by("created_at")),
        Prefetch("events", queryset=CaseEvent.objects.select_related("actor").order_by("created_at", "id")),
    )
    result = {}
    for case in cases:
        rows = [
            (_label(ServiceCase, "number"), case.number),
            (_label(ServiceCase, "demand"), case.demand.number),
            (_label(ServiceCase, "category"), case.category.name),
            (_label(ServiceCase, "items"), "、".join(item.name for item in case.items.all())),
            (_label(ServiceCase, "request"), case.request),
            (_label(ServiceCase, "state"), case.get_state_display()),
            (_label(ServiceCase, "assignee"), str(case.assignee or "")),
            (_label(ServiceCase, "received_at"), _when(case.received_at)),
            (_label(ServiceCase, "due_at"), _when(case.due_at)),
            (_label(ServiceCase, "closed_at"), _when(case.closed_at)),
        ]
        for plan in case.plans.all():
            partner = plan.institution or plan.staff or plan.station_id or ""
            text = f"{plan.get_kind_display()} {partner} — {plan.evaluation}"
            rows.append((_("Service plan of %(when)s") % {"when": _when(plan.created_at)}, text))
        for event in case.events.all():
            text = event.text or (f"{event.from_state} → {event.to_state}" if event.to_state else "")
            rows.append((f"{_when(event.created_at)} {event.get_kind_display()}", f"{text} ({event.actor or '—'})"))
        result[case.pk] = rows
    return result


def record_rows(ids: list[int]) -> dict[int, list[tuple[str, str]]]:
    records = ServiceRecord.objects.filter(pk__in=ids).select_related("staff", "category", "institution")
    records = records.prefetch_related(Prefetch("amendments", queryset=RecordAmendment.objects.select_related("actor")))
    result = {}
    for record in records:
        rows = [(_label(ServiceRecord, "number"), record.number)]
        rows += [(_label(ServiceRecord, name), record_field_display(record, name)) for name in RECORD_FIELDS]
        for amendment in record.amendments.all():
            text = f"{amendment.old_value} → {amendment.new_value} ({amendment.reason}; {amendment.actor})"
            rows.append(
                (
                    _("Amendment of %(when)s: %(field)s")
                    % {"when": _when(amendment.created_at), "field": amendment.field_label},
                    text,
                )
            )
        result[record.pk] = rows
    return result


def survey_rows(ids: list[int]) -> dict[int, list[tuple[str, str]]]:
    result = {}
    for survey in Survey.objects.filter(pk__in=ids).select_related("case"):
        rows = [(_label(ServiceCase, "number"), survey.case.number)]
        for name in (*SURVEY_RATED[:4], "q5", *SURVEY_RATED[4:]):
            value = getattr(survey, name)
            shown = ("是" if value else "否") if name == "q5" else getattr(survey, f"get_{name}_display")()
            rows.append((_label(Survey, name), shown))
        rows += [(_label(Survey, "opinions"), survey.opinions), (_label(Survey, "signatory"), survey.signatory)]
        rows += [
            (_label(Survey, "channel"), survey.get_channel_display()),
            (_label(Survey, "submitted_at"), _when(survey.submitted_at)),
        ]
        result[survey.pk] = rows
    return result


# --- removal (an approved disposal only) ------------------------------------------------------------------------


def _allow_history_delete(on: bool) -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT set_config(%s, %s, true)", [DISPOSAL_SETTING, "on" if on else "off"])


def survey_remove(ids: list[int]) -> int:
    _allow_history_delete(True)  # a submitted survey is frozen too (desk migration 0008)
    removed = Survey.objects.filter(pk__in=ids).delete()[1].get("desk.Survey", 0)
    _allow_history_delete(False)
    return removed


def record_remove(ids: list[int]) -> int:
    _allow_history_delete(True)
    RecordAmendment.objects.filter(record_id__in=ids).delete()
    _allow_history_delete(False)
    return ServiceRecord.objects.filter(pk__in=ids).delete()[1].get("desk.ServiceRecord", 0)


def case_remove(ids: list[int]) -> int:
    """A case goes with everything that hangs on it: its survey, record, invitation, plans and timeline. A referral
    copy (core.referrals) is the shared record of the referral between two stations and stays; it loses its link."""
    from core.archive.confidentiality import case_permissions_remove
    from core.referrals.models import Referral

    survey_remove(list(Survey.objects.filter(case_id__in=ids).values_list("pk", flat=True)))
    record_remove(list(ServiceRecord.objects.filter(case_id__in=ids).values_list("pk", flat=True)))
    SurveyInvitation.objects.filter(case_id__in=ids).delete()
    ServicePlan.objects.filter(case_id__in=ids).delete()
    Referral.objects.filter(case_id__in=ids).update(case=None)
    _allow_history_delete(True)
    CaseEvent.objects.filter(case_id__in=ids).delete()
    _allow_history_delete(False)
    case_permissions_remove(case_ids=ids)
    return ServiceCase.objects.filter(pk__in=ids).delete()[1].get("desk.ServiceCase", 0)


def demand_remove(ids: list[int]) -> int:
    case_remove(list(ServiceCase.objects.filter(demand_id__in=ids).values_list("pk", flat=True)))
    return Demand.objects.filter(pk__in=ids).delete()[1].get("desk.Demand", 0)


def register_all() -> None:
    source_register(
        ArchiveSource(
            DEMAND,
            gettext_lazy("Demand forms"),
            10,
            demand_documents,
            demand_rows,
            demand_remove,
            model=Demand,
            filing=demand_filing,
        )
    )
    source_register(
        ArchiveSource(
            CASE,
            gettext_lazy("Service cases"),
            20,
            case_documents,
            case_rows,
            case_remove,
            model=ServiceCase,
            filing=case_filing,
        )
    )
    source_register(
        ArchiveSource(
            RECORD,
            gettext_lazy("Service records"),
            30,
            record_documents,
            record_rows,
            record_remove,
            model=ServiceRecord,
            filing=record_filing,
        )
    )
    source_register(
        ArchiveSource(
            SURVEY,
            gettext_lazy("Satisfaction surveys"),
            40,
            survey_documents,
            survey_rows,
            survey_remove,
            model=Survey,
            filing=survey_filing,
        )
    )

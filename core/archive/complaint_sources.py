"""Complaints (clause 6.5) and supervision opinions (clause 6.1) as archive sources (clause 7.1).

Neither app has a link to an enterprise of its own: a complaint or an opinion belongs to an enterprise's archive
through the service case it is about (`case`, and for a complaint also the case of the opinion it came from). One
with no case belongs to no enterprise and stays out of every archive until it is linked to one (then it is filed,
`core.archive.services.archive_entry_create`). The registration lives here, in the archive: neither app registers
itself, each only files its new documents.

Removal (an approved disposal, in its transaction): a complaint goes with its timeline (append-only: the disposal's
setting lets it go, `core.archive.desk_sources`) and whatever else of its app hangs on it (reminders); an opinion with
its improvement plans and what hangs on them, and its photo once the disposal is committed. Complaints come before
opinions (a complaint points at its opinion) and both before cases (they point at their case): the sources are
removed in reverse `position` order. The bureau's copy of an escalated complaint (`core.escalations`, public schema)
is the bureau's record and is kept, as a referral's copy is.
"""

from django.db import models, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.archive.desk_sources import _allow_history_delete, _case_enterprise, _label, _when
from core.archive.sources import ArchiveDocument, ArchiveSource, source_register
from core.complaints.models import Complaint
from core.supervision.models import Opinion

COMPLAINT, OPINION = "complaints.complaint", "supervision.opinion"


def _complaints(enterprise_id: int):
    return Complaint.objects.filter(
        Q(case__demand__enterprise_id=enterprise_id) | Q(opinion__case__demand__enterprise_id=enterprise_id)
    )


def complaint_documents(enterprise_id: int):
    for complaint in _complaints(enterprise_id).select_related("opinion"):
        cases = {complaint.case_id, complaint.opinion.case_id if complaint.opinion else None} - {None}
        yield ArchiveDocument(
            source=COMPLAINT,
            object_id=complaint.pk,
            recorded_at=complaint.received_at,
            title=_("Complaint"),
            reference=f"#{complaint.pk}",
            case_ids=tuple(sorted(cases)),
            url=reverse("complaints:complaint", kwargs={"pk": complaint.pk}),
        )


def opinion_documents(enterprise_id: int):
    for opinion in Opinion.objects.filter(case__demand__enterprise_id=enterprise_id):
        yield ArchiveDocument(
            source=OPINION,
            object_id=opinion.pk,
            recorded_at=opinion.received_at,
            title=_("Public opinion: %(kind)s") % {"kind": opinion.get_kind_display()},
            reference=f"#{opinion.pk}",
            case_ids=(opinion.case_id,),
            url=reverse("supervision:opinion", kwargs={"pk": opinion.pk}),
        )


def complaint_filing(complaint: Complaint):
    """A complaint goes to the archive of its case's enterprise (or of its opinion's case); about no case, nowhere."""
    case_id = complaint.case_id or (complaint.opinion.case_id if complaint.opinion_id else None)
    if case_id is None:
        return None
    return _case_enterprise(case_id), complaint.received_at


def opinion_filing(opinion: Opinion):
    if opinion.case_id is None:
        return None
    return _case_enterprise(opinion.case_id), opinion.received_at


def complaint_rows(ids: list[int]) -> dict[int, list[tuple[str, str]]]:
    complaints = Complaint.objects.filter(pk__in=ids).select_related("case").prefetch_related("events")
    result = {}
    for complaint in complaints:
        rows = [
            (_label(Complaint, "case"), complaint.case.number if complaint.case else ""),
            (_label(Complaint, "channel"), complaint.get_channel_display()),
            (_label(Complaint, "complainant_name"), complaint.complainant_name),
            (_label(Complaint, "subject"), complaint.subject),
            (_label(Complaint, "state"), complaint.get_state_display()),
            (_label(Complaint, "received_at"), _when(complaint.received_at)),
            (_label(Complaint, "acknowledged_at"), _when(complaint.acknowledged_at)),
            (_label(Complaint, "response"), complaint.response),
            (_label(Complaint, "responded_at"), _when(complaint.responded_at)),
            (_label(Complaint, "feedback"), complaint.get_feedback_display()),
            (_label(Complaint, "closed_at"), _when(complaint.closed_at)),
        ]
        if complaint.escalated_at:
            rows.append((_label(Complaint, "escalation_reason"), complaint.escalation_reason))
            rows.append((_label(Complaint, "bureau_handling"), complaint.bureau_handling))
        for event in complaint.events.all():
            text = event.text or (f"{event.from_state} → {event.to_state}" if event.to_state else "")
            rows.append(
                (f"{_when(event.created_at)} {event.get_kind_display()}", f"{text} ({event.actor_name or '—'})")
            )
        result[complaint.pk] = rows
    return result


def opinion_rows(ids: list[int]) -> dict[int, list[tuple[str, str]]]:
    opinions = Opinion.objects.filter(pk__in=ids).select_related("case").prefetch_related("plans")
    result = {}
    for opinion in opinions:
        rows = [
            (_label(Opinion, "case"), opinion.case.number if opinion.case else ""),
            (_label(Opinion, "kind"), opinion.get_kind_display()),
            (_label(Opinion, "channel"), opinion.get_channel_display()),
            (_label(Opinion, "name"), "" if opinion.anonymous else opinion.name),
            (_label(Opinion, "text"), opinion.text),
            (_label(Opinion, "topic"), opinion.get_topic_display()),
            (_label(Opinion, "received_at"), _when(opinion.received_at)),
            (_label(Opinion, "answer"), opinion.answer),
            (_label(Opinion, "answered_at"), _when(opinion.answered_at)),
            (_label(Opinion, "public_result"), opinion.public_result),
        ]
        for plan in opinion.plans.all():
            rows.append((_("Improvement plan due %(due)s") % {"due": plan.due_on}, f"{plan.what} — {plan.result}"))
        result[opinion.pk] = rows
    return result


def _remove_dependents(model: type[models.Model], ids: list[int]) -> None:
    """Delete the rows of `model`'s own app that point at `ids` (timelines, reminders, plans and what hangs on
    them), deepest first. Rows of other apps are not touched: if one still points at a removed row, the disposal
    is refused (`archive_disposal_approve`)."""
    for relation in model._meta.related_objects:
        related = relation.related_model
        if related._meta.app_label != model._meta.app_label or relation.many_to_many:
            continue
        dependent_ids = list(related.objects.filter(**{f"{relation.field.name}__in": ids}).values_list("pk", flat=True))
        if dependent_ids:
            _remove_dependents(related, dependent_ids)
            related.objects.filter(pk__in=dependent_ids).delete()


def complaint_remove(ids: list[int]) -> int:
    _allow_history_delete(True)  # the complaint's timeline is append-only (the desk's trigger function)
    _remove_dependents(Complaint, ids)
    _allow_history_delete(False)
    return Complaint.objects.filter(pk__in=ids).delete()[1].get("complaints.Complaint", 0)


def opinion_remove(ids: list[int]) -> int:
    photos = [name for name in Opinion.objects.filter(pk__in=ids).values_list("photo", flat=True) if name]
    _remove_dependents(Opinion, ids)
    removed = Opinion.objects.filter(pk__in=ids).delete()[1].get("supervision.Opinion", 0)
    storage = Opinion._meta.get_field("photo").storage
    transaction.on_commit(lambda: [storage.delete(name) for name in photos])
    return removed


def register_all() -> None:
    source_register(
        ArchiveSource(
            OPINION,
            gettext_lazy("Public opinions"),
            45,
            opinion_documents,
            opinion_rows,
            opinion_remove,
            model=Opinion,
            filing=opinion_filing,
        )
    )
    source_register(
        ArchiveSource(
            COMPLAINT,
            gettext_lazy("Complaints"),
            50,
            complaint_documents,
            complaint_rows,
            complaint_remove,
            model=Complaint,
            filing=complaint_filing,
        )
    )

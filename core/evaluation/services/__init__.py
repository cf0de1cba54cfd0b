"""Writes of evaluation rounds (综合评估, clause 3). Views, the API and tasks call these; nothing else writes.

The life of a round: a bureau administrator starts a draft station's evaluation (`evaluation_start`: the station goes
under evaluation and its initial round opens), or a re-evaluation opens on its date (`round_schedule`,
`round_open_due`). The station head answers every item (met / not met, a note, evidence files, the operations figures)
and submits (`item_self_assess`, `evidence_add`, `figures_attach`, `round_submit`); an item whose checklist entry asks
for evidence is never answered met without any (a file, or the figures of the station's operations registers taken as a
snapshot when attached). A bureau administrator scores each item (`item_review`: 0 to the item's weight; met is the full
weight) and concludes (`round_conclude`). The weights and the pass mark come from the bureau's round template
(`template_update`), copied when a round opens. The round's weighted total and its pass mark propose the conclusion
(`selectors.round_proposal`: approved when the total reaches the pass mark and no required, 应, item scored 0; rectify
otherwise); the reviewer confirms it or overrides it: a rectification the total does not call for needs its reason,
an approval the total does not allow is refused.

- approved: the station may be published (`station_publish` below asks for it) and its next re-evaluation
  is scheduled `EVALUATION_INTERVAL_DAYS` later;
- rectify by a date: a follow-up round opens at once, due that date, carrying the items over (what was met stays met,
  what was not met is to be answered again) with their weights and the pass mark; the station's heads and the bureau's
  administrators are reminded before the date and told once when it has passed without a concluded follow-up
  (`rectification_remind`, daily);
- rejected (a reason is required): a station under evaluation goes back to draft; a published one is suspended; in
  both cases with the round's reason, through `station_change_status`.

The round's score is computed (the weighted total), never entered. Who is told: the head when a round opens (a
notification, core.notifications: in the app, and by e-mail or SMS as the head chose) and when it is concluded, the
bureau's administrators when a self-assessment is submitted; each e-mail is queued after the commit that decided it.
"""

import datetime
import logging
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import PurePath

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Max
from django.http import HttpRequest
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from core.audit.models import AuditAction
from core.audit.services import audit_record
from core.evaluation.checklist import CHECKLIST, PASS_MARK, SECTIONS
from core.evaluation.figures import figures_take
from core.evaluation.models import (
    WEIGHT_MAX,
    ChecklistTemplate,
    ChecklistTemplateWeight,
    Conclusion,
    EvaluationEvidence,
    EvaluationItem,
    EvaluationRound,
    RoundKind,
    RoundStatus,
)
from core.evaluation.publication_selectors import publication_withdrawn_since
from core.evaluation.selectors import (
    items_not_met,
    rectifications_under_way,
    round_latest_concluded,
    round_proposal,
    round_score,
    template_for_round,
    template_weights,
)
from core.notifications.kinds import EVALUATION_OPENED, RECTIFICATION_DUE, RECTIFICATION_OVERDUE
from core.notifications.services import notify
from core.uploads.checks import FileKind, upload_check
from tenants.hosts import public_url, station_reverse
from tenants.models import BureauRole, Station, StationPublication, StationStatus, User
from tenants.selectors import (
    require_bureau_admin,
    require_head,
    station_head_emails,
    station_heads,
    station_items_prefetch,
    station_public_facts,
)
from tenants.services import station_change_status

logger = logging.getLogger(__name__)

# What a station head may give as evidence, recognised by content (core.uploads.checks).
EVIDENCE_KINDS = ("jpeg", "png", "pdf", "docx", "xlsx")


@dataclass(frozen=True)
class SelfAssessment:
    """The head's answer to one item, by its code: met (True / False, None: not answered yet), a note, new files, and
    whether to attach (or take again) the item's operations figures."""

    code: str
    met: bool | None
    note: str = ""
    files: Sequence = field(default_factory=tuple)
    figures: bool = False


@dataclass(frozen=True)
class Review:
    """The reviewer's result for one item, by its code: a score (0 to the item's weight) and/or met (True / False; met
    alone scores the full weight, not met alone 0; both None: not reviewed yet), and a remark."""

    code: str
    met: bool | None = None
    remark: str = ""
    score: int | None = None


# --- Who may --------------------------------------------------------------------------------------------------------


def _require_admin(user: User) -> None:
    require_bureau_admin(user=user, message=_("Only the bureau's administrators evaluate stations."))


def _require_head(user: User, station: Station) -> None:
    require_head(user=user, station=station, message=_("Only the station head fills in its self-assessment."))


def _locked(evaluation_round: EvaluationRound, *, status: str) -> EvaluationRound:
    """The round, locked, if it is in `status`; otherwise a refusal that says what it is."""
    locked = EvaluationRound.objects.select_for_update().select_related("station").get(pk=evaluation_round.pk)
    if locked.status != status:
        messages = {
            RoundStatus.OPEN: _("This round is no longer open for the self-assessment: it is “%(status)s”."),
            RoundStatus.SUBMITTED: _(
                "Only a submitted self-assessment is reviewed and concluded; this round is “%(status)s”."
            ),
        }
        raise ValidationError(
            {"status": messages[status] % {"status": locked.get_status_display()}}, code="wrong_round_status"
        )
    return locked


def _item_locked(item: EvaluationItem, *, status: str) -> tuple[EvaluationRound, EvaluationItem]:
    evaluation_round = _locked(item.evaluation_round, status=status)
    return evaluation_round, EvaluationItem.objects.select_for_update().get(pk=item.pk)


# --- Telling people -------------------------------------------------------------------------------------------------


def _head_emails(station: Station) -> list[str]:
    return station_head_emails(station=station)


def _admins() -> list[User]:
    return list(User.objects.filter(is_active=True, bureau_role=BureauRole.ADMIN).order_by("pk"))


def _admin_emails() -> list[str]:
    return [admin.email for admin in _admins() if admin.email]


def _tell(evaluation_round: EvaluationRound, *, event: str, recipients: list[str]) -> None:
    from core.evaluation.tasks import round_mail_task
    from tenants.tasks import queue_after_commit

    if recipients:
        queue_after_commit(round_mail_task, round_id=evaluation_round.pk, event=event, recipients=recipients)


def _round_context(evaluation_round: EvaluationRound) -> dict:
    """What the e-mails about a round say: the round, its station, the items not met, and the links to the round."""
    station = evaluation_round.station
    console = reverse(
        "console:evaluation_round",
        urlconf=settings.PUBLIC_SCHEMA_URLCONF,
        kwargs={"pk": station.pk, "number": evaluation_round.number},
    )
    return {
        "round": evaluation_round,
        "station": station,
        "not_met": items_not_met(items=evaluation_round.items.all()),
        "station_link": station_reverse(station.code, "evaluation:current"),
        "console_link": public_url(console),
    }


def _opened_notify(evaluation_round: EvaluationRound) -> None:
    """Tell the station's heads that a round opened for their self-assessment (with `evaluation/email/opened_*`)."""
    station = evaluation_round.station
    with translation.override(settings.LANGUAGE_CODE):
        title = _("%(station)s: evaluation round %(number)s (%(kind)s) is open") % {
            "station": station.name,
            "number": evaluation_round.number,
            "kind": evaluation_round.get_kind_display(),
        }
    notify(
        recipients=station_heads(station=station),
        kind=EVALUATION_OPENED,
        key=f"{EVALUATION_OPENED}:{station.code}:{evaluation_round.pk}",
        title=title,
        url=station_reverse(station.code, "evaluation:round", number=evaluation_round.number),
        station=station,
        email=("evaluation", "opened", _round_context(evaluation_round)),
    )


def round_mail(*, round_id: int, event: str, recipients: list[str]) -> bool:
    """E-mail what happened to a round (`concluded` to the head, `submitted` to the bureau; `opened` is a
    notification, `_opened_notify`), in the site's
    language, from `evaluation/email/<event>_{subject,body}.txt`."""
    evaluation_round = (
        EvaluationRound.objects.select_related("station").prefetch_related("items").filter(pk=round_id).first()
    )
    if evaluation_round is None or not recipients:
        return False
    context = _round_context(evaluation_round)
    with translation.override(settings.LANGUAGE_CODE):
        subject = " ".join(render_to_string(f"evaluation/email/{event}_subject.txt", context).split())
        body = render_to_string(f"evaluation/email/{event}_body.txt", context)
    send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, recipients)
    return True


# --- Opening rounds -------------------------------------------------------------------------------------------------


def _checklist_items(evaluation_round: EvaluationRound, weights: dict[str, int]) -> list[EvaluationItem]:
    return [
        EvaluationItem(
            evaluation_round=evaluation_round,
            position=position,
            code=entry.code,
            section=entry.section,
            section_title=SECTIONS[entry.section],
            title=entry.title,
            required=entry.required,
            weight=weights[entry.code],
            evidence_kind=entry.evidence,
            evidence_required=bool(entry.evidence) and entry.evidence_required,
            figures_source=entry.figures,
        )
        for position, entry in enumerate(CHECKLIST, start=1)
    ]


def _carried_items(evaluation_round: EvaluationRound, previous: EvaluationRound) -> list[EvaluationItem]:
    """The previous round's items as they were (titles and what evidence they ask for included): a met item stays met,
    with its answer and review; a not-met one is to be answered again. Its result and remark stay visible as
    `previous_*`. The attached operations figures come along like the files (the head may take them again)."""
    items = []
    for old in previous.items.order_by("position"):
        met = old.review_met is True
        items.append(
            EvaluationItem(
                evaluation_round=evaluation_round,
                position=old.position,
                code=old.code,
                section=old.section,
                section_title=old.section_title,
                title=old.title,
                required=old.required,
                weight=old.weight,
                evidence_kind=old.evidence_kind,
                evidence_required=old.evidence_required,
                figures_source=old.figures_source,
                figures=old.figures,
                figures_taken_at=old.figures_taken_at,
                figures_taken_by_id=old.figures_taken_by_id,
                self_met=old.self_met if met else None,
                self_note=old.self_note,
                self_assessed_at=old.self_assessed_at if met else None,
                review_met=True if met else None,
                review_score=old.review_score if met else None,
                remark=old.remark if met else "",
                reviewed_by=old.reviewed_by if met else None,
                reviewed_at=old.reviewed_at if met else None,
                previous_met=old.review_met,
                previous_remark=old.remark,
            )
        )
    return items


def _items_create(evaluation_round: EvaluationRound, weights: dict[str, int]) -> None:
    previous = evaluation_round.previous
    items = _carried_items(evaluation_round, previous) if previous else _checklist_items(evaluation_round, weights)
    for item in items:
        item.full_clean(exclude=["evaluation_round"])
    created = {item.code: item for item in EvaluationItem.objects.bulk_create(items)}
    if previous:  # the evidence comes along: new rows, the same stored files
        EvaluationEvidence.objects.bulk_create(
            EvaluationEvidence(
                item=created[evidence.item.code],
                file=evidence.file.name,
                original_name=evidence.original_name,
                kind=evidence.kind,
                size=evidence.size,
                uploaded_by_id=evidence.uploaded_by_id,
                uploaded_at=evidence.uploaded_at,
            )
            for evidence in EvaluationEvidence.objects.filter(item__evaluation_round=previous).select_related("item")
        )


def _round_create(
    *,
    station: Station,
    kind: str,
    user: User | None,
    due_on: datetime.date | None = None,
    previous: EvaluationRound | None = None,
    scheduled: bool = False,
) -> EvaluationRound:
    """A new round of the (locked) station, numbered after its last one: open with its items, or scheduled."""
    if EvaluationRound.objects.filter(station=station).exclude(status=RoundStatus.CONCLUDED).exists():
        raise ValidationError(
            {"status": _("This station has an evaluation round under way already.")}, code="round_under_way"
        )
    last = EvaluationRound.objects.filter(station=station).aggregate(last=Max("number"))["last"] or 0
    evaluation_round = EvaluationRound(
        station=station, number=last + 1, kind=kind, status=RoundStatus.SCHEDULED, due_on=due_on, previous=previous
    )
    evaluation_round.full_clean(validate_constraints=False)
    evaluation_round.save()
    if not scheduled:
        _open(evaluation_round, user=user)
    return evaluation_round


def _open(evaluation_round: EvaluationRound, *, user: User | None) -> None:
    """Open the round: its items and their weights copied, with the pass mark, from its template as it is now (a
    follow-up: from the round it follows up), so that a later edit of the template leaves it as it is."""
    if evaluation_round.previous is not None:
        weights, pass_mark = {}, evaluation_round.previous.pass_mark or PASS_MARK
    else:
        template = template_for_round(kind=evaluation_round.kind)
        weights = template_weights(template=template)
        pass_mark = PASS_MARK if template is None else template.pass_mark
    evaluation_round.status = RoundStatus.OPEN
    evaluation_round.opened_by = user
    evaluation_round.opened_at = timezone.now()
    evaluation_round.pass_mark = pass_mark
    evaluation_round.save(update_fields=["status", "opened_by", "opened_at", "pass_mark"])
    _items_create(evaluation_round, weights)
    if evaluation_round.kind != RoundKind.FOLLOW_UP:  # a follow-up is announced with the conclusion that opens it
        _opened_notify(evaluation_round)
    logger.info("station %s: evaluation round %s opened", evaluation_round.station.code, evaluation_round.number)


@transaction.atomic
def evaluation_start(*, station: Station, user: User) -> EvaluationRound:
    """Start a station's evaluation (clause 3): a draft goes under evaluation and its initial round opens, and its
    head is e-mailed. A station under evaluation without a round under way (e.g. put there by the platform) gets one
    too. A bureau administrator only."""
    _require_admin(user)
    station = Station.objects.select_for_update().get(pk=station.pk)
    if station.status == StationStatus.DRAFT:
        station = station_change_status(station=station, status=StationStatus.EVALUATING, user=user)
    elif station.status != StationStatus.EVALUATING:
        raise ValidationError(
            {
                "status": _("Only a draft station is put under evaluation; this one is “%(status)s”.")
                % {"status": station.get_status_display()}
            },
            code="not_draft",
        )
    return _round_create(station=station, kind=RoundKind.INITIAL, user=user)


@transaction.atomic
def round_schedule(*, station: Station, user: User, due_on: datetime.date) -> EvaluationRound:
    """Schedule a published station's re-evaluation for `due_on` (today or later): a scheduled one is moved to that
    date; one due today opens at once. A bureau administrator only."""
    _require_admin(user)
    station = Station.objects.select_for_update().get(pk=station.pk)
    if station.status != StationStatus.PUBLISHED:
        raise ValidationError(
            {
                "due_on": _("Only a published station is re-evaluated; this one is “%(status)s”.")
                % {"status": station.get_status_display()}
            },
            code="not_published",
        )
    if due_on < timezone.localdate():
        raise ValidationError({"due_on": _("Choose today or a later date.")}, code="past")
    under_way = EvaluationRound.objects.filter(station=station).exclude(status=RoundStatus.CONCLUDED).first()
    if under_way is not None and under_way.status != RoundStatus.SCHEDULED:
        raise ValidationError(
            {
                "due_on": _("Round %(number)s is under way: schedule the next one once it is concluded.")
                % {"number": under_way.number}
            },
            code="round_under_way",
        )
    if under_way is None:
        evaluation_round = _round_create(
            station=station, kind=RoundKind.REEVALUATION, user=user, due_on=due_on, scheduled=True
        )
    else:
        evaluation_round = under_way
        evaluation_round.due_on = due_on
        evaluation_round.save(update_fields=["due_on"])
    if due_on <= timezone.localdate():
        _open(evaluation_round, user=user)
    return evaluation_round


@transaction.atomic
def round_open_due(*, today: datetime.date | None = None) -> int:
    """Open the scheduled re-evaluations whose date has come, for published stations (a suspended station's waits
    until it is reactivated); each head is e-mailed. Returns how many opened. Run daily by beat."""
    today = today or timezone.localdate()
    due = (
        EvaluationRound.objects.select_for_update(skip_locked=True, of=("self",))
        .select_related("station")
        .filter(status=RoundStatus.SCHEDULED, due_on__lte=today, station__status=StationStatus.PUBLISHED)
        .order_by("due_on", "pk")
    )
    opened = 0
    for evaluation_round in due:
        _open(evaluation_round, user=None)
        opened += 1
    return opened


# --- The self-assessment (the station head) ---------------------------------------------------------------------


def _has_evidence(item: EvaluationItem) -> bool:
    return item.figures is not None or item.evidence.exists()


def _evidence_missing(item: EvaluationItem) -> ValidationError:
    """The refusal of "met" for an item that asks for evidence and has none, on `met`."""
    if item.figures_source:
        message = _(
            "This requirement asks for evidence (%(kind)s): add a file or attach the operations figures, then answer "
            "it met."
        )
    else:
        message = _("This requirement asks for evidence (%(kind)s): add a file, then answer it met.")
    return ValidationError({"met": [message % {"kind": item.get_evidence_kind_display()}]}, code="evidence_required")


@transaction.atomic
def item_self_assess(*, item: EvaluationItem, user: User, met: bool | None, note: str = "") -> EvaluationItem:
    """The head's answer to one item of the open round: met or not (None: not answered yet) and a note. An item that
    asks for evidence is answered met only once it has some (a file or the operations figures); refused on `met`."""
    evaluation_round, item = _item_locked(item, status=RoundStatus.OPEN)
    _require_head(user, evaluation_round.station)
    if met is True and item.evidence_required and not _has_evidence(item):
        raise _evidence_missing(item)
    item.self_met = met
    item.self_note = note.strip()
    item.self_assessed_at = None if met is None else timezone.now()
    item.full_clean(exclude=["evaluation_round"])
    item.save(update_fields=["self_met", "self_note", "self_assessed_at"])
    return item


def _evidence_check(file) -> FileKind:
    return upload_check(file=file, allowed=EVIDENCE_KINDS, max_bytes=settings.EVALUATION_EVIDENCE_MAX_BYTES)


@transaction.atomic
def evidence_add(*, item: EvaluationItem, user: User, file) -> EvaluationEvidence:
    """Keep a file as evidence of an item of the open round: a photo (JPEG, PNG), a PDF, a Word or Excel document,
    recognised by its content and at most `EVALUATION_EVIDENCE_MAX_BYTES`; stored under the station's code. A
    refused file is a ValidationError on `file`."""
    evaluation_round, item = _item_locked(item, status=RoundStatus.OPEN)
    _require_head(user, evaluation_round.station)
    kind = _evidence_check(file)
    item.evaluation_round = evaluation_round
    evidence = EvaluationEvidence(
        item=item,
        original_name=PurePath(file.name or "").name[:255] or kind.name,
        kind=kind.name,
        size=file.size,
        uploaded_by=user,
        uploaded_at=timezone.now(),
    )
    evidence.file.save(f"{uuid.uuid4().hex}{kind.extension}", file, save=False)
    try:
        evidence.full_clean()
        evidence.save()
    except Exception:
        default_storage.delete(evidence.file.name)
        raise
    return evidence


@transaction.atomic
def evidence_remove(*, evidence: EvaluationEvidence, user: User) -> None:
    """Take a file off an item of the open round; the stored file goes once no round refers to it any more."""
    evaluation_round = _locked(evidence.item.evaluation_round, status=RoundStatus.OPEN)
    _require_head(user, evaluation_round.station)
    item = EvaluationItem.objects.select_for_update().get(pk=evidence.item_id)
    _last_evidence_check(item, leaving="file")
    name = evidence.file.name
    evidence.delete()
    if not EvaluationEvidence.objects.filter(file=name).exists():
        transaction.on_commit(lambda: default_storage.delete(name))


def _last_evidence_check(item: EvaluationItem, *, leaving: str) -> None:
    """Refuse to take away the last evidence (`leaving`: "file" or "figures") of an item answered met that asks for
    evidence: it would be met without any."""
    if not (item.self_met is True and item.evidence_required):
        return
    files = item.evidence.count()
    remaining = (files - (1 if leaving == "file" else 0)) + (
        1 if item.figures is not None and leaving != "figures" else 0
    )
    if remaining <= 0:
        raise ValidationError(
            {
                leaving: [
                    _(
                        "Requirement %(code)s is answered met and asks for evidence: add other evidence, or answer it "
                        "not met, before removing this."
                    )
                    % {"code": item.code}
                ]
            },
            code="last_evidence",
        )


@transaction.atomic
def figures_attach(*, item: EvaluationItem, user: User) -> EvaluationItem:
    """Attach the item's operations figures (the staff register, the equipment register or the written systems, as
    they are now) to an item of the open round as its evidence; attached again, they are taken again. Refused on
    `figures` when none apply or the register has nothing to show yet. The station's head only."""
    evaluation_round, item = _item_locked(item, status=RoundStatus.OPEN)
    _require_head(user, evaluation_round.station)
    item.figures = figures_take(station=evaluation_round.station, item=item)
    item.figures_taken_at = timezone.now()
    item.figures_taken_by = user
    item.full_clean(exclude=["evaluation_round"])
    item.save(update_fields=["figures", "figures_taken_at", "figures_taken_by"])
    return item


@transaction.atomic
def figures_remove(*, item: EvaluationItem, user: User) -> EvaluationItem:
    """Take the operations figures off an item of the open round (not the last evidence of an item answered met)."""
    evaluation_round, item = _item_locked(item, status=RoundStatus.OPEN)
    _require_head(user, evaluation_round.station)
    _last_evidence_check(item, leaving="figures")
    item.figures = None
    item.figures_taken_at = None
    item.figures_taken_by = None
    item.save(update_fields=["figures", "figures_taken_at", "figures_taken_by"])
    return item


def _items_by_code(evaluation_round: EvaluationRound, codes) -> dict[str, EvaluationItem]:
    items = {item.code: item for item in EvaluationItem.objects.filter(evaluation_round=evaluation_round)}
    unknown = sorted(set(codes) - set(items))
    if unknown:
        raise ValidationError(
            {"items": _("Not items of this round: %(codes)s.") % {"codes": "、".join(unknown)}}, code="unknown_item"
        )
    return items


def _keyed(code: str, error: ValidationError) -> dict[str, list[str]]:
    """An item service's field errors, keyed `<item code>.<field>` for a form of many items."""
    return {f"{code}.{name}": messages for name, messages in error.message_dict.items()}


@transaction.atomic
def round_self_assessment_save(
    *, evaluation_round: EvaluationRound, user: User, answers: Sequence[SelfAssessment]
) -> EvaluationRound:
    """Save the head's answers to many items at once (the self-assessment page), all or nothing: each item's new files
    and figures first, then its answer, so a page that answers an item met and gives its evidence at once is kept.
    Every file, the figures asked for and the evidence of every item answered met are checked before anything is kept;
    errors are keyed `<item code>.<field>` (`met`, `note`, `file`, `figures`)."""
    evaluation_round = _locked(evaluation_round, status=RoundStatus.OPEN)
    _require_head(user, evaluation_round.station)
    items = _items_by_code(evaluation_round, [answer.code for answer in answers])
    errors: dict[str, list[str]] = {}
    for answer in answers:
        item = items[answer.code]
        try:
            for file in answer.files:
                _evidence_check(file)
            if answer.figures:
                figures_take(station=evaluation_round.station, item=item)
            elif answer.met is True and item.evidence_required and not answer.files and not _has_evidence(item):
                raise _evidence_missing(item)
        except ValidationError as error:
            errors.update(_keyed(answer.code, error))
    if errors:
        raise ValidationError(errors)
    stored: list[str] = []
    try:
        for answer in answers:
            try:
                for file in answer.files:
                    stored.append(evidence_add(item=items[answer.code], user=user, file=file).file.name)
                if answer.figures:
                    figures_attach(item=items[answer.code], user=user)
                item_self_assess(item=items[answer.code], user=user, met=answer.met, note=answer.note)
            except ValidationError as error:
                errors.update(_keyed(answer.code, error))
        if errors:
            raise ValidationError(errors)
    except Exception:
        for name in stored:  # the rows roll back with the page; their files go too
            default_storage.delete(name)
        raise
    return evaluation_round


@transaction.atomic
def round_submit(*, evaluation_round: EvaluationRound, user: User) -> EvaluationRound:
    """The head submits the self-assessment for review: every item answered, and every item answered met that asks
    for evidence with some (errors keyed `<item code>.met`). The bureau's administrators are e-mailed."""
    evaluation_round = _locked(evaluation_round, status=RoundStatus.OPEN)
    _require_head(user, evaluation_round.station)
    items = EvaluationItem.objects.filter(evaluation_round=evaluation_round).prefetch_related("evidence")
    errors = {}
    for item in items.order_by("position"):
        if item.self_met is None:
            errors[f"{item.code}.met"] = [_("Say whether this requirement is met.")]
        elif item.self_met and item.evidence_required and item.figures is None and not item.evidence.all():
            errors.update(_keyed(item.code, _evidence_missing(item)))
    if errors:
        raise ValidationError(errors, code="incomplete")
    evaluation_round.status = RoundStatus.SUBMITTED
    evaluation_round.submitted_by = user
    evaluation_round.submitted_at = timezone.now()
    evaluation_round.save(update_fields=["status", "submitted_by", "submitted_at"])
    _tell(evaluation_round, event="submitted", recipients=_admin_emails())
    logger.info("station %s: evaluation round %s submitted", evaluation_round.station.code, evaluation_round.number)
    return evaluation_round


# --- The review (the bureau) ------------------------------------------------------------------------------------


def _score_of(item: EvaluationItem, *, met: bool | None, score: int | None) -> int | None:
    """The item's score from the reviewer's score and/or met: met alone is the full weight, not met alone 0; given
    both, they must agree (met is the full weight, not met less). Refused on `score`."""
    if score is not None and not 0 <= score <= item.weight:
        raise ValidationError(
            {"score": [_("Give a score from 0 to the item's weight, %(weight)s.") % {"weight": item.weight}]},
            code="score_out_of_range",
        )
    if score is None:
        return None if met is None else (item.weight if met else 0)
    if met is True and score < item.weight:
        raise ValidationError(
            {
                "score": [
                    _("A met item scores its full weight, %(weight)s: give a lower score as not met.")
                    % {"weight": item.weight}
                ]
            },
            code="score_not_met",
        )
    if met is False and score == item.weight:
        raise ValidationError(
            {"score": [_("An item not met scores less than its weight, %(weight)s.") % {"weight": item.weight}]},
            code="score_met",
        )
    return score


@transaction.atomic
def item_review(
    *, item: EvaluationItem, user: User, met: bool | None = None, remark: str = "", score: int | None = None
) -> EvaluationItem:
    """A bureau administrator's result for one item of a submitted round: its score, 0 to the item's weight (met is
    the full weight; anything less is not met, in part when above 0), given as `score` and/or `met` (see
    `_score_of`; neither: not reviewed yet), and a remark, required when the item is not met (it tells the head what to
    rectify)."""
    _require_admin(user)
    _evaluation_round, item = _item_locked(item, status=RoundStatus.SUBMITTED)
    score = _score_of(item, met=met, score=score)
    met = None if score is None else score == item.weight
    remark = remark.strip()
    if met is False and not remark:
        raise ValidationError({"remark": [_("Say what is not met.")]}, code="remark_required")
    item.review_score = score
    item.review_met = met
    item.remark = remark
    item.reviewed_by = None if met is None else user
    item.reviewed_at = None if met is None else timezone.now()
    item.full_clean(exclude=["evaluation_round"])
    item.save(update_fields=["review_score", "review_met", "remark", "reviewed_by", "reviewed_at"])
    return item


@transaction.atomic
def round_review_save(*, evaluation_round: EvaluationRound, user: User, reviews: Sequence[Review]) -> EvaluationRound:
    """Save the reviewer's results for many items at once (the console's review page), all or nothing; errors keyed
    `<item code>.<field>` (`met`, `score`, `remark`)."""
    _require_admin(user)
    evaluation_round = _locked(evaluation_round, status=RoundStatus.SUBMITTED)
    items = _items_by_code(evaluation_round, [review.code for review in reviews])
    errors: dict[str, list[str]] = {}
    for review in reviews:
        try:
            item_review(item=items[review.code], user=user, met=review.met, remark=review.remark, score=review.score)
        except ValidationError as error:
            errors.update(_keyed(review.code, error))
    if errors:
        raise ValidationError(errors)
    return evaluation_round


def _conclusion_errors(
    evaluation_round: EvaluationRound, items: list[EvaluationItem], conclusion: str, summary: str, rectify_by
) -> dict[str, list[str]]:
    """What keeps the reviewer's conclusion from standing, by field: an item not scored yet; an approval the scores do
    not allow (a required item scored 0, or the total below the pass mark); a rectification without a date, with
    nothing to rectify, or, where the scores propose approval, without its reason; a rejection without its reason."""
    errors = {f"{item.code}.met": [_("Review this item: met or not met.")] for item in items if item.review_met is None}
    not_met = items_not_met(items=items)
    proposal = round_proposal(evaluation_round=evaluation_round, items=items)
    if conclusion not in Conclusion.values:
        errors["conclusion"] = [_("Choose a conclusion.")]
    elif conclusion == Conclusion.APPROVED:
        if proposal.required_zero:
            errors["conclusion"] = [
                _("Required items score 0 (%(codes)s): ask for rectification or reject.")
                % {"codes": "、".join(proposal.required_zero)}
            ]
        elif proposal.below_pass_mark and not errors:
            errors["conclusion"] = [
                _("The total, %(total)s, is below the pass mark, %(pass_mark)s: ask for rectification or reject.")
                % {"total": proposal.total, "pass_mark": proposal.pass_mark}
            ]
    elif conclusion == Conclusion.RECTIFY:
        if not not_met and not any(code.endswith(".met") for code in errors):
            errors["conclusion"] = [_("Every item is met: there is nothing to rectify.")]
        elif proposal.conclusion == Conclusion.APPROVED and not summary:
            errors["summary"] = [
                _("The total, %(total)s, reaches the pass mark, %(pass_mark)s: say why the station must rectify.")
                % {"total": proposal.total, "pass_mark": proposal.pass_mark}
            ]
        if rectify_by is None:
            errors["rectify_by"] = [_("Say by when the station must rectify.")]
        elif rectify_by <= timezone.localdate():
            errors["rectify_by"] = [_("The rectification date must be after today.")]
    elif not summary:
        errors["summary"] = [_("Say why the station is rejected.")]
    return errors


@transaction.atomic
def round_conclude(
    *,
    evaluation_round: EvaluationRound,
    user: User,
    conclusion: str,
    summary: str = "",
    rectify_by: datetime.date | None = None,
    request: HttpRequest | None = None,
) -> EvaluationRound:
    """Conclude a submitted round once every item is scored (see the module's docstring for what each conclusion
    does). Approval needs the weighted total at the pass mark or above and no required (应) item scored 0;
    rectification needs a later date, an item not fully met, and its reason (`summary`) when the scores propose
    approval; a rejection needs its reason. The score (the weighted total) is computed. A bureau administrator only."""
    _require_admin(user)
    evaluation_round = _locked(evaluation_round, status=RoundStatus.SUBMITTED)
    station = Station.objects.select_for_update().get(pk=evaluation_round.station_id)
    items = list(EvaluationItem.objects.filter(evaluation_round=evaluation_round).order_by("position"))
    summary = summary.strip()
    errors = _conclusion_errors(evaluation_round, items, conclusion, summary, rectify_by)
    if errors:
        raise ValidationError(errors)
    evaluation_round.status = RoundStatus.CONCLUDED
    evaluation_round.conclusion = conclusion
    evaluation_round.summary = summary
    evaluation_round.rectify_by = rectify_by if conclusion == Conclusion.RECTIFY else None
    evaluation_round.score = round_score(items=items)
    evaluation_round.concluded_by = user
    evaluation_round.concluded_at = timezone.now()
    evaluation_round.full_clean(validate_constraints=False)
    evaluation_round.save()
    _tell(evaluation_round, event="concluded", recipients=_head_emails(station))

    if conclusion == Conclusion.APPROVED:
        due_on = timezone.localdate() + datetime.timedelta(days=settings.EVALUATION_INTERVAL_DAYS)
        _round_create(station=station, kind=RoundKind.REEVALUATION, user=user, due_on=due_on, scheduled=True)
    elif conclusion == Conclusion.RECTIFY:
        _round_create(
            station=station, kind=RoundKind.FOLLOW_UP, user=user, due_on=rectify_by, previous=evaluation_round
        )
    else:
        _reject(station, evaluation_round, user, request)
    audit_record(
        action=AuditAction.EVALUATION_CONCLUDED,
        request=request,
        user=user,
        station_code=station.code,
        target=f"{station.name} #{evaluation_round.number}",
        detail=conclusion,
    )
    logger.info("station %s: evaluation round %s %s", station.code, evaluation_round.number, conclusion)
    return evaluation_round


def _reject(station: Station, evaluation_round: EvaluationRound, user: User, request: HttpRequest | None) -> None:
    """A station under evaluation goes back to draft; a published one is suspended (it no longer meets clause 4); a
    suspended one stays so. The status change carries the round's reason."""
    to = {StationStatus.EVALUATING: StationStatus.DRAFT, StationStatus.PUBLISHED: StationStatus.SUSPENDED}.get(
        station.status
    )
    if to is None:
        return
    with translation.override(settings.LANGUAGE_CODE):
        reason = _("Evaluation round %(number)s rejected: %(summary)s") % {
            "number": evaluation_round.number,
            "summary": evaluation_round.summary,
        }
    station_change_status(station=station, status=to, reason=reason, user=user, request=request)


# --- Round templates (the bureau) ----------------------------------------------------------------------------------


@transaction.atomic
def template_update(
    *, template: ChecklistTemplate, user: User, pass_mark: int, weights: dict[str, int]
) -> ChecklistTemplate:
    """Set a round template's pass mark (1-100) and the weights of its items (by code, 1-`WEIGHT_MAX`; an item left
    out keeps its weight). Rounds opened before keep what they copied; the next round of the template's kind opens with
    these. Refused by field (`pass_mark`, or the item's code). A bureau administrator only."""
    require_bureau_admin(user=user, message=_("Only the bureau's administrators set the round templates."))
    template = ChecklistTemplate.objects.select_for_update().get(pk=template.pk)
    codes = {entry.code for entry in CHECKLIST}
    errors: dict[str, list[str]] = {}
    unknown = sorted(set(weights) - codes)
    if unknown:
        errors["weights"] = [_("Not items of the checklist: %(codes)s.") % {"codes": "、".join(unknown)}]
    for code, weight in weights.items():
        if code in codes and not 1 <= weight <= WEIGHT_MAX:
            errors[code] = [_("Give a weight from 1 to %(max)s.") % {"max": WEIGHT_MAX}]
    if not 1 <= pass_mark <= 100:
        errors["pass_mark"] = [_("Give a pass mark from 1 to 100.")]
    if errors:
        raise ValidationError(errors, code="invalid_template")
    current = {row.code: row for row in template.weights.all()}
    for code, weight in weights.items():
        row = current.get(code) or ChecklistTemplateWeight(template=template, code=code)
        if row.pk is None or row.weight != weight:
            row.weight = weight
            row.full_clean()
            row.save()
    template.pass_mark = pass_mark
    template.updated_by = user
    template.updated_at = timezone.now()
    template.full_clean()
    template.save()
    logger.info("round template %s updated: pass mark %s", template.kind, pass_mark)
    return template


# --- Rectification follow-through -----------------------------------------------------------------------------------

# How many days before a rectification date its station's heads and the bureau's administrators are reminded: once
# within each window (the narrowest one the day falls in), then once when the date has passed.
RECTIFY_REMIND_DAYS = (7, 1)


def _rectification_tell(evaluation_round: EvaluationRound, *, kind: str, key: str, title: str, body: str) -> int:
    station = evaluation_round.station
    console = reverse(
        "console:evaluation_round",
        urlconf=settings.PUBLIC_SCHEMA_URLCONF,
        kwargs={"pk": station.pk, "number": evaluation_round.number},
    )
    told = notify(
        recipients=station_heads(station=station),
        kind=kind,
        key=key,
        title=title,
        body=body,
        url=station_reverse(station.code, "evaluation:round", number=evaluation_round.number),
        station=station,
    )
    return told + notify(
        recipients=_admins(), kind=kind, key=key, title=title, body=body, url=public_url(console), station=station
    )


@transaction.atomic
def rectification_remind(*, today: datetime.date | None = None) -> int:
    """Remind each station's heads and the bureau's administrators of a rectification follow-up not concluded yet:
    once when its date is `RECTIFY_REMIND_DAYS` days away or nearer (7, then 1: the date itself counts as the last
    day), and once when the date has passed. Each reminder is one event per round and window (a notification's key),
    so a daily run tells nobody twice. Returns how many people were told. Run daily by beat."""
    today = today or timezone.localdate()
    told = 0
    horizon = today + datetime.timedelta(days=max(RECTIFY_REMIND_DAYS))
    for evaluation_round in rectifications_under_way().filter(due_on__lte=horizon):
        station, due_on = evaluation_round.station, evaluation_round.due_on
        days_left = (due_on - today).days
        facts = {"station": station.name, "number": evaluation_round.number, "date": due_on.isoformat()}
        with translation.override(settings.LANGUAGE_CODE):
            if days_left < 0:
                kind, key = RECTIFICATION_OVERDUE, f"{RECTIFICATION_OVERDUE}:{evaluation_round.pk}"
                title = _("%(station)s: the rectification due on %(date)s is overdue") % facts
                body = _(
                    "The follow-up round %(number)s was due on %(date)s and is not concluded (%(days)s days overdue)."
                ) % {**facts, "days": -days_left}
            else:
                window = min(days for days in RECTIFY_REMIND_DAYS if days_left <= days)
                kind, key = RECTIFICATION_DUE, f"{RECTIFICATION_DUE}:{evaluation_round.pk}:{window}"
                title = _("%(station)s: the rectification is due on %(date)s") % facts
                body = (
                    _(
                        "The follow-up round %(number)s is due on %(date)s: the station head submits the rectification, "
                        "the bureau reviews and concludes it."
                    )
                    % facts
                )
        told += _rectification_tell(evaluation_round, kind=kind, key=key, title=title, body=body)
    return told


# Publication (公示, clause 3): a station is published once an evaluation round approves it. The rule needs both the
# station and its rounds, so it lives here, above tenants.


def _evaluation_approved_check(station: Station) -> None:
    """Refuse to publish a station whose latest concluded evaluation round is not approved (or that has none)."""
    latest = round_latest_concluded(station=station)
    if latest is None:
        message = _("The station's evaluation is not concluded yet: publish it once a round is approved.")
    elif latest.conclusion != Conclusion.APPROVED:
        message = _(
            "The latest evaluation round (No. %(number)s) concluded “%(conclusion)s”: "
            "publish the station once a round is approved."
        ) % {"number": latest.number, "conclusion": latest.get_conclusion_display()}
    elif withdrawn := publication_withdrawn_since(station=station, since=latest.concluded_at):
        # An objection upheld after the approval took the station back to evaluation: a new round must approve it.
        message = _(
            "An objection to the publication of %(date)s was upheld after round No. %(number)s approved the station: "
            "publish it again once a new round is approved."
        ) % {"date": f"{timezone.localtime(withdrawn.publication.published_at):%Y-%m-%d}", "number": latest.number}
    else:
        return
    raise ValidationError({"evaluation": [message]}, code="not_approved")


@transaction.atomic
def station_publish(
    *, station: Station, user: User, notice_days: int | None = None, request: HttpRequest | None = None
) -> StationPublication:
    """Publish a station (公示, clause 3) on the public portal: a bureau administrator only. The station must be under
    evaluation with its latest concluded evaluation round approved (this app's rounds; otherwise a ValidationError on
    `evaluation`), or published already (republishing after a change needs no new round). It moves to published when
    needed, and a new `StationPublication` keeps a snapshot of what is published, with the public notice running
    `notice_days` (settings.PUBLICATION_NOTICE_DAYS)."""
    require_bureau_admin(user=user, message=_("Only the bureau's administrators publish a station."))
    notice_days = settings.PUBLICATION_NOTICE_DAYS if notice_days is None else notice_days
    if notice_days < 0:
        raise ValidationError({"notice_days": _("The notice period cannot be negative.")}, code="negative_notice")
    station = Station.objects.select_for_update().get(pk=station.pk)
    if station.status == StationStatus.EVALUATING:
        _evaluation_approved_check(station)
        station = station_change_status(station=station, status=StationStatus.PUBLISHED, user=user, request=request)
    elif station.status != StationStatus.PUBLISHED:
        raise ValidationError(
            {
                "status": _(
                    "Only a station under evaluation or already published can be published; this one is “%(status)s”."
                )
                % {"status": station.get_status_display()}
            },
            code="not_publishable",
        )
    station = Station.objects.prefetch_related(station_items_prefetch()).get(pk=station.pk)
    published_at = timezone.now()
    publication = StationPublication(
        station=station,
        published_at=published_at,
        notice_until=published_at + datetime.timedelta(days=notice_days),
        published_by=user,
        snapshot=station_public_facts(station=station),
    )
    publication.full_clean()
    publication.save()
    publication_outcome_start(publication=publication)  # its public notice starts (objections: services.publication)
    audit_record(
        action=AuditAction.STATION_PUBLISHED,
        request=request,
        user=user,
        station_code=station.code,
        target=station.name,
        detail=f"notice until {timezone.localtime(publication.notice_until):%Y-%m-%d}",
    )
    logger.info("station %s published (publication %s)", station.code, publication.pk)
    return publication


# Objections to a publication and the outcome of its notice (公示异议): `services.publication`, which builds on the
# services above (so it is imported last).
from core.evaluation.services.publication import (  # noqa: E402, F401  (re-exported)
    objection_create,
    objection_form_stamp,
    objection_form_stamp_check,
    objection_handle,
    publication_finalise,
    publication_outcome_start,
)

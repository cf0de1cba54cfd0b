"""Reads of evaluation rounds (public schema). A station's rounds are always read through its station, so a round,
item or evidence of another station is "does not exist"."""

import datetime
from dataclasses import dataclass

from django.db.models import Count, Prefetch, Q, QuerySet
from django.utils import timezone

from core.evaluation.checklist import CHECKLIST, PASS_MARK
from core.evaluation.models import (
    ChecklistTemplate,
    Conclusion,
    EvaluationEvidence,
    EvaluationItem,
    EvaluationRound,
    RoundKind,
    RoundStatus,
)
from tenants.models import Station


def round_list(*, station: Station) -> QuerySet[EvaluationRound]:
    """The station's rounds, newest first, with their item counts (`item_count`, `met_count`, `answered_count`)."""
    return (
        EvaluationRound.objects.filter(station=station)
        .select_related("opened_by", "concluded_by")
        .annotate(
            item_count=Count("items"),
            met_count=Count("items", filter=Q(items__review_met=True)),
            answered_count=Count("items", filter=Q(items__self_met__isnull=False)),
        )
        .order_by("-number")
    )


def _with_items(rounds: QuerySet[EvaluationRound]) -> QuerySet[EvaluationRound]:
    items = EvaluationItem.objects.select_related("reviewed_by", "figures_taken_by").prefetch_related(
        Prefetch("evidence", queryset=EvaluationEvidence.objects.select_related("uploaded_by"))
    )
    return rounds.select_related("station", "opened_by", "submitted_by", "concluded_by", "previous").prefetch_related(
        Prefetch("items", queryset=items)
    )


def round_get(*, station: Station, number: int) -> EvaluationRound | None:
    """A round of the station by its number, with its items and their evidence, or None."""
    return _with_items(EvaluationRound.objects.filter(station=station, number=number)).first()


def round_current(*, station: Station) -> EvaluationRound | None:
    """The round the station works on or last worked on: the newest that is not merely scheduled, with its items."""
    rounds = EvaluationRound.objects.filter(station=station).exclude(status=RoundStatus.SCHEDULED)
    return _with_items(rounds.order_by("-number")).first()


def round_scheduled(*, station: Station) -> EvaluationRound | None:
    """The re-evaluation scheduled for the station (not open yet), or None."""
    return EvaluationRound.objects.filter(station=station, status=RoundStatus.SCHEDULED).first()


def round_latest_concluded(*, station: Station) -> EvaluationRound | None:
    return EvaluationRound.objects.filter(station=station, status=RoundStatus.CONCLUDED).order_by("-number").first()


def item_get(*, evaluation_round: EvaluationRound, code: str) -> EvaluationItem | None:
    return EvaluationItem.objects.filter(evaluation_round=evaluation_round, code=code).first()


def evidence_get(*, station: Station, pk: int) -> EvaluationEvidence | None:
    """An evidence file of one of the station's rounds, or None."""
    return (
        EvaluationEvidence.objects.select_related("item__evaluation_round__station")
        .filter(pk=pk, item__evaluation_round__station=station)
        .first()
    )


def round_score(*, items) -> int | None:
    """The round's weighted total out of 100: the items' scores (an item not scored yet counts 0) over their weights,
    rounded down (so a total shown as 80 has reached a pass mark of 80), or None for a round without items. Computed,
    never entered."""
    items = list(items)
    weights = sum(item.weight for item in items)
    if not weights:
        return None
    return 100 * sum(item.review_score or 0 for item in items) // weights


@dataclass(frozen=True)
class Proposal:
    """What a round's scores propose (`conclusion`: approved or rectify; None while an item is not scored yet): the
    total, the pass mark, and the required (应) items scored 0, any of which keeps a round from approval."""

    conclusion: str | None
    total: int | None
    pass_mark: int
    required_zero: tuple[str, ...]
    below_pass_mark: bool


def round_proposal(*, evaluation_round: EvaluationRound, items=None) -> Proposal:
    """The conclusion the round's scores propose: approved when the weighted total reaches the round's pass mark and
    no required (应) item scored 0; rectify otherwise. The reviewer confirms it or overrides it (`round_conclude`)."""
    items = list(evaluation_round.items.all() if items is None else items)
    pass_mark = evaluation_round.pass_mark or PASS_MARK
    weights = sum(item.weight for item in items)
    scored = sum(item.review_score or 0 for item in items)
    required_zero = tuple(item.code for item in items if item.required and item.review_score == 0)
    below = weights > 0 and 100 * scored < pass_mark * weights
    if not items or any(item.review_score is None for item in items):
        conclusion = None
    else:
        conclusion = Conclusion.RECTIFY if below or required_zero else Conclusion.APPROVED
    return Proposal(conclusion, round_score(items=items), pass_mark, required_zero, below)


def items_not_met(*, items) -> list[EvaluationItem]:
    """The items scored below their weight (not met, or met in part)."""
    return [item for item in items if item.review_met is False]


# --- Round templates ------------------------------------------------------------------------------------------------


def template_list() -> list[ChecklistTemplate]:
    """The round templates (initial evaluation, re-evaluation) with their weights."""
    return list(ChecklistTemplate.objects.select_related("updated_by").prefetch_related("weights").order_by("kind"))


def template_get(*, kind: str) -> ChecklistTemplate | None:
    return ChecklistTemplate.objects.select_related("updated_by").prefetch_related("weights").filter(kind=kind).first()


def template_for_round(*, kind: str) -> ChecklistTemplate | None:
    """The template a round of `kind` opens with: its own kind's (a follow-up takes its weights from the round it
    follows up, not from a template)."""
    return template_get(kind=RoundKind.REEVALUATION if kind == RoundKind.REEVALUATION else RoundKind.INITIAL)


def template_weights(*, template: ChecklistTemplate | None) -> dict[str, int]:
    """Each checklist item's weight in `template`, by code: the template's, else the checklist's default."""
    chosen = {} if template is None else {row.code: row.weight for row in template.weights.all()}
    return {entry.code: chosen.get(entry.code, entry.default_weight) for entry in CHECKLIST}


# --- Rectifications -------------------------------------------------------------------------------------------------


def rectifications_under_way() -> QuerySet[EvaluationRound]:
    """The rectification follow-ups not concluded yet, with their due date, oldest date first."""
    return (
        EvaluationRound.objects.filter(kind=RoundKind.FOLLOW_UP, due_on__isnull=False)
        .exclude(status=RoundStatus.CONCLUDED)
        .select_related("station", "previous")
        .order_by("due_on", "station__name")
    )


def rectifications_overdue(*, today: datetime.date | None = None) -> list[EvaluationRound]:
    """The rectifications whose date has passed without a concluded follow-up, each with `days_overdue`."""
    today = today or timezone.localdate()
    rounds = list(rectifications_under_way().filter(due_on__lt=today))
    for evaluation_round in rounds:
        evaluation_round.days_overdue = (today - evaluation_round.due_on).days
    return rounds

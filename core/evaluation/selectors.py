"""Reads of evaluation rounds (public schema). A station's rounds are always read through its station, so a round,
item or evidence of another station is "does not exist"."""

from django.db.models import Count, Prefetch, Q, QuerySet

from core.evaluation.models import EvaluationEvidence, EvaluationItem, EvaluationRound, RoundStatus
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
    """The share of items found met, in percent (rounded half up), or None for a round without items. The score is
    computed, never entered: the conclusion is the reviewer's judgement, the score only counts."""
    items = list(items)
    if not items:
        return None
    met = sum(1 for item in items if item.review_met)
    return (200 * met + len(items)) // (2 * len(items))


def items_not_met(*, items) -> list[EvaluationItem]:
    return [item for item in items if item.review_met is False]

"""Writes of the head's reviews and the staff assessment (clauses 6.3, 6.4), in the active station's schema. Only
the station head writes: every service checks it (pages and the API check it before, too).

- `case_review_mark`: the head marks an important case for review, saying why; `case_review_write` writes the
  review (findings, conclusion, follow-up), once: a written review is final.
- `staff_assessment_open`: the head opens a member's assessment for a month or a quarter, pre-filled from the data
  (`selectors.assessment_prefill`); `staff_assessments_open` does it for every staff member at once;
  `staff_assessment_refresh` recomputes the pre-fill of a draft; `staff_assessment_adjust` sets the levels (a level
  other than the pre-filled one needs a remark); `staff_assessment_confirm` confirms it, after which it is frozen.
"""

import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.assessment import selectors
from core.assessment.models import DIMENSIONS, CaseReview, Level, PeriodKind, StaffAssessment
from core.common.versions import version_check
from core.desk.models import ServiceCase
from tenants.models import User
from tenants.selectors import require_head

# --- Reviews (clause 6.3) ------------------------------------------------------------------------------------------


@transaction.atomic
def case_review_mark(*, case: ServiceCase, user: User, reason: str) -> CaseReview:
    """Mark an important case for the head's review (clause 6.3), with why it matters. A case is marked once."""
    require_head(user=user)
    case = ServiceCase.objects.select_for_update().get(pk=case.pk)
    if CaseReview.objects.filter(case=case).exists():
        raise ValidationError({"case": [_("This case is marked for review already.")]}, code="marked")
    review = CaseReview(case=case, reason=reason.strip(), marked_by=user, marked_at=timezone.now())
    review.full_clean()
    review.save()
    return review


@transaction.atomic
def case_review_write(
    *, review: CaseReview, user: User, findings: str, conclusion: str, follow_up: str = ""
) -> CaseReview:
    """Write the review of a marked case: what was found, the conclusion and the follow-up asked for. Final once
    written (clause 7.2: records are true and kept; a trigger refuses changing a written review)."""
    require_head(user=user)
    review = CaseReview.objects.select_for_update().get(pk=review.pk)
    if review.reviewed_at is not None:
        raise ValidationError({"__all__": [_("This review is written already and cannot be changed.")]}, code="final")
    review.findings, review.conclusion, review.follow_up = findings.strip(), conclusion, follow_up.strip()
    errors = {}
    if not review.findings:
        errors["findings"] = [_("Write what the review found.")]
    if not review.conclusion:
        errors["conclusion"] = [_("Choose a conclusion.")]
    try:
        review.full_clean()
    except ValidationError as error:
        for name, messages in error.message_dict.items():
            errors.setdefault(name, messages)
    if errors:
        raise ValidationError(errors)
    review.reviewed_by, review.reviewed_at = user, timezone.now()
    review.save()
    return review


# --- Staff assessment (clause 6.4) ---------------------------------------------------------------------------------


def _prefill_onto(assessment: StaffAssessment) -> None:
    figures = selectors.assessment_prefill(
        member=assessment.member, start=assessment.period_start, end=assessment.period_end
    )
    assessment.figures = figures
    for dimension in DIMENSIONS:
        level = figures[dimension]["level"]
        setattr(assessment, f"prefilled_{dimension}", level)
        setattr(assessment, dimension, level)


@transaction.atomic
def staff_assessment_open(
    *, user: User, member: User, period_kind: str, period_start: datetime.date
) -> StaffAssessment:
    """Open `member`'s assessment for the month or quarter starting on `period_start`, pre-filled from the data of
    that period. A period not yet ended can be opened (a draft is refreshed later); one per member and period."""
    require_head(user=user)
    errors = {}
    if period_kind not in PeriodKind.values:
        errors["period_kind"] = [_("Choose a month or a quarter.")]
    elif selectors.period_bounds(kind=period_kind, start=period_start)[0] != period_start:
        errors["period_start"] = [_("A period starts on the first day of its month or quarter.")]
    elif period_start > timezone.localdate():
        errors["period_start"] = [_("This period has not started yet.")]
    if not selectors.assessable_members().filter(pk=member.pk).exists():
        errors["member"] = [_("Only a staff member of this station is assessed.")]
    if errors:
        raise ValidationError(errors)
    if StaffAssessment.objects.filter(member=member, period_kind=period_kind, period_start=period_start).exists():
        raise ValidationError(
            {"member": [_("This member's assessment for this period is open already.")]}, code="exists"
        )
    start, end = selectors.period_bounds(kind=period_kind, start=period_start)
    assessment = StaffAssessment(
        member=member,
        period_kind=period_kind,
        period_start=start,
        period_end=end,
        prepared_by=user,
        prepared_at=timezone.now(),
    )
    _prefill_onto(assessment)
    assessment.full_clean()
    assessment.save()
    return assessment


@transaction.atomic
def staff_assessments_open(*, user: User, period_kind: str, period_start: datetime.date) -> list[StaffAssessment]:
    """Open the period's assessment of every staff member who has none yet."""
    require_head(user=user)
    taken = set(
        StaffAssessment.objects.filter(period_kind=period_kind, period_start=period_start).values_list(
            "member_id", flat=True
        )
    )
    return [
        staff_assessment_open(user=user, member=member, period_kind=period_kind, period_start=period_start)
        for member in selectors.assessable_members()
        if member.pk not in taken
    ]


def _locked_draft(assessment: StaffAssessment, expected_version: int | None) -> StaffAssessment:
    assessment = StaffAssessment.objects.select_for_update().select_related("member").get(pk=assessment.pk)
    if assessment.confirmed_at is not None:
        raise ValidationError(
            {"__all__": [_("This assessment is confirmed: it can no longer be changed.")]}, code="confirmed"
        )
    version_check(assessment, expected_version)
    return assessment


@transaction.atomic
def staff_assessment_refresh(
    *, assessment: StaffAssessment, user: User, expected_version: int | None = None
) -> StaffAssessment:
    """Recompute a draft's pre-fill from the data as it is now; the head's levels and remarks start again from it."""
    require_head(user=user)
    assessment = _locked_draft(assessment, expected_version)
    _prefill_onto(assessment)
    for dimension in DIMENSIONS:
        setattr(assessment, f"{dimension}_remark", "")
    assessment.version += 1
    assessment.save()
    return assessment


@transaction.atomic
def staff_assessment_adjust(
    *, assessment: StaffAssessment, user: User, expected_version: int | None = None, **changes
) -> StaffAssessment:
    """Set the levels of a draft: `civility`, `timeliness`, `accuracy`, their `<dimension>_remark`s and the overall
    `remark`. A level other than the one the data suggested needs a remark saying why."""
    require_head(user=user)
    allowed = {*DIMENSIONS, *(f"{d}_remark" for d in DIMENSIONS), "remark"}
    unknown = set(changes) - allowed
    if unknown:
        raise TypeError(f"not fields of an assessment: {sorted(unknown)}")
    assessment = _locked_draft(assessment, expected_version)
    for name, value in changes.items():
        setattr(assessment, name, value.strip() if name.endswith("remark") else value)
    errors = _level_errors(assessment, need_levels=False)
    try:
        assessment.full_clean()
    except ValidationError as error:
        for name, messages in error.message_dict.items():
            errors.setdefault(name, messages)
    if errors:
        raise ValidationError(errors)
    assessment.version += 1
    assessment.save()
    return assessment


def _level_errors(assessment: StaffAssessment, *, need_levels: bool) -> dict[str, list[str]]:
    errors = {}
    for dimension in DIMENSIONS:
        level = getattr(assessment, dimension)
        if level and level not in Level.values:
            continue  # full_clean says so
        if need_levels and not level:
            errors[dimension] = [_("Set a level.")]
        elif level != getattr(assessment, f"prefilled_{dimension}") and not getattr(assessment, f"{dimension}_remark"):
            errors[f"{dimension}_remark"] = [_("Say why the level differs from the one the data suggests.")]
    return errors


@transaction.atomic
def staff_assessment_confirm(
    *, assessment: StaffAssessment, user: User, expected_version: int | None = None
) -> StaffAssessment:
    """Confirm an assessment (clause 6.4): every dimension has a level, each one changed from the pre-fill says why.
    From then on it is frozen (the services refuse changes; a trigger refuses UPDATE and DELETE)."""
    require_head(user=user)
    assessment = _locked_draft(assessment, expected_version)
    errors = _level_errors(assessment, need_levels=True)
    if errors:
        raise ValidationError(errors)
    assessment.confirmed_by, assessment.confirmed_at = user, timezone.now()
    assessment.version += 1
    assessment.save()
    return assessment

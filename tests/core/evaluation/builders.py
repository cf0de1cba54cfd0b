"""Builders of evaluation rounds for tests, through the real services, and sample files of each kind by content."""

import functools
import io
import zipfile

from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image
from pypdf import PdfWriter

from core.evaluation import services
from core.evaluation.checklist import CHECKLIST
from core.evaluation.models import Conclusion, EvaluationRound
from tenants import tasks as tenants_tasks

CODES = [entry.code for entry in CHECKLIST]


def _picture(image_format: str) -> bytes:
    """A small real picture: uploads must decode (core.uploads.checks), not only start with the right bytes."""
    buffer = io.BytesIO()
    Image.new("RGB", (4, 3), "white").save(buffer, image_format)
    return buffer.getvalue()


def _one_page_pdf() -> bytes:
    """A real one-page PDF: uploads must parse (core.uploads.checks), not only start with %PDF-."""
    writer, buffer = PdfWriter(), io.BytesIO()
    writer.add_blank_page(width=595, height=842)
    writer.write(buffer)
    return buffer.getvalue()


PNG = _picture("PNG")
PDF = _one_page_pdf()
JPEG = _picture("JPEG")


def office(main_part: str) -> bytes:
    """A minimal Office Open XML package (a ZIP) whose main part is `main_part`."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr(main_part, "<document/>")
    return buffer.getvalue()


def upload(name: str, content: bytes, content_type: str = "application/octet-stream") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type=content_type)


def open_round(city, station=None) -> EvaluationRound:
    """The station (alpha) put under evaluation by the bureau's administrator: round 1 open."""
    return services.evaluation_start(station=station or city.alpha, user=city.bureau_admin)


def evidence_needed(evaluation_round) -> list:
    """The round's items that ask for evidence and have none yet."""
    return [
        item
        for item in evaluation_round.items.filter(evidence_required=True, figures__isnull=True).order_by("position")
        if not item.evidence.exists()
    ]


def give_evidence(evaluation_round, head, *, skip=()) -> None:
    """A PDF for every item that asks for evidence and has none yet (but `skip`)."""
    for item in evidence_needed(evaluation_round):
        if item.code not in skip:
            services.evidence_add(item=item, user=head, file=upload(f"{item.code}.pdf", PDF))


def self_assess(evaluation_round, head, *, skip=(), met=True) -> None:
    """Every item (but `skip`) answered `met`; answered met, each item that asks for evidence and has none gets a PDF
    of its own in the same save, as the head gives it on the page."""
    needing = {item.code for item in evidence_needed(evaluation_round)} if met else set()
    answers = [
        services.SelfAssessment(
            code=code, met=met, note="见附件", files=[upload(f"{code}.pdf", PDF)] if code in needing else []
        )
        for code in CODES
        if code not in skip
    ]
    services.round_self_assessment_save(evaluation_round=evaluation_round, user=head, answers=answers)


def submitted_round(city, station=None, head=None) -> EvaluationRound:
    """Round 1 of alpha answered (every item met, by the head) and submitted."""
    evaluation_round = open_round(city, station)
    head = head or city.alpha_head
    self_assess(evaluation_round, head)
    return services.round_submit(evaluation_round=evaluation_round, user=head)


def review(evaluation_round, admin, *, not_met=()) -> None:
    """Every item reviewed: met, except `not_met` (each with a remark)."""
    reviews = [
        services.Review(code=code, met=code not in not_met, remark="未见相关材料" if code in not_met else "")
        for code in evaluation_round.items.values_list("code", flat=True)
    ]
    services.round_review_save(evaluation_round=evaluation_round, user=admin, reviews=reviews)


def conclude(city, evaluation_round, conclusion=Conclusion.APPROVED, *, not_met=(), **extra) -> EvaluationRound:
    review(evaluation_round, city.bureau_admin, not_met=not_met)
    return services.round_conclude(
        evaluation_round=evaluation_round, user=city.bureau_admin, conclusion=conclusion, **extra
    )


def queued_mails(callbacks) -> list[dict]:
    """The kwargs of the round e-mails the captured on-commit callbacks queue."""
    return [
        callback.args[2]
        for callback in callbacks
        if isinstance(callback, functools.partial)
        and callback.func is tenants_tasks.queue
        and callback.args[0].name.endswith("round_mail_task")
    ]

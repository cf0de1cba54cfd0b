"""An evaluation round approved with every requirement met, through the real services: for the demo city (which
publishes its stations) and for tests that need a publishable station."""

import struct
import zlib

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction

from core.evaluation import selectors, services
from core.evaluation.figures import figures_take
from core.evaluation.models import Conclusion, EvaluationItem, EvaluationRound, EvidenceKind, RoundStatus
from tenants.models import Station, User
from tenants.selectors import station_heads


def _png(width: int = 32, height: int = 24) -> bytes:
    """A small grey picture: the demo's stand-in for a photo of the site."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    rows = b"".join(b"\x00" + b"\xc0" * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)  # 8-bit greyscale
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")


def _pdf(line: str) -> bytes:
    """A one-page PDF saying `line` (ASCII): the demo's stand-in for a document."""
    text = line.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
    stream = f"BT /F1 14 Tf 60 760 Td ({text}) Tj ET".encode("ascii")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out, offsets = bytearray(b"%PDF-1.4\n"), []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def demo_evidence_file(item: EvaluationItem) -> SimpleUploadedFile:
    """A stand-in evidence file for an item: a picture where it asks for photos, a PDF otherwise."""
    if item.evidence_kind == EvidenceKind.PHOTOS:
        return SimpleUploadedFile(f"{item.code} 现场照片（演示）.png", _png(), content_type="image/png")
    content = _pdf(f"StationNet demo evidence - requirement {item.code}")
    return SimpleUploadedFile(f"{item.code} 证明材料（演示）.pdf", content, content_type="application/pdf")


def _answer(station: Station, item: EvaluationItem, note: str) -> services.SelfAssessment:
    """Met, with the evidence the item asks for: the operations figures where the registers show something, else a
    stand-in file (an item carried over with its evidence needs nothing more)."""
    if not item.evidence_required or item.figures is not None or item.evidence.exists():
        return services.SelfAssessment(code=item.code, met=True, note=note)
    if item.figures_source:
        try:
            figures_take(station=station, item=item)
        except ValidationError:
            pass  # nothing to show yet (e.g. the written system is not published): a file instead
        else:
            return services.SelfAssessment(code=item.code, met=True, note=note, figures=True)
    return services.SelfAssessment(code=item.code, met=True, note=note, files=[demo_evidence_file(item)])


@transaction.atomic
def round_approve_all(*, station: Station, admin: User, note: str = "") -> EvaluationRound:
    """The station's round approved with every item met: its current round if it is approved already; otherwise the
    round under way, or a new one (`evaluation_start`) — the head answers every item met, with the evidence each asks
    for (the operations figures where its registers have them, a stand-in file otherwise), and submits it; `admin`
    reviews every item met and approves it."""
    evaluation_round = selectors.round_current(station=station)
    if evaluation_round is not None and evaluation_round.conclusion == Conclusion.APPROVED:
        return evaluation_round
    if evaluation_round is None or evaluation_round.status == RoundStatus.CONCLUDED:
        evaluation_round = services.evaluation_start(station=station, user=admin)
    items = list(evaluation_round.items.order_by("position"))
    if evaluation_round.status == RoundStatus.OPEN:
        head = station_heads(station=station)[0]
        answers = [_answer(station, item, note) for item in items]
        services.round_self_assessment_save(evaluation_round=evaluation_round, user=head, answers=answers)
        services.round_submit(evaluation_round=evaluation_round, user=head)
    reviews = [services.Review(code=item.code, met=True) for item in items]
    services.round_review_save(evaluation_round=evaluation_round, user=admin, reviews=reviews)
    return services.round_conclude(evaluation_round=evaluation_round, user=admin, conclusion=Conclusion.APPROVED)

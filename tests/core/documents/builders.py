"""Builders of documents' tests: files of each kind by content (from the evaluation's builders), and an upload."""

from core.documents import services
from core.documents.models import Document
from tests.core.evaluation.builders import JPEG, PDF, PNG, office, upload

__all__ = ["JPEG", "PDF", "PNG", "TEXT_PDF", "office", "report", "upload"]

# A "PDF" that is really text: refused by its content, whatever its name says.
TEXT_PDF = "这不是一份报告，只是文字。\n".encode()


def report(city, case, *, title="压力表检定报告", name="报告.pdf", content=PDF, kind="report", user=None) -> Document:
    """Upload a report to `case` (its station's schema current) as alpha's staff."""
    return services.document_upload(
        user=user or city.alpha_staff,
        demand=case.demand,
        case=case,
        kind=kind,
        title=title,
        file=upload(name, content),
    )

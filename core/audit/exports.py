"""The audit trail as CSV, written row by row while it is sent (`StreamingHttpResponse`): UTF-8 with a byte-order mark
so that Excel opens the Chinese text, every cell made inert (`core.common.spreadsheets.cell_value`)."""

import csv
import io
from collections.abc import Iterable, Iterator

from django.db.models import QuerySet
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from core.audit.models import AuditAction, AuditEntry, AuditOutcome
from core.common.spreadsheets import cell_value
from tenants.models import BureauRole, MemberRole

CHUNK = 500


def role_label(role: str) -> str:
    """The role an entry names, as people call it (a member's, a bureau role, or the platform's own name)."""
    labels = {**dict(MemberRole.choices), **{k: v for k, v in BureauRole.choices if k}}
    return str(labels.get(role, role))


def audit_csv_headers() -> list[str]:
    return [
        _("Time"),
        _("User"),
        _("Role"),
        _("Station"),
        _("Host"),
        _("IP address"),
        _("Action"),
        _("Object"),
        _("Outcome"),
        _("Detail"),
    ]


def audit_csv_row(entry: AuditEntry) -> list:
    return [
        timezone.localtime(entry.at).strftime("%Y-%m-%d %H:%M:%S"),
        entry.username,
        role_label(entry.role),
        entry.station_code,
        entry.host,
        entry.address or "",
        str(AuditAction(entry.action).label) if entry.action in AuditAction.values else entry.action,
        entry.target,
        str(AuditOutcome(entry.outcome).label) if entry.outcome in AuditOutcome.values else entry.outcome,
        entry.detail,
    ]


def _line(writer_buffer: io.StringIO, writer, values: Iterable) -> str:
    writer.writerow([cell_value(value) for value in values])
    text = writer_buffer.getvalue()
    writer_buffer.seek(0)
    writer_buffer.truncate()
    return text


def audit_csv_stream(entries: QuerySet[AuditEntry], *, language: str) -> Iterator[bytes]:
    """The CSV of `entries` in `language` (the request's: the rows are written after the view has returned), a
    byte-order mark and the headers first, then the rows a few hundred at a time."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    with translation.override(language):
        yield ("\ufeff" + _line(buffer, writer, audit_csv_headers())).encode("utf-8")
        lines = []
        for entry in entries.iterator(chunk_size=CHUNK):
            lines.append(_line(buffer, writer, audit_csv_row(entry)))
            if len(lines) >= CHUNK:
                yield "".join(lines).encode("utf-8")
                lines = []
        if lines:
            yield "".join(lines).encode("utf-8")

"""Bulk import of enterprises and institutions from CSV or XLSX, run by a Celery job with progress.

Every row is validated on its own (a cell holding a NUL or another control character, or longer than the reader's
bound, makes a bad row); a bad row is reported and never blocks the good ones: a batch the database refuses anyway is
saved again one row at a time, each in a savepoint of its own. Enterprises are matched by their USCC (institutions by
USCC, else by name): a known entry is updated when the importer may edit it (the bureau, or the station that added
it) and otherwise kept as it is. The job's result is a per-row report of every row that was not imported as given.
"""

import datetime
import logging
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import DatabaseError, IntegrityError, transaction
from django.db.models.functions import Upper
from django.utils import timezone
from django.utils.translation import gettext as _

from core.audit.models import AuditAction
from core.audit.services import audit_record
from core.catalog.models import ServiceItem
from core.common.spreadsheets import CSV_TYPE, write_csv
from core.common.text import TextValidator, text_nfkc
from core.directory.columns import ENTERPRISE_COLUMNS, INSTITUTION_COLUMNS, QUALIFICATION_CODES, Column
from core.directory.models import Enterprise, Institution, Qualification, QualificationKind
from core.directory.pinyin import search_names_fill
from core.directory.tables import RowError, UnreadableFile, read_rows
from core.jobs.models import Job
from core.jobs.services import job_fail, job_finish, job_progress, job_start
from tenants.models import Station, User

logger = logging.getLogger(__name__)

BATCH = 1000
# Every cell is text of one line (the platform's rule for text fields: no NUL, no control character).
ONE_LINE_TEXT = TextValidator()

CREATED, UPDATED, KEPT, FAILED = "created", "updated", "kept", "failed"


@dataclass
class Row:
    number: int  # the row's line in the sheet (the header is line 1)
    cells: list[str]
    values: dict = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)


@dataclass
class Outcome:
    counts: dict = field(default_factory=lambda: {CREATED: 0, UPDATED: 0, KEPT: 0, FAILED: 0})
    report: list[list[str]] = field(default_factory=list)

    def add(self, row: Row, status: str, message: str = "") -> None:
        self.counts[status] += 1
        if status in {KEPT, FAILED}:
            self.report.append([str(row.number), STATUS_LABELS[status](), message, *row.cells])


STATUS_LABELS = {
    CREATED: lambda: _("created"),
    UPDATED: lambda: _("updated"),
    KEPT: lambda: _("kept"),
    FAILED: lambda: _("failed"),
}


def _parse(row: Row, columns: tuple[Column, ...], positions: dict[str, int]) -> None:
    for column in columns:
        index = positions.get(column.header)
        text = row.cells[index].strip() if index is not None and index < len(row.cells) else ""
        try:
            ONE_LINE_TEXT(text)
        except ValidationError as error:
            row.errors.append(f"{column.header}：{' '.join(error.messages)}")
            continue
        if column.required and not text:
            row.errors.append(f"{column.header}：{_('This field is required.')}")
            continue
        try:
            row.values[column.field] = column.parse(text)
        except ValidationError as error:
            row.errors.append(f"{column.header}：{' '.join(error.messages)}")


def _model_errors(error: ValidationError, columns: tuple[Column, ...]) -> list[str]:
    headers = {column.field: column.header for column in columns}
    return [
        f"{headers.get(name, name)}：{' '.join(messages)}" if name != "__all__" else " ".join(messages)
        for name, messages in error.message_dict.items()
    ]


def _check_headers(headers: list[str], columns: tuple[Column, ...]) -> dict[str, int]:
    positions = {header.strip(): index for index, header in enumerate(headers)}
    missing = [column.header for column in columns if column.required and column.header not in positions]
    if missing:
        raise ValidationError(_("The file lacks the columns: %(columns)s.") % {"columns": "、".join(missing)})
    return positions


def _may_edit(source_station_id: int | None, station: Station | None) -> bool:
    """The bureau edits every entry; a station edits the entries it added."""
    return station is None or source_station_id == station.pk


def _import_enterprise_batch(rows: list[Row], station: Station | None, actor_id, outcome: Outcome, seen: dict) -> None:
    candidates: dict[str, tuple[Row, Enterprise]] = {}
    for row in rows:
        if row.errors:
            outcome.add(row, FAILED, "；".join(row.errors))
            continue
        enterprise = Enterprise(**row.values, source_station=station, created_by_id=actor_id)
        search_names_fill(enterprise)
        try:
            enterprise.full_clean(validate_unique=False, validate_constraints=False)
        except ValidationError as error:
            outcome.add(row, FAILED, "；".join(_model_errors(error, ENTERPRISE_COLUMNS)))
            continue
        if enterprise.uscc in seen:
            outcome.add(row, FAILED, _("Same USCC as row %(row)s of this file.") % {"row": seen[enterprise.uscc]})
            continue
        seen[enterprise.uscc] = row.number
        candidates[enterprise.uscc] = (row, enterprise)

    existing = {
        e.uscc: e for e in Enterprise.objects.filter(uscc__in=list(candidates)).only("id", "uscc", "source_station")
    }
    creates, updates, now = [], [], timezone.now()
    for uscc, (row, enterprise) in candidates.items():
        known = existing.get(uscc)
        if known is None:
            creates.append((row, enterprise))
        elif _may_edit(known.source_station_id, station):
            enterprise.pk, enterprise.source_station_id = known.pk, known.source_station_id
            enterprise.updated_at = now  # bulk_update does not run auto_now
            updates.append((row, enterprise))
        else:
            outcome.add(row, KEPT, _("Already in the directory, added by someone else; kept as it is."))
    fields = [c.field for c in ENTERPRISE_COLUMNS if c.field != "uscc"] + ["name_pinyin", "name_initials", "updated_at"]
    try:
        with transaction.atomic():
            Enterprise.objects.bulk_create([e for _, e in creates])
            # Updates as one INSERT … ON CONFLICT (uscc) DO UPDATE: far cheaper than bulk_update's CASE per field.
            # Only rows checked above are sent, and an entry's owner (source_station) is never among the fields.
            Enterprise.objects.bulk_create(
                [_as_new(e) for _, e in updates], update_conflicts=True, unique_fields=["uscc"], update_fields=fields
            )
    except (DatabaseError, ValueError):
        # Someone added one of these codes meanwhile, or a row holds what the database refuses: fall back to one row
        # at a time for this batch, each in its own savepoint, so that the bad row costs no good one.
        planned = [(row, e, CREATED, None) for row, e in creates] + [(row, e, UPDATED, fields) for row, e in updates]
        for row, enterprise, status, update_fields in planned:
            try:
                with transaction.atomic():
                    enterprise.save(update_fields=update_fields)
            except IntegrityError:
                outcome.add(row, KEPT, _("Already in the directory, added by someone else; kept as it is."))
            except (DatabaseError, ValueError):
                logger.warning("import: row %s refused by the database", row.number, exc_info=True)
                outcome.add(row, FAILED, _row_refused())
            else:
                outcome.add(row, status)
        return
    for row, _e in creates:
        outcome.add(row, CREATED)
    for row, _e in updates:
        outcome.add(row, UPDATED)


def _row_refused() -> str:
    return _("This row could not be saved: check it for unusual characters or values.")


def _as_new(enterprise: Enterprise) -> Enterprise:
    """A copy without the primary key, for the upsert (its insert half never happens for a known USCC)."""
    copy = Enterprise(**{f.attname: getattr(enterprise, f.attname) for f in Enterprise._meta.concrete_fields})
    copy.pk = None
    return copy


def _parse_qualifications(text: str) -> list[Qualification]:
    qualifications = []
    kinds = {code.upper(): kind for kind, code in QUALIFICATION_CODES.items()}
    for part in [p for p in text.replace("；", ";").split(";") if p.strip()]:
        pieces = [p.strip() for p in part.split("|")]
        if len(pieces) != 3:
            raise ValidationError(_("Write each certificate as kind|number|valid until, separated by semicolons."))
        kind, number, until = pieces
        try:
            valid_until = datetime.date.fromisoformat(until)
        except ValueError:
            raise ValidationError(_("“%(value)s” is not a date like 2027-12-31.") % {"value": until}) from None
        qualifications.append(
            Qualification(kind=kinds.get(kind.upper(), QualificationKind.OTHER), number=number, valid_until=valid_until)
        )
    return qualifications


def _import_institution_row(row: Row, station: Station | None, actor_id, outcome: Outcome) -> None:
    if row.errors:
        outcome.add(row, FAILED, "；".join(row.errors))
        return
    values = dict(row.values)
    values["name"] = text_nfkc(values["name"]).strip()  # matched to a known institution in its normal form
    clauses = values.pop("items", [])
    try:
        qualifications = _parse_qualifications(values.pop("qualifications", ""))
    except ValidationError as error:
        outcome.add(row, FAILED, f"{INSTITUTION_COLUMNS[-1].header}：{' '.join(error.messages)}")
        return
    items = list(ServiceItem.objects.filter(clause__in=clauses))
    unknown = sorted(set(clauses) - {item.clause for item in items})
    if unknown:
        outcome.add(row, FAILED, _("Unknown service items: %(items)s.") % {"items": "、".join(unknown)})
        return
    lookup = {"uscc": values["uscc"]} if values.get("uscc") else {"name_upper": values["name"].upper()}
    known = Institution.objects.annotate(name_upper=Upper("name")).filter(**lookup).first()
    if known is not None and not _may_edit(known.source_station_id, station):
        outcome.add(row, KEPT, _("Already in the directory, added by someone else; kept as it is."))
        return
    institution = known or Institution(source_station=station, created_by_id=actor_id)
    for name, value in values.items():
        setattr(institution, name, value)
    search_names_fill(institution)
    try:
        with transaction.atomic():
            institution.full_clean()
            institution.save()
            institution.items.set(items)
            for qualification in qualifications:
                qualification.institution = institution
                qualification.full_clean(validate_unique=False)
                saved, created = Qualification.objects.update_or_create(
                    kind=qualification.kind,
                    number=qualification.number,
                    defaults={"institution": institution, "valid_until": qualification.valid_until},
                )
                if created:  # the sheet names no items: a new certificate covers what the institution offers
                    saved.items.set(items)
    except ValidationError as error:
        outcome.add(row, FAILED, "；".join(_model_errors(error, INSTITUTION_COLUMNS)))
        return
    except (DatabaseError, ValueError):
        logger.warning("import: row %s refused by the database", row.number, exc_info=True)
        outcome.add(row, FAILED, _row_refused())
        return
    outcome.add(row, UPDATED if known else CREATED)


KINDS = {
    "directory.enterprise_import": ENTERPRISE_COLUMNS,
    "directory.institution_import": INSTITUTION_COLUMNS,
}


def directory_import_run(*, job_id: int, station_id: int | None) -> Job:
    """Run an import job to its end (called by the Celery task). Safe to run again for a finished job."""
    job = Job.objects.get(pk=job_id)
    if job.finished_at is not None:
        return job
    if not job.input_file:
        return job_fail(job_id=job_id, error=_("The file of this import is no longer kept: upload it again."))
    columns = KINDS[job.kind]
    station = Station.objects.filter(pk=station_id).first() if station_id else None
    with job.input_file.open("rb") as file:
        try:
            headers, rows, total = read_rows(job.input_name, file)
            positions = _check_headers(headers, columns)
        except UnreadableFile:
            return job_fail(job_id=job_id, error=_("The file could not be read: upload a CSV or XLSX file."))
        except ValidationError as error:
            return job_fail(job_id=job_id, error=" ".join(error.messages))

        job_start(job_id=job_id, total=total)
        outcome, seen, batch, done = Outcome(), {}, [], 0
        try:
            for number, cells in enumerate(rows, start=2):
                if isinstance(cells, RowError):
                    row = Row(number=number, cells=[], errors=[cells.message])
                else:
                    row = Row(number=number, cells=cells)
                    _parse(row, columns, positions)
                batch.append(row)
                if len(batch) == BATCH:
                    done += _flush(job, batch, station, outcome, seen)
                    job_progress(job_id=job_id, done=done)
                    batch = []
        except UnreadableFile:
            # The rows before the broken part are kept (each batch is committed); the report says how far it got.
            done += _flush(job, batch, station, outcome, seen)
            return job_fail(
                job_id=job_id,
                error=_("The file could not be read after row %(row)s; the rows before it were imported.")
                % {"row": done + 1},
            )
        done += _flush(job, batch, station, outcome, seen)

    _audit_import(job=job, station=station, counts=outcome.counts)
    report_headers = [_("row"), _("result"), _("explanation"), *[c.header for c in columns]]
    return job_finish(
        job_id=job_id,
        summary=outcome.counts,
        result_name=f"{job.input_name.rsplit('.', 1)[0]}-report.csv",
        result_data=write_csv(report_headers, outcome.report) if outcome.report else b"",
        result_content_type=CSV_TYPE,
    )


def _audit_import(*, job: Job, station: Station | None, counts: dict) -> None:
    """The import's changes of the directory in the audit trail, once it has run: who started it, where, how many
    entries it added and changed (no request: it runs in a worker)."""
    audit_record(
        action=AuditAction.DIRECTORY_CHANGED,
        user=User.objects.filter(pk=job.created_by_id).first(),
        username=job.created_by_name,
        station_code=station.code if station else "",
        target=f"import {job.input_name} (job {job.pk})",
        detail="; ".join(f"{name}={count}" for name, count in sorted(counts.items())),
    )


def _flush(job: Job, batch: list[Row], station, outcome: Outcome, seen: dict) -> int:
    if job.kind == "directory.enterprise_import":
        _import_enterprise_batch(batch, station, job.created_by_id, outcome, seen)
    else:
        for row in batch:
            _import_institution_row(row, station, job.created_by_id, outcome)
    return len(batch)

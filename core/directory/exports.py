"""Export of the directory with the import's columns (so an export can be edited and imported back), and the
sample files of the import page.

An export's filters are the search's, checked by `export_filters_clean` when the export is asked for (an unknown
filter or a value the search does not know is refused there, on `filters`) and again by the job, which fails with
the same reason rather than stay queued. Cells are written by `core.common.spreadsheets` (text kept inert)."""

from collections.abc import Callable

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from core.catalog.models import ServiceItem
from core.common.spreadsheets import CSV_TYPE, XLSX_TYPE, write_csv, write_xlsx
from core.common.text import TextValidator
from core.directory.columns import ENTERPRISE_COLUMNS, INSTITUTION_COLUMNS, QUALIFICATION_CODES
from core.directory.models import EnterpriseScale, Industry, Institution, InstitutionKind
from core.directory.selectors import EXPIRED_SHOWN, enterprise_search, institution_search
from core.districts import District
from core.jobs.models import Job
from core.jobs.services import job_finish, job_progress, job_start

PROGRESS_EVERY = 2000
FILTER_MAX_CHARS = 200
ONE_LINE_TEXT = TextValidator()

SPECS = {
    "directory.enterprise_export": (ENTERPRISE_COLUMNS, lambda filters: enterprise_search(**filters)),
    "directory.institution_export": (INSTITUTION_COLUMNS, lambda filters: institution_search(**filters)),
}


def _known_items() -> set[str]:
    return set(ServiceItem.objects.values_list("clause", flat=True))


# The filters each export takes (the search's own), with the values each accepts (None: any short text).
FILTERS: dict[str, dict[str, Callable[[], set[str]] | None]] = {
    "directory.enterprise_export": {
        "q": None,
        "uscc": None,
        "district": lambda: set(District.values),
        "industry": lambda: set(Industry.values),
        "scale": lambda: set(EnterpriseScale.values),
    },
    "directory.institution_export": {
        "q": None,
        "kind": lambda: set(InstitutionKind.values),
        "district": lambda: set(District.values),
        "item": _known_items,
        "expired": lambda: {EXPIRED_SHOWN},
    },
}


def _text_error(value: str) -> str:
    try:
        ONE_LINE_TEXT(value)
    except ValidationError as error:
        return " ".join(error.messages)
    return ""


def export_filters_clean(*, kind: str, filters) -> dict[str, str]:
    """The filters of an export of `kind`, checked: each a filter of that search with text it accepts (a blank one is
    left out). A ValidationError on `filters` names what is wrong."""
    accepted = FILTERS[kind]
    if not isinstance(filters, dict):
        raise ValidationError({"filters": [_("Give the filters as names with their values.")]}, code="invalid")
    errors, cleaned = [], {}
    for name, value in filters.items():
        if name not in accepted:
            errors.append(
                _("“%(name)s” is not a filter of this list; the filters are %(names)s.")
                % {"name": str(name)[:FILTER_MAX_CHARS], "names": "、".join(accepted)}
            )
        elif not isinstance(value, str):
            errors.append(_("The filter “%(name)s” takes text.") % {"name": name})
        elif len(value) > FILTER_MAX_CHARS:
            errors.append(
                _("The filter “%(name)s” is longer than %(limit)s characters.")
                % {"name": name, "limit": FILTER_MAX_CHARS}
            )
        elif message := _text_error(value):
            errors.append(_("The filter “%(name)s”: %(message)s") % {"name": name, "message": message})
        elif value.strip():
            choices = accepted[name]
            if choices is not None and value not in choices():
                errors.append(
                    _("“%(value)s” is not a value of the filter “%(name)s”.") % {"value": value, "name": name}
                )
            else:
                cleaned[name] = value
    if errors:
        raise ValidationError({"filters": errors}, code="invalid")
    return cleaned


def _value(entry, column):
    if isinstance(entry, Institution) and column.field == "items":
        return "、".join(item.clause for item in entry.items.all())
    if isinstance(entry, Institution) and column.field == "qualifications":
        return "; ".join(
            f"{QUALIFICATION_CODES[q.kind]}|{q.number}|{q.valid_until.isoformat()}" for q in entry.qualifications.all()
        )
    return column.fmt(getattr(entry, column.field))


def directory_export_run(*, job_id: int, filters: dict) -> Job:
    job = Job.objects.get(pk=job_id)
    if job.finished_at is not None:
        return job
    columns, search = SPECS[job.kind]
    entries = search(export_filters_clean(kind=job.kind, filters=filters)).order_by("id")
    job_start(job_id=job_id, total=entries.count())
    rows = []
    # iterator() keeps memory flat for large exports and still honours the institutions' prefetches.
    for count, entry in enumerate(entries.iterator(chunk_size=PROGRESS_EVERY), start=1):
        rows.append([_value(entry, column) for column in columns])
        if count % PROGRESS_EVERY == 0:
            job_progress(job_id=job_id, done=count)
    headers = [column.header for column in columns]
    xlsx = job.input_name.endswith(".xlsx")
    return job_finish(
        job_id=job_id,
        summary={"rows": len(rows)},
        result_name=job.input_name,
        result_data=write_xlsx(headers, rows) if xlsx else write_csv(headers, rows),
        result_content_type=XLSX_TYPE if xlsx else CSV_TYPE,
    )


def directory_sample(*, what: str, file_format: str) -> tuple[str, bytes, str]:
    """(file name, content, content type) of a sample import file with one filled-in row."""
    columns = ENTERPRISE_COLUMNS if what == "enterprises" else INSTITUTION_COLUMNS
    headers, row = [c.header for c in columns], [c.sample for c in columns]
    name = _("sample-%(what)s") % {"what": what}
    if file_format == "xlsx":
        return f"{name}.xlsx", write_xlsx(headers, [row]), XLSX_TYPE
    return f"{name}.csv", write_csv(headers, [row]), CSV_TYPE

"""Export of the directory with the import's columns (so an export can be edited and imported back), and the
sample files of the import page."""

from django.utils.translation import gettext as _

from core.directory.columns import ENTERPRISE_COLUMNS, INSTITUTION_COLUMNS, QUALIFICATION_CODES
from core.directory.models import Institution
from core.directory.selectors import enterprise_search, institution_search
from core.directory.tables import CSV_TYPE, XLSX_TYPE, write_csv, write_xlsx
from core.jobs.models import Job
from core.jobs.services import job_finish, job_progress, job_start

PROGRESS_EVERY = 2000

SPECS = {
    "directory.enterprise_export": (ENTERPRISE_COLUMNS, lambda filters: enterprise_search(**filters)),
    "directory.institution_export": (INSTITUTION_COLUMNS, lambda filters: institution_search(**filters)),
}


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
    entries = search(filters).order_by("id")
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

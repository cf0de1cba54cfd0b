"""Issue 20: archive numbers are given when a document is created (`core.archive.services.archive_entry_create`), no
longer when someone opens the enterprise's archive. In every station schema, every document of the archive's sources
that has no entry yet is numbered here, in creation order across all enterprises: by its date (a demand's, a case's
reception, a record's, a survey's, an opinion's or a complaint's reception, a document's upload), the sources in
their export order on the same instant (a demand before its cases), then by id. The number is the next of kind `da`
in the document's local year, from the station's gap-free sequence; the year's sequence moves on by as many.

Numbers already given (in the order the archives were viewed) are kept: an archive number is never reissued, and an
approved disposal lists the numbers it removed. So a year numbered partly before this migration holds its earlier
numbers in viewing order, then the rest in creation order, without a gap.

The models are this migration's historical ones; the station's code (the numbers' prefix) is its public row. The
template and spare schemas have no station row and no documents: nothing to do there."""

from django.db import migrations
from django.utils import timezone

KIND = "da"  # core.archive.services.NUMBER_KIND

# (app label, model, archive source key, position, date field, enterprise paths: the first one set is the enterprise)
SOURCES = [
    ("desk", "Demand", "desk.demand", 10, "created_at", ("enterprise_id",)),
    ("desk", "ServiceCase", "desk.case", 20, "received_at", ("demand__enterprise_id",)),
    ("desk", "ServiceRecord", "desk.record", 30, "created_at", ("case__demand__enterprise_id",)),
    ("desk", "Survey", "desk.survey", 40, "submitted_at", ("case__demand__enterprise_id",)),
    ("supervision", "Opinion", "supervision.opinion", 45, "received_at", ("case__demand__enterprise_id",)),
    (
        "complaints",
        "Complaint",
        "complaints.complaint",
        50,
        "received_at",
        ("case__demand__enterprise_id", "opinion__case__demand__enterprise_id"),
    ),
    ("documents", "Document", "documents.document", 60, "uploaded_at", ("demand__enterprise_id",)),
]


def unfiled_documents(apps) -> list[tuple]:
    """Every document of the archive's sources without an entry, in creation order: (date, position, id, source key,
    enterprise id). One that belongs to no enterprise (a complaint or an opinion about no case) is left out."""
    filed = set(apps.get_model("archive", "ArchiveEntry").objects.values_list("source", "object_id"))
    found = []
    for app_label, model_name, key, position, date_field, enterprise_paths in SOURCES:
        model = apps.get_model(app_label, model_name)
        for pk, recorded_at, *enterprises in model.objects.values_list("pk", date_field, *enterprise_paths):
            enterprise_id = next((e for e in enterprises if e is not None), None)
            if enterprise_id is not None and (key, pk) not in filed:
                found.append((recorded_at, position, pk, key, enterprise_id))
    found.sort()
    return found


def number_the_unfiled(apps, schema_editor):
    connection = schema_editor.connection
    Station = apps.get_model("tenants", "Station")
    ArchiveEntry = apps.get_model("archive", "ArchiveEntry")
    station = Station.objects.filter(schema_name=connection.schema_name).first()
    documents = unfiled_documents(apps) if station is not None else []
    if not documents:
        return
    by_year: dict[int, list[tuple]] = {}
    for document in documents:
        by_year.setdefault(timezone.localtime(document[0]).year, []).append(document)
    table = connection.ops.quote_name(apps.get_model("numbering", "NumberSequence")._meta.db_table)
    entries = []
    for year, filed in sorted(by_year.items()):
        with connection.cursor() as cursor:  # the year's sequence moves on by as many, under its row lock
            cursor.execute(
                f"INSERT INTO {table} (kind, year, last) VALUES (%s, %s, %s) "  # noqa: S608  (the model's own table)
                f"ON CONFLICT (kind, year) DO UPDATE SET last = {table}.last + EXCLUDED.last RETURNING last",
                [KIND, year, len(filed)],
            )
            first = cursor.fetchone()[0] - len(filed) + 1
        for serial, (recorded_at, _position, pk, key, enterprise_id) in enumerate(filed, start=first):
            entries.append(
                ArchiveEntry(
                    number=f"{station.code.upper()}-{KIND.upper()}-{year}-{serial:06d}",
                    enterprise_id=enterprise_id,
                    source=key,
                    object_id=pk,
                    recorded_at=recorded_at,
                )
            )
    ArchiveEntry.objects.bulk_create(entries, batch_size=1000)


class Migration(migrations.Migration):
    dependencies = [
        ("archive", "0003_access_everywhere"),
        ("complaints", "0003_alter_complaintevent_kind_complaintreminder"),
        ("desk", "0008_survey_frozen"),
        ("documents", "0002_never_deleted_never_changed"),
        ("numbering", "0001_initial"),
        ("supervision", "0002_planreminder"),
        ("tenants", "0008_user_notifications_unread"),
    ]

    operations = [migrations.RunPython(number_the_unfiled, migrations.RunPython.noop)]

"""Writes of the shared directory. Who may edit is checked here too, so every caller obeys one rule."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from core.catalog.models import ServiceItem
from core.directory import uscc
from core.directory.models import Enterprise, Institution, Qualification
from core.directory.selectors import directory_may_edit
from core.jobs.models import Job
from core.jobs.services import job_create
from tenants.models import Station, User

ENTERPRISE_FIELDS = (
    "name",
    "uscc",
    "legal_representative",
    "address",
    "district",
    "industry",
    "scale",
    "contact_person",
    "phone",
    "email",
)
INSTITUTION_FIELDS = ("name", "kind", "uscc", "address", "districts", "contact_person", "phone", "email", "is_active")


def _assign(entry, fields: tuple[str, ...], values: dict) -> None:
    unknown = set(values) - set(fields)
    if unknown:
        raise ValueError(f"unknown fields: {sorted(unknown)}")
    for name, value in values.items():
        if name == "uscc" and value:
            value = uscc.compact(value)
        setattr(entry, name, value.strip() if isinstance(value, str) else value)


def _check_may_edit(*, user: User, station: Station | None, entry) -> None:
    if not directory_may_edit(user=user, station=station, entry=entry):
        raise PermissionDenied(_("Only the bureau and the station that added this entry may change it."))


def _enterprise_check(enterprise: Enterprise) -> None:
    """`full_clean`, with a code already in the directory refused on the USCC field in words that name the entry
    that has it (error code "unique"). The code is compared in its compact form (`_assign`), however it was typed."""
    errors: dict = {}
    try:
        enterprise.full_clean(validate_unique=False)
    except ValidationError as error:
        errors = error.error_dict
    if "uscc" not in errors:
        holder = Enterprise.objects.filter(uscc=enterprise.uscc).exclude(pk=enterprise.pk).only("name").first()
        if holder is not None:
            errors["uscc"] = [
                ValidationError(
                    _("This unified social credit code is already in the directory, as “%(name)s”.")
                    % {"name": holder.name},
                    code="unique",
                )
            ]
    if errors:
        raise ValidationError(errors)


def _enterprise_save(enterprise: Enterprise) -> None:
    try:
        with transaction.atomic():
            enterprise.save()
    except IntegrityError:
        # Someone added the same code between the check and the save: refused like any other duplicate.
        _enterprise_check(enterprise)
        raise


@transaction.atomic
def enterprise_create(*, user: User | None, station: Station | None, **values) -> Enterprise:
    """Add an enterprise; `user` is None when the enterprise itself submits a demand online."""
    enterprise = Enterprise(source_station=station, created_by_id=user.pk if user else None)
    _assign(enterprise, ENTERPRISE_FIELDS, values)
    _enterprise_check(enterprise)
    _enterprise_save(enterprise)
    return enterprise


@transaction.atomic
def enterprise_update(*, enterprise: Enterprise, user: User, station: Station | None, **values) -> Enterprise:
    enterprise = Enterprise.objects.select_for_update().get(pk=enterprise.pk)
    _check_may_edit(user=user, station=station, entry=enterprise)
    _assign(enterprise, ENTERPRISE_FIELDS, values)
    _enterprise_check(enterprise)
    _enterprise_save(enterprise)
    return enterprise


def _set_items(institution: Institution, items: list[ServiceItem] | None) -> None:
    if items is None:
        return
    retired = [item.clause for item in items if item.retired_at is not None]
    if retired:
        raise ValidationError({"items": _("Retired service items: %(items)s.") % {"items": "、".join(retired)}})
    institution.items.set(items)


@transaction.atomic
def institution_create(
    *, user: User, station: Station | None, items: list[ServiceItem] | None = None, **values
) -> Institution:
    institution = Institution(source_station=station, created_by_id=user.pk)
    _assign(institution, INSTITUTION_FIELDS, values)
    institution.full_clean()
    institution.save()
    _set_items(institution, items)
    return institution


@transaction.atomic
def institution_update(
    *, institution: Institution, user: User, station: Station | None, items: list[ServiceItem] | None = None, **values
) -> Institution:
    institution = Institution.objects.select_for_update().get(pk=institution.pk)
    _check_may_edit(user=user, station=station, entry=institution)
    _assign(institution, INSTITUTION_FIELDS, values)
    institution.full_clean()
    institution.save()
    _set_items(institution, items)
    return institution


@transaction.atomic
def qualification_create(*, institution: Institution, user: User, station: Station | None, **values) -> Qualification:
    _check_may_edit(user=user, station=station, entry=institution)
    qualification = Qualification(institution=institution, **values)
    qualification.full_clean()
    qualification.save()
    return qualification


IMPORT_KINDS = {"enterprises": "directory.enterprise_import", "institutions": "directory.institution_import"}
EXPORT_KINDS = {"enterprises": "directory.enterprise_export", "institutions": "directory.institution_export"}


@transaction.atomic
def directory_import_start(*, what: str, user: User, station: Station | None, name: str, data: bytes) -> Job:
    """Queue an import of `what` ("enterprises" or "institutions") from an uploaded file; it runs once committed."""
    if not name.lower().endswith((".csv", ".xlsx")):
        raise ValidationError({"file": _("Upload a CSV or XLSX file.")})
    if not data:
        raise ValidationError({"file": _("The file is empty.")})
    job = job_create(kind=IMPORT_KINDS[what], user=user, input_name=name, input_data=data)
    from core.directory.tasks import directory_import_task

    station_id = station.pk if station else None
    transaction.on_commit(lambda: directory_import_task.delay(job_id=job.pk, station_id=station_id))
    return job


@transaction.atomic
def directory_export_start(*, what: str, user: User, file_format: str, filters: dict) -> Job:
    """Queue an export of `what` with the given search filters as CSV or XLSX."""
    if file_format not in {"csv", "xlsx"}:
        raise ValidationError({"format": _("Choose CSV or XLSX.")})
    job = job_create(kind=EXPORT_KINDS[what], user=user, input_name=f"{what}.{file_format}")
    from core.directory.tasks import directory_export_task

    transaction.on_commit(lambda: directory_export_task.delay(job_id=job.pk, filters=filters))
    return job

"""Writes of the shared directory. Who may edit is checked here too, so every caller obeys one rule."""

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.audit.models import AuditAction
from core.audit.services import audit_record
from core.catalog.models import ServiceItem
from core.directory import uscc
from core.directory.exports import export_filters_clean
from core.directory.models import Enterprise, Institution, Qualification
from core.directory.pinyin import search_names_fill
from core.directory.selectors import directory_editor_roles, directory_may_edit
from core.jobs.models import Job, job_kind_register
from core.jobs.services import job_create
from core.uploads.checks import upload_check
from tenants.models import Station, User
from tenants.selectors import PUBLIC, SystemActor, require_role

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
    """Set `values` on `entry`: the code compact, the name in NFKC with its pinyin and initials (`search_names_fill`)."""
    unknown = set(values) - set(fields)
    if unknown:
        raise ValueError(f"unknown fields: {sorted(unknown)}")
    for name, value in values.items():
        if name == "uscc" and value:
            value = uscc.compact(value)
        setattr(entry, name, value.strip() if isinstance(value, str) else value)
    search_names_fill(entry)


def _changed(entry, fields: tuple[str, ...], values: dict) -> list[str]:
    """The names of `fields` whose value in `values` differs from `entry`'s (before `_assign`)."""
    return [name for name in fields if name in values and getattr(entry, name) != values[name]]


def _audit(*, request, user, station: Station | None, entry, detail: str) -> None:
    """A change of the directory in the audit trail: who, where (the station, or the bureau), which entry."""
    kind = "enterprise" if isinstance(entry, Enterprise) else "institution"
    audit_record(
        action=AuditAction.DIRECTORY_CHANGED,
        request=request,
        user=user,
        station_code=station.code if station else "",
        target=f"{kind} #{entry.pk} {entry.name}",
        detail=detail,
    )


def _check_may_edit(*, user: User, station: Station | None, entry) -> None:
    if not directory_may_edit(user=user, station=station, entry=entry):
        raise PermissionDenied(_("Only the bureau and the station that added this entry may change it."))


def _check_may_add(*, user: User | SystemActor, station: Station | None, public: bool = False) -> None:
    """Bureau admins (no station) or `station`'s members add entries; `public`: so does the enterprise itself, at the
    portal's demand form (`PUBLIC`)."""
    roles = (*directory_editor_roles(station=station), *((PUBLIC.role,) if public else ()))
    message = _("Only the bureau's administrators and the stations' members add to the directory.")
    require_role(user=user, station=station, bureau=station is None, roles=roles, message=message)


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
def enterprise_create(
    *, user: User | SystemActor, station: Station | None, request: HttpRequest | None = None, **values
) -> Enterprise:
    """Add an enterprise: a bureau admin (no station), a member of `station`, or the enterprise itself submitting a
    demand online (`user` is `PUBLIC`)."""
    _check_may_add(user=user, station=station, public=True)
    enterprise = Enterprise(source_station=station, created_by_id=user.pk)
    _assign(enterprise, ENTERPRISE_FIELDS, values)
    _enterprise_check(enterprise)
    _enterprise_save(enterprise)
    _audit(request=request, user=user, station=station, entry=enterprise, detail="created")
    return enterprise


@transaction.atomic
def enterprise_update(
    *, enterprise: Enterprise, user: User, station: Station | None, request: HttpRequest | None = None, **values
) -> Enterprise:
    enterprise = Enterprise.objects.select_for_update().get(pk=enterprise.pk)
    _check_may_edit(user=user, station=station, entry=enterprise)
    changed = _changed(enterprise, ENTERPRISE_FIELDS, values)
    _assign(enterprise, ENTERPRISE_FIELDS, values)
    _enterprise_check(enterprise)
    _enterprise_save(enterprise)
    _audit(request=request, user=user, station=station, entry=enterprise, detail="changed: " + ", ".join(changed))
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
    *,
    user: User,
    station: Station | None,
    items: list[ServiceItem] | None = None,
    request: HttpRequest | None = None,
    **values,
) -> Institution:
    """Add an institution to the registry: a bureau admin (no station) or a member of `station`."""
    _check_may_add(user=user, station=station)
    institution = Institution(source_station=station, created_by_id=user.pk)
    _assign(institution, INSTITUTION_FIELDS, values)
    institution.full_clean()
    institution.save()
    _set_items(institution, items)
    _audit(request=request, user=user, station=station, entry=institution, detail="created")
    return institution


@transaction.atomic
def institution_update(
    *,
    institution: Institution,
    user: User,
    station: Station | None,
    items: list[ServiceItem] | None = None,
    request: HttpRequest | None = None,
    **values,
) -> Institution:
    institution = Institution.objects.select_for_update().get(pk=institution.pk)
    _check_may_edit(user=user, station=station, entry=institution)
    changed = _changed(institution, INSTITUTION_FIELDS, values) + (["items"] if items is not None else [])
    _assign(institution, INSTITUTION_FIELDS, values)
    institution.full_clean()
    institution.save()
    _set_items(institution, items)
    _audit(request=request, user=user, station=station, entry=institution, detail="changed: " + ", ".join(changed))
    return institution


def _qualification_items_check(institution: Institution, items: list[ServiceItem]) -> None:
    """A qualification covers items its institution offers: any other is refused, on `items`."""
    offered = set(institution.items.values_list("pk", flat=True))
    others = [item.clause for item in items if item.pk not in offered]
    if others:
        raise ValidationError(
            {
                "items": _(
                    "%(institution)s does not offer these items: %(items)s. Add them to its service items first."
                )
                % {"institution": institution.name, "items": "、".join(others)}
            },
            code="not_offered",
        )


@transaction.atomic
def qualification_create(
    *,
    institution: Institution,
    user: User,
    station: Station | None,
    items: list[ServiceItem] | None = None,
    request: HttpRequest | None = None,
    **values,
) -> Qualification:
    """Record a qualification of an institution and the catalog items it covers (among those the institution
    offers): whoever may edit the institution."""
    _check_may_edit(user=user, station=station, entry=institution)
    items = list(items or [])
    qualification = Qualification(institution=institution, **values)
    errors: dict = {}
    try:
        qualification.full_clean()
    except ValidationError as error:
        errors = error.update_error_dict(errors)
    try:
        _qualification_items_check(institution, items)
    except ValidationError as error:
        errors = error.update_error_dict(errors)
    if errors:
        raise ValidationError(errors)
    qualification.save()
    qualification.items.set(items)
    _audit(
        request=request,
        user=user,
        station=station,
        entry=institution,
        detail=f"qualification added: {qualification.kind} {qualification.number}",
    )
    return qualification


IMPORT_KINDS = {
    "enterprises": job_kind_register("directory.enterprise_import", gettext_lazy("Import of enterprises")),
    "institutions": job_kind_register("directory.institution_import", gettext_lazy("Import of institutions")),
}
EXPORT_KINDS = {
    "enterprises": job_kind_register("directory.enterprise_export", gettext_lazy("Export of the enterprise directory")),
    "institutions": job_kind_register(
        "directory.institution_export", gettext_lazy("Export of the institution registry")
    ),
}


def _import_file_check(file) -> None:
    """An import's file, before it is accepted: a CSV or XLSX file of at most `IMPORT_MAX_BYTES`; an XLSX file is
    checked as an upload (a workbook by its content, its parts bounded before anything inflates)."""
    name, limit = file.name or "", settings.IMPORT_MAX_BYTES
    if not name.lower().endswith((".csv", ".xlsx")):
        raise ValidationError({"file": _("Upload a CSV or XLSX file.")})
    if name.lower().endswith(".xlsx"):
        upload_check(file=file, allowed=["xlsx"], max_bytes=limit)
        return
    if not file.size:
        raise ValidationError({"file": _("The file is empty.")})
    if file.size > limit:
        raise ValidationError(
            {
                "file": _("The file “%(name)s” is %(size)s; files up to %(limit)s are accepted.")
                % {"name": name, "size": filesizeformat(file.size), "limit": filesizeformat(limit)}
            },
            code="too_large",
        )


@transaction.atomic
def directory_import_start(*, what: str, user: User, station: Station | None, file) -> Job:
    """Queue an import of `what` ("enterprises" or "institutions") from an uploaded file (kept in the default
    storage for the job); it runs once committed."""
    _check_may_add(user=user, station=station)
    _import_file_check(file)
    job = job_create(kind=IMPORT_KINDS[what], user=user, input_name=file.name[-200:], input_file=file)
    from core.directory.tasks import directory_import_task

    station_id = station.pk if station else None
    transaction.on_commit(lambda: directory_import_task.delay(job_id=job.pk, station_id=station_id))
    return job


@transaction.atomic
def directory_export_start(
    *, what: str, user: User, file_format: str, filters: dict, request: HttpRequest | None = None
) -> Job:
    """Queue an export of `what` with the given search filters as CSV or XLSX (recorded in the audit trail)."""
    if file_format not in {"csv", "xlsx"}:
        raise ValidationError({"format": _("Choose CSV or XLSX.")})
    filters = export_filters_clean(kind=EXPORT_KINDS[what], filters=filters)
    job = job_create(kind=EXPORT_KINDS[what], user=user, input_name=f"{what}.{file_format}")
    audit_record(
        action=AuditAction.EXPORTED,
        request=request,
        user=user,
        target=f"directory {what} (job {job.pk})",
        detail="; ".join(f"{name}={value}" for name, value in sorted(filters.items()) if value),
    )
    from core.directory.tasks import directory_export_task

    transaction.on_commit(lambda: directory_export_task.delay(job_id=job.pk, filters=filters))
    return job

"""Beat's pruning of the audit trail: once a day, the entries past `AUDIT_RETENTION_DAYS` are deleted and the pruning
recorded (`core.audit.services.audit_prune`)."""

from celery import shared_task
from django_tenants.utils import get_public_schema_name, schema_context

from core.audit.services import audit_prune
from tenants.selectors import PLATFORM


@shared_task
def audit_prune_task() -> int:
    with schema_context(get_public_schema_name()):
        return audit_prune(actor=PLATFORM)

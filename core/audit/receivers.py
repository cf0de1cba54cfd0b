"""Sign-ins and sign-outs in the audit trail: receivers of Django's own signals, so that every way of signing in (the
sign-in pages of both kinds of host, the admin) is recorded. They only call `audit_record`."""

from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver

from core.audit.models import AuditAction, AuditOutcome
from core.audit.services import audit_record


@receiver(user_logged_in, dispatch_uid="audit_signed_in")
def audit_signed_in(sender, request, user, **kwargs) -> None:
    audit_record(action=AuditAction.SIGN_IN, request=request, user=user, target=user.get_username())


@receiver(user_login_failed, dispatch_uid="audit_sign_in_failed")
def audit_sign_in_failed(sender, credentials, request=None, **kwargs) -> None:
    # The name as it was typed (the account may not exist); never the password, which Django has already masked.
    username = str(credentials.get("username") or "")
    audit_record(
        action=AuditAction.SIGN_IN_FAILED,
        request=request,
        username=username,
        target=username,
        outcome=AuditOutcome.FAILURE,
    )


@receiver(user_logged_out, dispatch_uid="audit_signed_out")
def audit_signed_out(sender, request, user, **kwargs) -> None:
    if user is None:  # signing out without being signed in
        return
    audit_record(action=AuditAction.SIGN_OUT, request=request, user=user, target=user.get_username())

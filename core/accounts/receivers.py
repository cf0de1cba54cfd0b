"""Glue from Django's and django-axes' signals to the services: a sign-in opens a `UserSession`, a sign-out closes it,
a lockout is recorded in the audit trail. No rule lives here."""

import time

from axes.signals import user_locked_out
from django.contrib.auth.signals import user_logged_in, user_logged_out
from django.dispatch import receiver

from core.accounts.middleware import SEEN_KEY, STARTED_KEY
from core.accounts.services import user_session_closed, user_session_start
from core.audit.models import AuditAction, AuditOutcome
from core.audit.services import audit_record


@receiver(user_logged_in, dispatch_uid="accounts.session_start")
def _session_start(sender, request, user, **kwargs):
    if request is None or not hasattr(request, "session"):
        return
    now = time.time()
    request.session[STARTED_KEY] = now
    request.session[SEEN_KEY] = now
    if not request.META.get("HTTP_HOST") and not request.META.get("SERVER_NAME"):
        return  # a sign-in made without a request from anywhere (a test client's force_login): no host to note
    user_session_start(request=request, user=user)


@receiver(user_logged_out, dispatch_uid="accounts.session_closed")
def _session_closed(sender, request, user, **kwargs):
    if request is not None and getattr(request, "session", None) is not None and request.session.session_key:
        user_session_closed(session_key=request.session.session_key)


@receiver(user_locked_out, dispatch_uid="accounts.locked_out")
def _locked_out(sender, request, username, ip_address, **kwargs):
    audit_record(
        action=AuditAction.LOCKED_OUT,
        request=request,
        user=None,
        username=username or "",
        target=" / ".join(part for part in (username, ip_address) if part),
        outcome=AuditOutcome.REFUSED,
    )

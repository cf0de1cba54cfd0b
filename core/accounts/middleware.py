"""Sessions that end by themselves (GB/T 22239-2019 身份鉴别: a session idle too long ends): after
`SESSION_IDLE_MINUTES` without a request, and `SESSION_MAX_HOURS` after the sign-in whatever happens. The next request
of an ended session is anonymous: a page sends it to the sign-in page with a message, the API answers 401. And
passwords changed periodically (身份鉴别: 定期更换): a password older than `PASSWORD_MAX_AGE_DAYS` sends every page
to the page that changes it (the API answers 403 with the reason)."""

import datetime
import time

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from core.audit.models import AuditAction
from core.audit.services import audit_record

STARTED_KEY = "stationnet_started"
SEEN_KEY = "stationnet_seen"
# Why the session ended, for the sign-in page (tenants.views.SignInView) to say.
ENDED_KEY = "session_ended_reason"
# A session's "last used" is written at most this often (seconds): not a write on every request.
SEEN_WRITE_EVERY = 60
# What a user whose password is too old may still reach: the page that changes it, signing out, the second factor.
PASSWORD_EXPIRED_OPEN = ("/accounts/password/", "/accounts/logout/", "/accounts/2fa/", "/static/", "/i18n/")


class SessionLimitsMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and hasattr(request, "session"):
            ended = self._check(request)
            if ended is not None:
                return ended
            if self._password_expired(request.user) and not request.path_info.startswith(PASSWORD_EXPIRED_OPEN):
                return self._password_change_asked(request)
        return self.get_response(request)

    @staticmethod
    def _password_expired(user) -> bool:
        days = settings.PASSWORD_MAX_AGE_DAYS
        changed = getattr(user, "password_changed_at", None)
        return bool(days and changed and timezone.now() - changed > datetime.timedelta(days=days))

    @staticmethod
    def _password_change_asked(request: HttpRequest) -> HttpResponse:
        message = _("Your password is more than %(days)d days old: set a new one to go on.") % {
            "days": settings.PASSWORD_MAX_AGE_DAYS
        }
        if request.path_info.startswith("/api/"):
            return JsonResponse({"detail": message}, status=403)
        return redirect(f"{reverse('accounts:password_change')}?expired=1")

    def _check(self, request: HttpRequest) -> HttpResponse | None:
        from core.accounts.services import user_session_closed, user_session_seen

        session = request.session
        now = time.time()
        started, seen = session.get(STARTED_KEY), session.get(SEEN_KEY)
        if started is None or seen is None:  # a session from before the limits: they start now
            session[STARTED_KEY] = session[SEEN_KEY] = now
            return None
        idle = now - seen > settings.SESSION_IDLE_MINUTES * 60
        too_old = now - started > settings.SESSION_MAX_HOURS * 3600
        if not (idle or too_old):
            if now - seen >= SEEN_WRITE_EVERY:
                session[SEEN_KEY] = now
                user_session_seen(session_key=session.session_key, at=timezone.now())
            return None
        user, key = request.user, session.session_key
        session.flush()
        request.user = AnonymousUser()
        user_session_closed(session_key=key)
        reason = _("idle too long") if idle else _("signed in too long ago")
        audit_record(action=AuditAction.SESSION_ENDED, request=request, user=user, target=user.username, detail=reason)
        if request.path_info.startswith("/api/"):
            return JsonResponse({"detail": _("Your session has ended; sign in again.")}, status=401)
        if idle:
            message = _("You were signed out after %(minutes)d minutes without activity. Sign in again.") % {
                "minutes": settings.SESSION_IDLE_MINUTES
            }
        else:
            message = _("You were signed out %(hours)d hours after signing in. Sign in again.") % {
                "hours": settings.SESSION_MAX_HOURS
            }
        session[ENDED_KEY] = message  # the new, anonymous session carries it to the sign-in page
        return redirect_to_login(request.get_full_path())

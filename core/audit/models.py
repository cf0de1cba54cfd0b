"""The platform's audit trail (安全审计, GB/T 22239-2019): who did what, where, from which address, with what outcome.

One table in the public schema for the whole platform, so that the audit administrator reads every station's security
events in one place. Append-only in the database (migration 0002): the application can neither change an entry nor
delete one younger than the legal minimum of retention; only the pruning task removes entries past the retention.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _


class AuditAction(models.TextChoices):
    SIGN_IN = "sign_in", _("Signed in")
    SIGN_IN_FAILED = "sign_in_failed", _("Sign-in failed")
    LOCKED_OUT = "locked_out", _("Locked out")
    UNLOCKED = "unlocked", _("Lockout lifted")
    SIGN_OUT = "sign_out", _("Signed out")
    SESSION_ENDED = "session_ended", _("Session ended")
    PASSWORD_CHANGED = "password_changed", _("Password changed")
    PASSWORD_RESET_REQUESTED = "password_reset_requested", _("Password reset requested")
    PASSWORD_RESET = "password_reset", _("Password reset")
    PROFILE_CHANGED = "profile_changed", _("Profile changed")
    TWO_FACTOR_ENROLLED = "2fa_enrolled", _("Two-factor sign-in enrolled")
    TWO_FACTOR_VERIFIED = "2fa_verified", _("Two-factor sign-in verified")
    TWO_FACTOR_FAILED = "2fa_failed", _("Two-factor code refused")
    TWO_FACTOR_RESET = "2fa_reset", _("Two-factor sign-in reset")
    RECOVERY_CODES_MADE = "recovery_codes_made", _("Recovery codes made")
    USER_CREATED = "user_created", _("Account created")
    USER_CHANGED = "user_changed", _("Account changed")
    USER_DEACTIVATED = "user_deactivated", _("Account deactivated")
    USER_REACTIVATED = "user_reactivated", _("Account reactivated")
    ROLE_CHANGED = "role_changed", _("Role changed")
    MEMBER_INVITED = "member_invited", _("Member invited")
    MEMBER_DEACTIVATED = "member_deactivated", _("Member deactivated")
    MEMBER_REACTIVATED = "member_reactivated", _("Member reactivated")
    HEAD_HANDED_OVER = "head_handed_over", _("Station head handed over")
    TOKEN_CREATED = "token_created", _("API token created")
    TOKEN_USED = "token_used", _("API token used")
    TOKEN_REVOKED = "token_revoked", _("API token revoked")
    EXPORTED = "exported", _("Exported")
    DOWNLOADED = "downloaded", _("Downloaded")
    DIRECTORY_CHANGED = "directory_changed", _("Directory changed")
    ARCHIVE_VIEWED = "archive_viewed", _("Archive viewed")
    STATION_ONBOARDED = "station_onboarded", _("Station onboarded")
    STATION_STATUS_CHANGED = "station_status_changed", _("Station status changed")
    STATION_PUBLISHED = "station_published", _("Station published")
    EVALUATION_CONCLUDED = "evaluation_concluded", _("Evaluation concluded")
    AUDIT_EXPORTED = "audit_exported", _("Audit trail exported")
    AUDIT_PRUNED = "audit_pruned", _("Audit trail pruned")


class AuditOutcome(models.TextChoices):
    SUCCESS = "success", _("Succeeded")
    FAILURE = "failure", _("Failed")
    REFUSED = "refused", _("Refused")


class AuditEntry(models.Model):
    """One audited event. The user is kept by id and by name as they were (no foreign key: an entry outlives any
    change to the account and never blocks one)."""

    at = models.DateTimeField(_("time"), auto_now_add=True, db_index=True)
    user_id = models.BigIntegerField(_("user id"), null=True, blank=True, db_index=True)
    username = models.CharField(_("user"), max_length=150, blank=True)
    role = models.CharField(_("role"), max_length=30, blank=True)
    host = models.CharField(_("host"), max_length=255, blank=True)
    station_code = models.CharField(_("station"), max_length=30, blank=True, db_index=True)
    address = models.GenericIPAddressField(_("address"), null=True, blank=True)
    action = models.CharField(_("action"), max_length=30, choices=AuditAction.choices, db_index=True)
    target = models.CharField(_("object"), max_length=300, blank=True)
    outcome = models.CharField(_("outcome"), max_length=10, choices=AuditOutcome.choices, default=AuditOutcome.SUCCESS)
    detail = models.CharField(_("detail"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit entries")
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.username} {self.action} {self.outcome}"

"""The kinds of notification staff and the bureau get in the app, each with its label and the channels it also comes
by unless its recipient chose otherwise (`NotificationPreference`). In-app is always on.

The kinds that were e-mailed before notifications existed (deadlines, a referral arriving or overdue, complaint
reminders, an evaluation round opening, qualifications expiring) keep e-mail on by default; SMS is off for every kind
until its recipient turns it on.
"""

from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class Kind:
    code: str
    label: str | Promise
    email: bool = False
    sms: bool = False


DEMAND_NEW = "demand_new"
REFERRAL_ARRIVED = "referral_arrived"
REFERRAL_ANSWERED = "referral_answered"
REFERRAL_OVERDUE = "referral_overdue"
DEADLINE_NEAR = "deadline_near"
DEADLINE_PASSED = "deadline_passed"
COMPLAINT_RECEIVED = "complaint_received"
COMPLAINT_DUE = "complaint_due"
EVALUATION_OPENED = "evaluation_opened"
RECTIFICATION_DUE = "rectification_due"
RECTIFICATION_OVERDUE = "rectification_overdue"
QUALIFICATION_EXPIRING = "qualification_expiring"
PUBLICATION_OBJECTION_RECEIVED = "publication_objection_received"
PUBLICATION_OBJECTION_HANDLED = "publication_objection_handled"

KINDS: dict[str, Kind] = {
    kind.code: kind
    for kind in (
        Kind(DEMAND_NEW, _("New demand in the inbox")),
        Kind(REFERRAL_ARRIVED, _("Referral arrived"), email=True),
        Kind(REFERRAL_ANSWERED, _("Referral accepted or declined")),
        Kind(REFERRAL_OVERDUE, _("Referral not accepted in time"), email=True),
        Kind(DEADLINE_NEAR, _("Case deadline near"), email=True),
        Kind(DEADLINE_PASSED, _("Case deadline passed"), email=True),
        Kind(COMPLAINT_RECEIVED, _("Complaint received")),
        Kind(COMPLAINT_DUE, _("Complaint deadline near or passed"), email=True),
        Kind(EVALUATION_OPENED, _("Evaluation round opened"), email=True),
        Kind(RECTIFICATION_DUE, _("Rectification date near"), email=True),
        Kind(RECTIFICATION_OVERDUE, _("Rectification date passed"), email=True),
        Kind(QUALIFICATION_EXPIRING, _("Qualification expiring"), email=True),
        Kind(PUBLICATION_OBJECTION_RECEIVED, _("Objection to a publication received"), email=True),
        Kind(PUBLICATION_OBJECTION_HANDLED, _("Objection to the station's publication handled"), email=True),
    )
}

KIND_CHOICES = [(kind.code, kind.label) for kind in KINDS.values()]


def kind_get(code: str) -> Kind:
    """The kind of `code`; a code that is not registered is a programming error (KeyError)."""
    return KINDS[code]

"""What the enterprise is told as its demand moves: by SMS when the demand's phone is a mobile number, by e-mail when
it has an address, both when both (small and micro enterprises read SMS first).

Each message is a delivery of `core.deliveries` (kept with its status, sent after the commit by Celery, retried, and
at most once per event and channel: `key` names the event). The texts are templates of the desk:
`desk/sms/<kind>.txt` and `desk/email/enterprise_<kind>_{subject,body}.txt`, rendered in the site's language and
kept as sent. Nothing here ever blocks the staff action that caused it: a contact that cannot be reached is skipped.
"""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext_lazy

from core.common.sms import mobile_number
from core.deliveries.models import Channel, delivery_kind_register
from core.deliveries.services import delivery_queue
from core.desk.models import Demand, ServiceCase

# The messages to the enterprise, by kind (the kind names the templates and the provider's SMS template).
ENTERPRISE_KINDS = (
    # with the tracking link
    delivery_kind_register("demand_registered", gettext_lazy("Demand registered, with its tracking link")),
    # to another station or an institution: who will contact it
    delivery_kind_register("referred", gettext_lazy("Served by another station or an institution")),
    # the station booked a time to serve it
    delivery_kind_register("appointment", gettext_lazy("Service appointment")),
    # with the survey link (SMS; the survey's invitation is the e-mail)
    delivery_kind_register("case_completed", gettext_lazy("Case completed, with the survey link")),
    # SMS; the survey's own reminder is the e-mail
    delivery_kind_register("survey_reminder", gettext_lazy("Survey reminder")),
)


def _render(template: str, context: dict) -> str:
    return render_to_string(template, context).strip()


def enterprise_notify(
    *,
    demand: Demand,
    kind: str,
    key: str,
    context: dict,
    case: ServiceCase | None = None,
    channels: tuple[str, ...] = (Channel.SMS, Channel.EMAIL),
) -> int:
    """Queue the `kind` message of `demand` (and `case`) to the enterprise's mobile number and e-mail address, each
    once per `key`. Returns how many deliveries were queued (0 when the enterprise left neither).

    The survey's own e-mails (the invitation, which says the case is completed, and its reminder) are the survey's
    (`core.desk.services.surveys`, with their failure handling); their SMS come from here, with `channels` SMS only."""
    if kind not in ENTERPRISE_KINDS:
        raise ValueError(f"unknown message to the enterprise: {kind}")
    context = {"demand": demand, "case": case, **context}
    targets = []
    phone = mobile_number(demand.phone)
    if phone and Channel.SMS in channels:
        targets.append((Channel.SMS, phone))
    if demand.email and Channel.EMAIL in channels:
        targets.append((Channel.EMAIL, demand.email))
    queued = 0
    with translation.override(settings.LANGUAGE_CODE):
        for channel, address in targets:
            if channel == Channel.SMS:
                subject, text = "", _render(f"desk/sms/{kind}.txt", context)
            else:
                subject = " ".join(_render(f"desk/email/enterprise_{kind}_subject.txt", context).split())
                text = _render(f"desk/email/enterprise_{kind}_body.txt", context)
            try:
                delivery_queue(
                    key=f"{key}:{channel}",
                    channel=channel,
                    address=address,
                    kind=kind,
                    text=text,
                    subject=subject,
                    params=_params(context),
                    case_id=case.pk if case is not None else None,
                    demand_id=demand.pk,
                )
            except ValidationError:
                continue  # an address the gateway cannot take: the demand's own page shows it
            queued += 1
    return queued


def _params(context: dict) -> dict[str, str]:
    """The variables a provider's SMS template gets (its text is configured there, not here)."""
    demand, case = context["demand"], context.get("case")
    params = {"number": (case or demand).number}
    for name in ("link", "partner", "phone", "time", "station_name"):
        if context.get(name):
            params[name] = str(context[name])
    return params

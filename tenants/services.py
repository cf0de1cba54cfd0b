"""Writes of stations, users and memberships. Views, commands and tasks call these; nothing else writes."""

import logging

from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django.utils.translation import gettext as _
from django_tenants.utils import schema_context, schema_exists

from core.activity.models import ActivityVerb
from core.activity.services import activity_record
from core.audit.models import AuditAction
from core.audit.services import audit_record
from core.catalog.models import ServiceItem
from tenants.deploys import deploy_in_progress
from tenants.hosts import station_host, station_url
from tenants.models import (
    Domain,
    MemberRole,
    Membership,
    Station,
    StationStatus,
    StationStatusChange,
    User,
)
from tenants.selectors import (
    DEMO,
    PLATFORM,
    SystemActor,
    actor_person,
    require_bureau_admin,
    require_head,
)
from tenants.spare_schemas import SpareSchemaUnavailable, spare_schema_replay, spare_schema_take

logger = logging.getLogger(__name__)

# Codes that would collide with host names the platform itself uses.
RESERVED_STATION_CODES = frozenset({"www", "api", "admin", "static", "media", "mail", "public", "template", "console"})

# Clause 3: a station is evaluated by the bureau and published before it serves; it can be suspended and restored.
STATUS_TRANSITIONS: dict[str, frozenset[str]] = {
    StationStatus.DRAFT: frozenset({StationStatus.EVALUATING}),
    StationStatus.EVALUATING: frozenset({StationStatus.PUBLISHED, StationStatus.DRAFT}),
    # Back to evaluation: an objection to its publication was upheld (core.evaluation.services.publication).
    StationStatus.PUBLISHED: frozenset({StationStatus.SUSPENDED, StationStatus.EVALUATING}),
    StationStatus.SUSPENDED: frozenset({StationStatus.PUBLISHED}),
}


def schema_name_for(code: str) -> str:
    return f"st_{code}"


# Who provisions stations, users and memberships besides the bureau's administrators: the platform (an operator's
# command, a test setting the scene) and the demo city's loader, each named by its caller.
PROVISIONERS = (PLATFORM, DEMO)


@transaction.atomic
def user_create(
    *,
    actor: User | SystemActor,
    username: str,
    full_name: str = "",
    email: str = "",
    phone: str = "",
    password: str | None = None,
    bureau_role: str = "",
) -> User:
    """Add a user: a bureau administrator (a new station's head, see `station_create`) or the platform."""
    require_bureau_admin(user=actor, system=PROVISIONERS, message=_("Only the bureau's administrators add users."))
    user = User(username=username, full_name=full_name, email=email, phone=phone, bureau_role=bureau_role)
    if password:
        user.set_password(password)
    else:
        user.set_unusable_password()
    user.full_clean()
    user.save()
    return user


@transaction.atomic
def membership_create(
    *, user: User, station: Station, role: str, actor: User | SystemActor, invite: bool = False
) -> Membership:
    """Make `user` a member of `station`: a bureau administrator (a new station's head) or the platform does it. With
    `invite`, e-mail them a link to set their password once committed."""
    require_bureau_admin(
        user=actor, system=PROVISIONERS, message=_("Only the bureau's administrators add members to a station.")
    )
    membership = Membership(user=user, station=station, role=role)
    membership.full_clean()
    membership.save()
    with schema_context(station.schema_name), translation.override(settings.LANGUAGE_CODE):
        activity_record(verb=ActivityVerb.MEMBER_JOINED, actor=user, detail=str(membership.get_role_display()))
    if invite:
        from tenants.tasks import membership_invitation_send_task

        transaction.on_commit(lambda: membership_invitation_send_task.delay(membership_id=membership.pk))
    return membership


def _station_taken(*, name: str, code: str) -> dict[str, list[str]]:
    """What of a new station's name, code and host another station (or a station's leftover schema) already has."""
    errors: dict[str, list[str]] = {}
    if name and Station.objects.filter(name__iexact=name).exists():
        errors["name"] = [_("A station with this name exists already; choose another name.")]
    if not code:
        return errors
    if Station.objects.filter(code=code).exists():
        errors["code"] = [_("A station with this code exists already; choose another code.")]
    elif Domain.objects.filter(domain__iexact=station_host(code)).exists():
        errors["code"] = [_("The host %(host)s is taken already; choose another code.") % {"host": station_host(code)}]
    elif schema_exists(schema_name_for(code)):
        # A removed station's schema is kept with its data (auto_drop_schema is off): never hand it to a new one.
        errors["code"] = [_("This code was used by an earlier station whose data is kept; choose another code.")]
    return errors


# The head's user fields, as station_create's arguments name them.
HEAD_FIELDS = {"username": "head_email", "email": "head_email", "full_name": "head_full_name", "phone": "head_phone"}


@transaction.atomic
def station_create(
    *,
    actor: User | SystemActor,
    name: str,
    code: str,
    district: str,
    address: str,
    service_phone: str,
    complaint_phone: str,
    head_full_name: str,
    head_email: str,
    head_phone: str = "",
    head_username: str | None = None,
    hours: str = "",
    founding_body: str = "",
    request: HttpRequest | None = None,
    spare_only: bool = False,
) -> Station:
    """Provision a station: its schema (a copy of the template), its host name and its head, who is invited.

    The schema is a copy of the migrated template schema (``TENANT_BASE_SCHEMA``), so provisioning costs the same
    however many migrations the project has: a spare copy made ahead of time, renamed in this transaction
    (``tenants.spare_schemas``), or, when none is waiting, the template's DDL replayed now; the pool is refilled after
    the commit. A web request passes `spare_only`: with no spare waiting it gets `SpareSchemaUnavailable` once
    everything else is checked, and queues the onboarding (``core.onboarding``) instead of making a schema itself.
    Every problem is raised at once, field by field; a name, code or host another station has is refused with a
    message (never a database error), also when two requests race. A bureau administrator (`actor`) provisions it, or
    the platform.
    """
    require_bureau_admin(user=actor, system=PROVISIONERS, message=_("Only the bureau's administrators open stations."))
    if deploy_in_progress():  # the template may be half migrated (tenants.deploys)
        raise ValidationError(_("The platform is being upgraded; open the station again in a few minutes."))
    code = code.strip().lower()
    station = Station(
        name=name.strip(),
        code=code,
        schema_name=schema_name_for(code),
        district=district,
        address=address.strip(),
        service_phone=service_phone.strip(),
        complaint_phone=complaint_phone.strip(),
        hours=hours.strip(),
        founding_body=founding_body.strip(),
        status=StationStatus.DRAFT,
    )
    errors = _station_taken(name=station.name, code=code)
    if code in RESERVED_STATION_CODES:
        errors["code"] = [_("This code is reserved by the platform; choose another.")]
    try:
        station.full_clean(validate_unique=False)  # the unique fields are checked above, with clearer messages
    except ValidationError as error:
        for field, messages in error.message_dict.items():
            errors.setdefault("code" if field == "schema_name" else field, messages)
    if errors:
        raise ValidationError(errors)
    try:
        with transaction.atomic():
            # A spare renamed to the station's schema name: save() then finds the schema there and does not clone.
            from_spare = spare_schema_take(schema_name=station.schema_name)
            if not from_spare:
                if spare_only:
                    raise SpareSchemaUnavailable
                spare_schema_replay(schema_name=station.schema_name)
            station.save(verbosity=0)
    except IntegrityError:
        # Another station with this name or code was committed between the checks and the insert.
        raise ValidationError(
            _station_taken(name=station.name, code=code)
            or {"code": [_("A station with this code exists already; choose another code.")]}
        ) from None

    domain = station.domains.model(domain=station_host(code), tenant=station, is_primary=True)
    try:
        domain.full_clean()
    except ValidationError:  # the host was taken since the checks above
        raise ValidationError(
            {"code": [_("The host %(host)s is taken already; choose another code.") % {"host": domain.domain}]}
        ) from None
    domain.save()

    with schema_context(station.schema_name):
        activity_record(verb=ActivityVerb.STATION_OPENED, detail=station.name)

    head = User.objects.filter(email__iexact=head_email).first() if head_email else None
    if head is None:
        try:
            head = user_create(
                actor=actor,
                username=head_username or head_email,
                full_name=head_full_name,
                email=head_email,
                phone=head_phone,
            )
        except ValidationError as error:
            raise ValidationError(
                {HEAD_FIELDS.get(field, field): messages for field, messages in error.message_dict.items()}
            ) from None
    membership_create(user=head, station=station, role=MemberRole.HEAD, actor=actor, invite=True)
    if settings.STATION_SPARE_SCHEMAS:
        from tenants.tasks import queue_after_commit, spare_schemas_refill_task

        queue_after_commit(spare_schemas_refill_task)
    audit_record(
        action=AuditAction.STATION_ONBOARDED,
        request=request,
        user=actor,
        station_code=station.code,
        target=station.name,
        detail=head.get_username(),
    )
    logger.info(
        "station %s provisioned in schema %s (%s)",
        station.code,
        station.schema_name,
        "a spare schema renamed" if from_spare else "replayed",
    )
    return station


@transaction.atomic
def station_change_status(
    *, station: Station, status: str, user: User | SystemActor, reason: str = "", request: HttpRequest | None = None
) -> Station:
    """Move a station along clause 3 (`STATUS_TRANSITIONS`); every change is kept as a `StationStatusChange`.

    `user` is who decides: a bureau administrator, whose suspension needs its reason, or the platform itself
    (`PLATFORM`: a command, a test; `DEMO`), which may leave the reason out. A suspended station keeps all its data,
    its members still sign in and finish their open cases; it takes no online demands and no referrals (the desk and
    referral services check the status).
    """
    require_bureau_admin(
        user=user, system=PROVISIONERS, message=_("Only the bureau's administrators change a station's status.")
    )
    person = actor_person(user)
    station = Station.objects.select_for_update().get(pk=station.pk)
    if status not in STATUS_TRANSITIONS.get(station.status, frozenset()):
        raise ValidationError(
            {
                "status": _("A station cannot go from “%(from)s” to “%(to)s”.")
                % {"from": station.get_status_display(), "to": StationStatus(status).label}
            }
        )
    reason = reason.strip()
    if status == StationStatus.SUSPENDED and not reason and person is not None:
        raise ValidationError({"reason": [_("Say why the station is suspended.")]}, code="reason_required")
    change = StationStatusChange(
        station=station, from_status=station.status, to_status=status, reason=reason, changed_by=person
    )
    station.status = status
    station.status_changed_at = timezone.now()
    station.full_clean()
    station.save(update_fields=["status", "status_changed_at"])
    change.save()
    audit_record(
        action=AuditAction.STATION_STATUS_CHANGED,
        request=request,
        user=user,
        station_code=station.code,
        target=station.name,
        detail=f"{change.from_status} → {status}" + (f": {reason}" if reason else ""),
    )
    logger.info("station %s: %s → %s", station.code, change.from_status, status)
    return station


def membership_invitation_send(*, membership_id: int) -> bool:
    """E-mail a member the link that sets their password. Returns False when there is nothing to send.

    Sent at most once per membership: the send and the stamp are one step, and a membership already stamped, or a
    user who already has a password, is skipped, so a retried task does not send twice after a success.
    """
    with transaction.atomic():
        membership = (
            Membership.objects.select_for_update()
            .select_related("user", "station")
            .filter(pk=membership_id, is_active=True)
            .first()
        )
        if membership is None or membership.invitation_sent_at is not None:
            return False
        user = membership.user
        if not user.email or user.has_usable_password():
            return False
        path = reverse(
            "accounts:invitation",
            urlconf=settings.ROOT_URLCONF,
            kwargs={
                "uidb64": urlsafe_base64_encode(force_bytes(user.pk)),
                "token": default_token_generator.make_token(user),
            },
        )
        context = {
            "user": user,
            "membership": membership,
            "station": membership.station,
            "link": station_url(membership.station.code, path),
            "login_url": station_url(membership.station.code, reverse("accounts:login", urlconf=settings.ROOT_URLCONF)),
            "days": settings.PASSWORD_RESET_TIMEOUT // 86400,
        }
        with translation.override(settings.LANGUAGE_CODE):
            subject = render_to_string("tenants/email/invitation_subject.txt", context).strip()
            body = render_to_string("tenants/email/invitation_body.txt", context)
        send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [user.email])
        membership.invitation_sent_at = timezone.now()
        membership.save(update_fields=["invitation_sent_at"])
    return True


@transaction.atomic
def member_signed_in(*, membership: Membership) -> None:
    """Note a member's sign-in in the station's activity log."""
    with schema_context(membership.station.schema_name):
        activity_record(verb=ActivityVerb.MEMBER_SIGNED_IN, actor=membership.user)


@transaction.atomic
def station_items_set(*, station: Station, user: User, items) -> list[ServiceItem]:
    """Set the catalog items (clause 5.1) the station serves itself: what other stations search by when they refer a
    case. Only the station's head sets them, and only from the current catalog (never a retired item); the choice
    replaces the previous one. `items` are ServiceItems or their ids."""
    require_head(user=user, station=station, message=_("Only the station head sets the items it serves."))
    station = Station.objects.select_for_update().get(pk=station.pk)
    wanted = {getattr(item, "pk", item) for item in items}
    chosen = list(ServiceItem.objects.filter(pk__in=wanted).order_by("category__position", "position", "id"))
    if len(chosen) != len(wanted):
        raise ValidationError({"items": _("Choose items of the service catalog.")}, code="unknown_item")
    retired = [item for item in chosen if not item.is_active]
    if retired:
        raise ValidationError(
            {
                "items": _("No longer in the service catalog: %(items)s.")
                % {"items": "、".join(str(item) for item in retired)}
            },
            code="retired_item",
        )
    station.items.set(chosen)
    logger.info("station %s serves %d catalog items", station.code, len(chosen))
    return chosen

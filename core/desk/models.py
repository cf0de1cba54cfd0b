"""The station desk: the service process of clause 5.2, in the station's own schema.

- `Demand`: the demand form of Appendix A (质量服务需求表), every field of it, with its four tables and the operator
  staffing rows as child rows. The enterprise block is kept as it was filled in (the shared directory may change
  later); the directory entry it was picked from is linked.
- `ServiceCase`: one need of a demand (a section's ticked boxes, or the operator-exam block, or "other needs"), and
  the unit the station plans, serves, follows up, records and has rated. Its state machine lives in
  `core.desk.services`, in one place.
- `ServicePlan`: how a case is served (clause 5.2.2): by the station itself or by an institution of the registry.
  A re-plan supersedes the plan before it; none is ever deleted.
- `CaseEvent`: the case's append-only timeline (clause 5.2.3 and 7.2): state changes, contacts, problems, causes,
  feedback, plans and amendments, each with who and when. A trigger refuses UPDATE and DELETE.
- `ServiceRecord`: the service record of Appendix B (服务记录表). Once the case is completed it is corrected only by
  `RecordAmendment`s, which keep the original value.
- `Survey`: the satisfaction survey of Appendix B, one per case, never changed once submitted.

Users, enterprises, institutions and catalog entries live in the public schema. The keys to them are Django relations
without a database constraint (a real foreign key from every station would load the public tables with triggers); the
public tables refuse DELETE instead, so nothing a record points at goes (`core.common.shared_rows`).
"""

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.core.validators import MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from core.common.shared_rows import shared_key
from tenants.models import PHONE_VALIDATOR


class Channel(models.TextChoices):
    """How the demand reached the station (clause 5.2.1.1–5.2.1.3)."""

    VISIT = "visit", _("Visit")
    DAILY_CONTACT = "daily_contact", _("Daily contact")
    PHONE = "phone", _("Phone")
    EMAIL = "email", _("E-mail")
    INSTANT_MESSAGING = "im", _("Instant messaging")
    WALK_IN = "walk_in", _("Walk-in")
    ONLINE = "online", _("Online")
    REFERRAL = "referral", _("Referred by another station")


class InspectionMaterial(models.TextChoices):
    """Appendix A 八.3 特种设备检验检测申报材料, grouped by the inspection they are for."""

    # 产品监督检验
    MANUFACTURING_LICENCE = "manufacturing_licence", _("Product supervision: manufacturing licence")
    PRODUCT_DESIGN_DOCUMENTS = "product_design_documents", _("Product supervision: design documents")
    # 安装、改造、重大修理监督检验
    NOTIFICATION = "notification", _("Installation supervision: notification")
    CONSTRUCTION_DESCRIPTION = "construction_description", _("Installation supervision: construction description")
    SCHEDULE = "schedule", _("Installation supervision: schedule")
    DESIGN_SPECIFICATION = "design_specification", _("Installation supervision: design specification")
    INSTALLATION_DESIGN_DOCUMENTS = "installation_design_documents", _("Installation supervision: design documents")
    PRODUCT_CERTIFICATE = "product_certificate", _("Installation supervision: product certificate")
    # 定期检验
    USE_REGISTRATION = "use_registration", _("Periodic inspection: use registration certificate")
    LAST_REPORT = "last_report", _("Periodic inspection: last inspection report")


class ExamCategory(models.TextChoices):
    """Appendix A 九.2 企业特种设备作业人员考试需求情况."""

    BOILER = "boiler", _("Boiler operation")
    PRESSURE_VESSEL = "pressure_vessel", _("Pressure vessel operation")
    GAS_CYLINDER = "gas_cylinder", _("Gas cylinder operation")
    ELEVATOR = "elevator", _("Elevator operation")
    LIFTING = "lifting", _("Lifting operation")
    PASSENGER_ROPEWAY = "passenger_ropeway", _("Passenger ropeway operation")
    AMUSEMENT = "amusement", _("Large amusement facility operation")
    SITE_VEHICLE = "site_vehicle", _("Site motor vehicle operation")
    SAFETY_ACCESSORY = "safety_accessory", _("Safety accessory maintenance")
    WELDING = "welding", _("Special equipment welding")
    SAFETY_MANAGEMENT = "safety_management", _("Special equipment safety management")


class TrainingMode(models.TextChoices):
    """Appendix A 九.3 申请考试作业人员培训情况: 培训方式."""

    NONE = "", _("Not stated")
    IN_HOUSE = "in_house", _("Trained by the enterprise itself")
    INSTITUTION = "institution", _("Trained by a professional institution")
    NOT_YET = "not_yet", _("Not trained yet")


class Demand(models.Model):
    """质量服务需求表 (Appendix A)."""

    number = models.CharField(_("number"), max_length=30, unique=True, editable=False)
    filled_on = models.DateField(_("date filled in"))
    channel = models.CharField(_("channel"), max_length=20, choices=Channel.choices)
    # 一、企业基本情况, as filled in; `enterprise` is the directory entry it was picked from or added to.
    enterprise = shared_key("directory.Enterprise", verbose_name=_("enterprise"))
    enterprise_name = models.CharField(_("enterprise name"), max_length=200)
    legal_representative = models.CharField(_("legal representative"), max_length=50, blank=True)
    uscc = models.CharField(_("unified social credit code"), max_length=18)
    contact_person = models.CharField(_("contact person"), max_length=50, blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    phone = models.CharField(_("phone"), max_length=30, blank=True, validators=[PHONE_VALIDATOR])
    address = models.CharField(_("enterprise address"), max_length=200, blank=True)
    # 二 … 十一: the ticked boxes (catalog FormBoxes of form A).
    boxes = models.ManyToManyField(
        "catalog.FormBox", db_constraint=False, related_name="+", blank=True, verbose_name=_("ticked boxes")
    )
    # 八.3 and 九.2–九.3: form fields, not catalog boxes.
    inspection_materials = ArrayField(
        models.CharField(max_length=40, choices=InspectionMaterial.choices),
        verbose_name=_("inspection application materials"),
        default=list,
        blank=True,
    )
    exam_categories = ArrayField(
        models.CharField(max_length=30, choices=ExamCategory.choices),
        verbose_name=_("operator exam categories"),
        default=list,
        blank=True,
    )
    training_mode = models.CharField(
        _("training mode"), max_length=20, choices=TrainingMode.choices, blank=True, default=TrainingMode.NONE
    )
    other_needs = models.TextField(_("other services"), blank=True)
    opinions = models.TextField(_("opinions and suggestions"), blank=True)
    signatory = models.CharField(_("person in charge"), max_length=50, blank=True)
    signed_on = models.DateField(_("date signed"), null=True, blank=True)
    created_by = shared_key(settings.AUTH_USER_MODEL, null=True, verbose_name=_("entered by"))
    created_at = models.DateTimeField(_("received at"), auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    version = models.PositiveIntegerField(_("version"), default=1)
    # The enterprise's tracking link (core.desk.services.tracking): a link names the version it was made for, so
    # renewing the link (a new version) ends every earlier one, and revoking ends the current one.
    tracking_version = models.PositiveIntegerField(_("tracking link version"), default=1)
    tracking_revoked_at = models.DateTimeField(_("tracking link revoked at"), null=True, blank=True)
    tracking_revoked_by = shared_key(settings.AUTH_USER_MODEL, null=True, verbose_name=_("revoked by"))

    class Meta:
        verbose_name = _("demand")
        verbose_name_plural = _("demands")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.number} {self.enterprise_name}"


class DemandRow(models.Model):
    demand = models.ForeignKey(Demand, on_delete=models.CASCADE)
    position = models.PositiveSmallIntegerField(_("no."), default=1)

    class Meta:
        abstract = True
        ordering = ["position", "id"]


class ProductStandardRow(DemandRow):
    """五.1 企业产品执行标准情况."""

    product = models.CharField(_("product name"), max_length=100)
    standard_name = models.CharField(_("standard name"), max_length=200, blank=True)
    standard_number = models.CharField(_("standard number"), max_length=60, blank=True)
    adoption = models.CharField(_("adoption of international standards"), max_length=100, blank=True)
    published = models.BooleanField(_("published"), null=True, blank=True)

    class Meta(DemandRow.Meta):
        verbose_name = _("product standard")
        default_related_name = "product_standards"

    def __str__(self) -> str:
        return self.product


class InstrumentRow(DemandRow):
    """六.1 企业计量器具情况."""

    name = models.CharField(_("instrument name"), max_length=100)
    measuring_range = models.CharField(_("measuring range"), max_length=60, blank=True)
    accuracy_class = models.CharField(_("accuracy class"), max_length=40, blank=True)
    serial_number = models.CharField(_("serial number"), max_length=60, blank=True)
    purpose = models.CharField(_("use"), max_length=100, blank=True)
    traceability_method = models.CharField(_("traceability method"), max_length=40, blank=True)
    last_traceability_body = models.CharField(_("last traceability body"), max_length=100, blank=True)
    last_traceability_on = models.DateField(_("last traceability date"), null=True, blank=True)
    valid_until = models.DateField(_("valid until"), null=True, blank=True)

    class Meta(DemandRow.Meta):
        verbose_name = _("measuring instrument")
        default_related_name = "instruments"

    def __str__(self) -> str:
        return self.name


class ProductRow(DemandRow):
    """七.1 产品信息."""

    name = models.CharField(_("product name"), max_length=100)
    standard = models.CharField(_("standard applied"), max_length=200, blank=True)
    remark = models.CharField(_("remark"), max_length=200, blank=True)

    class Meta(DemandRow.Meta):
        verbose_name = _("product")
        default_related_name = "products"

    def __str__(self) -> str:
        return self.name


class SpecialEquipmentRow(DemandRow):
    """八.1 企业特种设备情况."""

    category = models.CharField(_("special equipment category"), max_length=60)
    count = models.PositiveIntegerField(_("number of units"), validators=[MinValueValidator(1)])
    valid_until = models.DateField(_("valid until"), null=True, blank=True)
    remark = models.CharField(_("remark"), max_length=200, blank=True)

    class Meta(DemandRow.Meta):
        verbose_name = _("special equipment")
        default_related_name = "special_equipment"

    def __str__(self) -> str:
        return f"{self.category} × {self.count}"


class OperatorStaffingRow(DemandRow):
    """九.1 从业人员基本情况."""

    trade = models.CharField(_("trade"), max_length=60)
    staffing = models.PositiveIntegerField(_("staff on the establishment"), null=True, blank=True)
    needed = models.PositiveIntegerField(_("people needed"), null=True, blank=True)
    certificates_held = models.CharField(_("certificates held"), max_length=200, blank=True)

    class Meta(DemandRow.Meta):
        verbose_name = _("operator staffing")
        default_related_name = "operator_staffing"

    def __str__(self) -> str:
        return self.trade


class CaseState(models.TextChoices):
    RECEIVED = "received", _("Received")
    EVALUATING = "evaluating", _("Evaluating")
    PLANNED = "planned", _("Planned")
    IN_SERVICE = "in_service", _("In service")
    FOLLOWING_UP = "following_up", _("Following up")
    COMPLETED = "completed", _("Completed")
    EVALUATED = "evaluated", _("Evaluated")
    ON_HOLD = "on_hold", _("On hold")
    CANCELLED = "cancelled", _("Cancelled")


class ServiceCase(models.Model):
    STALE_MESSAGE = _("Someone else changed this case meanwhile. Reload it to see their change.")

    number = models.CharField(_("number"), max_length=34, unique=True, editable=False)
    demand = models.ForeignKey(Demand, on_delete=models.PROTECT, related_name="cases", verbose_name=_("demand"))
    category = shared_key("catalog.ServiceCategory", verbose_name=_("service category"))
    items = models.ManyToManyField(
        "catalog.ServiceItem", through="CaseItem", related_name="+", blank=True, verbose_name=_("items")
    )
    request = models.TextField(_("concrete request"), blank=True)
    state = models.CharField(_("state"), max_length=20, choices=CaseState.choices, default=CaseState.RECEIVED)
    # The state to go back to when a case on hold resumes.
    resume_state = models.CharField(max_length=20, choices=CaseState.choices, blank=True)
    assignee = shared_key(settings.AUTH_USER_MODEL, null=True, verbose_name=_("assigned staff"))
    received_at = models.DateTimeField(_("received at"))
    target_days = models.PositiveSmallIntegerField(_("target in working days"))
    due_at = models.DateTimeField(_("due at"), null=True, blank=True, db_index=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    reminded_at = models.DateTimeField(null=True, blank=True)
    escalated_at = models.DateTimeField(null=True, blank=True)
    version = models.PositiveIntegerField(_("version"), default=1)

    class Meta:
        verbose_name = _("service case")
        verbose_name_plural = _("service cases")
        ordering = ["-received_at", "-id"]
        indexes = [models.Index(name="desk_case_state_due", fields=["state", "due_at"])]

    def __str__(self) -> str:
        return self.number


class PlanKind(models.TextChoices):
    SELF = "self", _("Served by the station")
    INSTITUTION = "institution", _("Referred to an institution")
    STATION = "station", _("Referred to another station")


class ServicePlan(models.Model):
    """服务方案 (clause 5.2.2). The current plan of a case is the one not superseded."""

    case = models.ForeignKey(ServiceCase, on_delete=models.PROTECT, related_name="plans")
    kind = models.CharField(_("how it is served"), max_length=20, choices=PlanKind.choices)
    evaluation = models.TextField(_("evaluation of the need"))
    # Served by the station
    appointment_at = models.DateTimeField(_("appointment time"), null=True, blank=True)
    staff = shared_key(settings.AUTH_USER_MODEL, null=True, verbose_name=_("staff"))
    # Referred to an institution
    institution = shared_key("directory.Institution", null=True, verbose_name=_("institution"))
    technician = models.CharField(_("technician"), max_length=50, blank=True)
    # Referred to another station (written by `core.referrals.services.referral_create`, with the referral)
    station = shared_key("tenants.Station", null=True, verbose_name=_("station"))
    agreed_items = models.ManyToManyField(
        "catalog.ServiceItem", through="PlanItem", related_name="+", blank=True, verbose_name=_("agreed items")
    )
    agreed_at = models.DateTimeField(_("agreed time"), null=True, blank=True)
    period_start = models.DateField(_("service period from"), null=True, blank=True)
    period_end = models.DateField(_("service period to"), null=True, blank=True)
    created_by = shared_key(settings.AUTH_USER_MODEL)
    created_at = models.DateTimeField(auto_now_add=True)
    superseded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("service plan")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["case"], condition=models.Q(superseded_at__isnull=True), name="desk_one_current_plan"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.case} {self.get_kind_display()}"


class EventKind(models.TextChoices):
    STATE = "state", _("State change")
    PLAN = "plan", _("Service plan")
    CONTACT_ENTERPRISE = "contact_enterprise", _("Contact with the enterprise")
    CONTACT_INSTITUTION = "contact_institution", _("Contact with the institution")
    PROBLEM = "problem", _("Problem found")
    CAUSE = "cause", _("Cause")
    FEEDBACK = "feedback", _("Feedback given")
    NOTE = "note", _("Note")
    RECORD = "record", _("Service record")
    AMENDMENT = "amendment", _("Amendment")
    SURVEY = "survey", _("Satisfaction survey")
    REMINDER = "reminder", _("Deadline reminder")
    REFERRAL = "referral", _("Referral")


class CaseEvent(models.Model):
    """The case's timeline. Append-only: migration 0002 adds a trigger that refuses UPDATE and DELETE."""

    case = models.ForeignKey(ServiceCase, on_delete=models.PROTECT, related_name="events")
    kind = models.CharField(_("kind"), max_length=30, choices=EventKind.choices)
    text = models.TextField(_("text"), blank=True)
    from_state = models.CharField(max_length=20, choices=CaseState.choices, blank=True)
    to_state = models.CharField(max_length=20, choices=CaseState.choices, blank=True)
    actor = shared_key(settings.AUTH_USER_MODEL, null=True)
    created_at = models.DateTimeField(_("time"), auto_now_add=True)

    class Meta:
        verbose_name = _("case event")
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.case} {self.get_kind_display()}"


class ServiceRecord(models.Model):
    """服务记录表 (Appendix B). Durations are derived from the times, never typed."""

    STALE_MESSAGE = _("Someone else changed this record meanwhile. Reload it to see their change.")

    number = models.CharField(_("number"), max_length=30, unique=True, editable=False)
    case = models.OneToOneField(ServiceCase, on_delete=models.PROTECT, related_name="record")
    requested_at = models.DateTimeField(_("request time"))
    staff = shared_key(settings.AUTH_USER_MODEL, verbose_name=_("station staff"))
    received_at = models.DateTimeField(_("time the request was received"))
    answered_at = models.DateTimeField(_("time the answer came back"), null=True, blank=True)
    on_site_at = models.DateTimeField(_("on-site handling time"), null=True, blank=True)
    ended_at = models.DateTimeField(_("service end time"), null=True, blank=True)
    category = shared_key("catalog.FormBox", verbose_name=_("service category"))
    request = models.TextField(_("concrete request"))
    institution = shared_key("directory.Institution", null=True, verbose_name=_("institution"))
    technician = models.CharField(_("technician"), max_length=50, blank=True)
    items_and_expected_time = models.TextField(_("technical service items and expected time"), blank=True)
    resolution = models.TextField(_("resolution process"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    version = models.PositiveIntegerField(_("version"), default=1)

    class Meta:
        verbose_name = _("service record")
        verbose_name_plural = _("service records")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(received_at__gte=models.F("requested_at")),
                name="desk_record_received_after_request",
                violation_error_message=_("The request cannot be received before it was made."),
            ),
        ]

    def __str__(self) -> str:
        return self.number

    @staticmethod
    def _span(start, end):
        return end - start if start and end else None

    @property
    def response_time(self):
        """From the request to the answer."""
        return self._span(self.requested_at, self.answered_at)

    @property
    def handling_time(self):
        """From on-site handling to the end of the service."""
        return self._span(self.on_site_at, self.ended_at)

    @property
    def total_time(self):
        """From the request to the end of the service."""
        return self._span(self.requested_at, self.ended_at)


class RecordAmendment(models.Model):
    """A correction of a completed record: the original value is kept next to the new one."""

    record = models.ForeignKey(ServiceRecord, on_delete=models.PROTECT, related_name="amendments")
    field = models.CharField(_("field"), max_length=40)
    old_value = models.TextField(_("original value"), blank=True)
    new_value = models.TextField(_("new value"), blank=True)
    reason = models.TextField(_("reason"))
    actor = shared_key(settings.AUTH_USER_MODEL)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("record amendment")
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.record} {self.field}"

    @property
    def field_label(self) -> str:
        return ServiceRecord._meta.get_field(self.field).verbose_name


class Rating(models.TextChoices):
    VERY_SATISFIED = "very_satisfied", _("Very satisfied")
    SATISFIED = "satisfied", _("Satisfied")
    FAIR = "fair", _("Fair")
    DISSATISFIED = "dissatisfied", _("Dissatisfied")


class SurveyChannel(models.TextChoices):
    LINK = "link", _("Answered through the link")
    PAPER = "paper", _("Keyed in from the signed paper form")


def rating_field(text: str):
    return models.CharField(text, max_length=20, choices=Rating.choices)


class Survey(models.Model):
    """服务满意度评价 (Appendix B). The questions are the standard's own Chinese words, as the form prints them (like
    the catalog's names, they are the standard's text, not UI text). Submitted once, then frozen."""

    case = models.OneToOneField(ServiceCase, on_delete=models.PROTECT, related_name="survey")
    q1 = rating_field("1.您对本次服务站的服务的满意程度")
    q2 = rating_field("2.您对本次服务站的及时性的满意程度")
    q3 = rating_field("3.您对本次服务站的专业性的满意程度")
    q4 = rating_field("4.您对本次服务站的文明性的满意程度")
    q5 = models.BooleanField("5.您的问题是否得到了解决")
    q6 = rating_field("6.您对本次服务的技术人员的专业性的满意程度")
    q7 = rating_field("7.您对本次服务的技术人员的及时性的满意程度")
    q8 = rating_field("8.您对本次服务的技术人员的文明性的满意程度")
    q9 = rating_field("9.您对本次服务的技术设施的满意程度")
    q10 = rating_field("10.您对本次服务总体评价")
    opinions = models.TextField("您的意见或建议", blank=True)
    signatory = models.CharField("企业负责人", max_length=50, blank=True)
    channel = models.CharField(_("channel"), max_length=10, choices=SurveyChannel.choices)
    keyed_in_by = shared_key(settings.AUTH_USER_MODEL, null=True)
    submitted_at = models.DateTimeField(_("submitted at"), auto_now_add=True)

    class Meta:
        verbose_name = _("satisfaction survey")

    def __str__(self) -> str:
        return f"{self.case}"


class SurveyInvitation(models.Model):
    """The link sent to the enterprise when the case ends, and the reminder if unanswered.

    `email` is the demand's address, or the one staff added on the case page when the demand had none or the send
    failed (`email_added_by`, `email_added_at`). A failed send keeps its last error (`failed_at`, `failure`) until
    the link goes; `gave_up_at` says the automatic retries have stopped. The link is e-mailed once (`sent_at`)."""

    case = models.OneToOneField(ServiceCase, on_delete=models.PROTECT, related_name="survey_invitation")
    email = models.EmailField(_("e-mail"), blank=True)
    email_added_by = shared_key(settings.AUTH_USER_MODEL, null=True)
    email_added_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    failed_at = models.DateTimeField(null=True, blank=True)
    failure = models.CharField(max_length=300, blank=True)
    gave_up_at = models.DateTimeField(null=True, blank=True)
    reminded_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.case}"


SURVEY_RATED = ("q1", "q2", "q3", "q4", "q6", "q7", "q8", "q9", "q10")


# Explicit through tables for the links into the public schema: Django's delete collector cascades through an
# auto-created one, and would look for it in the public schema; with DO_NOTHING it leaves the refusal to PostgreSQL.
class DemandBox(models.Model):
    demand = models.ForeignKey(Demand, on_delete=models.CASCADE)
    formbox = shared_key("catalog.FormBox")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["demand", "formbox"], name="desk_demandbox_unique")]

    def __str__(self) -> str:
        return f"{self.demand_id}: {self.formbox_id}"


class CaseItem(models.Model):
    servicecase = models.ForeignKey(ServiceCase, on_delete=models.CASCADE)
    serviceitem = shared_key("catalog.ServiceItem")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["servicecase", "serviceitem"], name="desk_caseitem_unique")]

    def __str__(self) -> str:
        return f"{self.servicecase_id}: {self.serviceitem_id}"


class PlanItem(models.Model):
    serviceplan = models.ForeignKey(ServicePlan, on_delete=models.CASCADE)
    serviceitem = shared_key("catalog.ServiceItem")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["serviceplan", "serviceitem"], name="desk_planitem_unique")]

    def __str__(self) -> str:
        return f"{self.serviceplan_id}: {self.serviceitem_id}"


# What other modules read of the desk's models (the desk's services, forms, the API, the archive, the referrals).

# The four tables of Appendix A and the operator staffing rows: the name a form or the API uses, and the model.
DEMAND_TABLES = {
    "product_standards": ProductStandardRow,
    "instruments": InstrumentRow,
    "products": ProductRow,
    "special_equipment": SpecialEquipmentRow,
    "operator_staffing": OperatorStaffingRow,
}
# The states in which a case is closed.
CLOSED = (CaseState.COMPLETED, CaseState.EVALUATED, CaseState.CANCELLED)
# The fields of Appendix B that staff write; the durations are derived from the times (see ServiceRecord).
RECORD_FIELDS = (
    "requested_at",
    "staff",
    "received_at",
    "answered_at",
    "on_site_at",
    "ended_at",
    "category",
    "request",
    "institution",
    "technician",
    "items_and_expected_time",
    "resolution",
)

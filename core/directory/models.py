"""The shared directory (public schema): enterprises and the institutions stations refer work to.

Only registration facts live here (clause 7.3). What a station learns while serving an enterprise (its demands,
instruments, problems) lives in that station's own schema and never comes here.
"""

from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models.functions import Upper
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from core.directory.uscc import validate_uscc
from core.districts import District
from tenants.models import PHONE_VALIDATOR, Station


class Industry(models.TextChoices):
    """Sections (门类) of the national industry classification GB/T 4754-2017."""

    A = "A", _("Agriculture, forestry, animal husbandry and fishery")
    B = "B", _("Mining")
    C = "C", _("Manufacturing")
    D = "D", _("Electricity, heat, gas and water supply")
    E = "E", _("Construction")
    F = "F", _("Wholesale and retail")
    G = "G", _("Transport, storage and post")
    H = "H", _("Accommodation and catering")
    I = "I", _("Information transmission, software and IT services")  # noqa: E741  (the standard's letter)
    J = "J", _("Finance")
    K = "K", _("Real estate")
    L = "L", _("Leasing and business services")
    M = "M", _("Scientific research and technical services")
    N = "N", _("Water conservancy, environment and public facilities management")
    O = "O", _("Resident services, repair and other services")  # noqa: E741
    P = "P", _("Education")
    Q = "Q", _("Health and social work")
    R = "R", _("Culture, sports and entertainment")
    S = "S", _("Public administration, social security and social organisations")
    T = "T", _("International organisations")


class EnterpriseScale(models.TextChoices):
    MICRO = "micro", _("Micro")
    SMALL = "small", _("Small")
    MEDIUM = "medium", _("Medium")
    LARGE = "large", _("Large")


class DirectoryEntry(models.Model):
    """What enterprises and institutions share: who added the entry, and when."""

    source_station = models.ForeignKey(
        Station,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("added by station"),
        help_text=_("Empty when the bureau added it."),
    )
    created_by_id = models.BigIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(_("added at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    # The name in pinyin and by its initials, for search as Chinese users type (core.directory.pinyin): set by the
    # services whenever they save a name, never by save(). The database default covers rows inserted otherwise.
    name_pinyin = models.TextField(blank=True, default="", db_default="", editable=False)
    name_initials = models.TextField(blank=True, default="", db_default="", editable=False)

    class Meta:
        abstract = True


class Bigrams(models.Func):
    """The distinct pairs of adjacent characters of a text (SQL function `directory_bigrams`, migration 0003).

    pg_trgm indexes need three characters; a GIN index over this answers two-character name search, the most common
    Chinese word length, with `Bigrams("name") @> [fragment]`.
    """

    function = "directory_bigrams"
    output_field = ArrayField(models.TextField())


DUPLICATE_USCC = _("An enterprise with this unified social credit code is already in the directory.")


class Enterprise(DirectoryEntry):
    name = models.CharField(_("enterprise name"), max_length=200)
    # Collation C: codes compare byte by byte, so the unique index answers both USCC-prefix search (LIKE '9121%') and
    # ORDER BY uscc, and a page of a common prefix stops after 20 rows (migration 0003 drops Django's "_like" index).
    uscc = models.CharField(
        _("unified social credit code"), max_length=18, unique=True, validators=[validate_uscc], db_collation="C"
    )
    legal_representative = models.CharField(_("legal representative"), max_length=50, blank=True)
    address = models.CharField(_("address"), max_length=200, blank=True)
    district = models.CharField(_("district"), max_length=20, choices=District.choices)
    industry = models.CharField(_("industry"), max_length=1, choices=Industry.choices, blank=True)
    scale = models.CharField(_("enterprise scale"), max_length=10, choices=EnterpriseScale.choices, blank=True)
    contact_person = models.CharField(_("contact person"), max_length=50, blank=True)
    phone = models.CharField(_("phone"), max_length=30, blank=True, validators=[PHONE_VALIDATOR])
    email = models.EmailField(_("e-mail"), blank=True)

    class Meta:
        verbose_name = _("enterprise")
        verbose_name_plural = _("enterprises")
        ordering = ["name", "id"]
        indexes = [
            GinIndex(name="enterprise_name_trgm", fields=["name"], opclasses=["gin_trgm_ops"]),
            GinIndex(Bigrams("name"), name="enterprise_name_bigrams"),
            # Pinyin search (selectors._containing): three letters or more by trigrams, two initials by bigrams.
            GinIndex(name="enterprise_pinyin_trgm", fields=["name_pinyin"], opclasses=["gin_trgm_ops"]),
            GinIndex(name="enterprise_initials_trgm", fields=["name_initials"], opclasses=["gin_trgm_ops"]),
            GinIndex(Bigrams("name_initials"), name="enterprise_initials_bigrams"),
            # Browsing in name order takes the first page from here instead of sorting the whole table.
            models.Index(name="enterprise_name", fields=["name", "id"]),
            models.Index(name="enterprise_district_industry", fields=["district", "industry"]),
        ]

    def __str__(self) -> str:
        return self.name

    def unique_error_message(self, model_class, unique_check):
        # Never Django's own “具有 统一社会信用代码 的 企业 已存在。”; the services name the entry that has the code.
        if tuple(unique_check) == ("uscc",):
            return ValidationError(DUPLICATE_USCC, code="unique")
        return super().unique_error_message(model_class, unique_check)


class InstitutionKind(models.TextChoices):
    TESTING = "testing", _("Inspection and testing body")
    METROLOGY = "metrology", _("Metrology body")
    SPECIAL_EQUIPMENT = "special_equipment", _("Special equipment inspection body")
    CERTIFICATION = "certification", _("Certification body")
    STANDARDISATION = "standardisation", _("Standardisation service body")
    IP = "ip", _("Intellectual property service body")
    ASSOCIATION = "association", _("Industry association")
    OTHER = "other", _("Other")


class Institution(DirectoryEntry):
    name = models.CharField(_("institution name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=20, choices=InstitutionKind.choices)
    uscc = models.CharField(
        _("unified social credit code"), max_length=18, blank=True, validators=[validate_uscc], db_index=True
    )
    address = models.CharField(_("address"), max_length=200, blank=True)
    districts = ArrayField(
        models.CharField(max_length=20, choices=District.choices),
        verbose_name=_("districts covered"),
        default=list,
        blank=True,
    )
    items = models.ManyToManyField(
        "catalog.ServiceItem", related_name="institutions", blank=True, verbose_name=_("service items")
    )
    contact_person = models.CharField(_("contact person"), max_length=50, blank=True)
    phone = models.CharField(_("phone"), max_length=30, blank=True, validators=[PHONE_VALIDATOR])
    email = models.EmailField(_("e-mail"), blank=True)
    is_active = models.BooleanField(pgettext_lazy("institution", "active"), default=True)

    class Meta:
        verbose_name = _("institution")
        verbose_name_plural = _("institutions")
        ordering = ["name", "id"]
        indexes = [
            GinIndex(name="institution_name_trgm", fields=["name"], opclasses=["gin_trgm_ops"]),
            GinIndex(Bigrams("name"), name="institution_name_bigrams"),
            GinIndex(name="institution_pinyin_trgm", fields=["name_pinyin"], opclasses=["gin_trgm_ops"]),
            GinIndex(name="institution_initials_trgm", fields=["name_initials"], opclasses=["gin_trgm_ops"]),
            GinIndex(Bigrams("name_initials"), name="institution_initials_bigrams"),
            GinIndex(name="institution_districts", fields=["districts"]),
        ]
        constraints = [
            models.UniqueConstraint(
                Upper("name"), name="institution_unique_name", violation_error_message=_("This institution exists.")
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def districts_display(self) -> str:
        return "、".join(str(District(code).label) for code in self.districts)


class QualificationKind(models.TextChoices):
    CMA = "cma", _("CMA (inspection body accreditation)")
    CNAS = "cnas", _("CNAS accreditation")
    AUTHORISATION = "authorisation", _("Authorisation")
    OTHER = "other", _("Other")


class Qualification(models.Model):
    institution = models.ForeignKey(
        Institution, on_delete=models.CASCADE, related_name="qualifications", verbose_name=_("institution")
    )
    kind = models.CharField(_("kind"), max_length=20, choices=QualificationKind.choices)
    number = models.CharField(_("certificate number"), max_length=60)
    scope = models.CharField(_("scope"), max_length=300, blank=True)
    # The catalog items the certificate covers (a subset of its institution's items): "who can do X" asks whether
    # the qualification covering X is still valid.
    items = models.ManyToManyField(
        "catalog.ServiceItem", related_name="institution_qualifications", blank=True, verbose_name=_("items covered")
    )
    valid_from = models.DateField(_("valid from"), null=True, blank=True)
    valid_until = models.DateField(_("valid until"))
    # The expiry notices sent, each "<valid until>:<days>" (days: 90, 30, 0; see core.directory.notifications): once
    # per threshold, and again for a renewed certificate's new end date.
    expiry_notices = ArrayField(
        models.CharField(max_length=20), verbose_name=_("expiry notices sent"), default=list, blank=True
    )

    class Meta:
        verbose_name = _("qualification")
        verbose_name_plural = _("qualifications")
        ordering = ["valid_until", "id"]
        constraints = [
            models.UniqueConstraint(fields=["kind", "number"], name="qualification_unique_number"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.number}"

    def is_expired(self, today) -> bool:
        """Whether the certificate has ended by `today` (its `valid_until` is its last valid day)."""
        return self.valid_until < today

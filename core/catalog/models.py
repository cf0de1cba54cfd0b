"""The service catalog of clause 5.1 and the check boxes of the standard's two forms that point into it.

The catalog lives in the public schema: every station offers the same items, and the bureau counts services by
item across stations.

- `ServiceCategory`: the eleven categories of clause 5.1 (5.1.1 质量教育和培训 … 5.1.10 知识产权, 5.1.11 其他服务):
  clauses 5.1.1, 5.1.2, 5.1.3, 5.1.4, 5.1.5, 5.1.6, 5.1.7, 5.1.8, 5.1.9, 5.1.10 and 5.1.11 are implemented here, as
  what a station offers, what a demand asks for and what the statistics count.
- `ServiceItem`: the numbered items 5.1.x.y. Two items have no number in the text: 5.1.1.3 is missing from clause
  5.1.1 and takes its wording from Appendix A's box 质量主题培训; 5.1.11 has no numbered items, so its single
  sentence is item 5.1.11.1. Items are retired, never deleted: other apps point at them with PROTECT foreign keys,
  and a PostgreSQL trigger (migration 0003) refuses any DELETE on the table.
- `FormBox`: a 口 box of Appendix A (质量服务需求表, the demand form) or Appendix B (服务记录表, the service record) and
  the catalog items it stands for, so that what an enterprise ticks becomes catalog items.

Which boxes of Appendix A are FormBoxes: only boxes that denote a service need. These are not catalog boxes; they
are form fields of the service desk (a later issue):

- the tables' columns (product standards, measuring instruments, products, special equipment, operator staffing);
- 八.3 特种设备检验检测申报材料 (制造许可证, 设计文件, 告知书 …): a checklist of materials to bring;
- 九.2 the operator exam categories (锅炉作业, 压力容器作业 … 特种设备安全管理) and 九.3 培训方式 (企业自培 …):
  they say *which* exam and how staff were trained; the need itself is section 九 as a whole, items 5.1.8.3 and
  5.1.1.7 (the desk maps a filled-in section 九 to those);
- 十二、其他服务 and 意见和建议: free text without boxes.

Every section's box 其他 ("other …") maps to no item: what it means is only known from the enterprise's own words,
and the station picks the catalog item(s) when it evaluates the demand and makes the service plan (clause 5.2.2).
Appendix B's 其他服务 is different: it is a category of its own and maps to item 5.1.11.1.

Appendix B has ten category boxes and clause 5.1 has eleven categories: there is no box for 5.1.3 质量诊断. Appendix A
lists 质量提升, 质量诊断 and 质量对比提高 under 四、质量管理服务, so Appendix B's 质量管理服务 maps to the items of both
5.1.3 and 5.1.4.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _


class ServiceCategory(models.Model):
    clause = models.CharField(_("clause"), max_length=16, unique=True)
    name = models.CharField(_("name"), max_length=60)
    position = models.PositiveSmallIntegerField(_("position"))

    class Meta:
        verbose_name = _("service category")
        verbose_name_plural = _("service categories")
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return f"{self.clause} {self.name}"


class ServiceItemQuerySet(models.QuerySet):
    def active(self) -> "ServiceItemQuerySet":
        return self.filter(retired_at__isnull=True)


class ServiceItem(models.Model):
    category = models.ForeignKey(
        ServiceCategory, on_delete=models.PROTECT, related_name="items", verbose_name=_("category")
    )
    clause = models.CharField(_("clause"), max_length=16, unique=True)
    name = models.CharField(_("name"), max_length=60)
    text = models.TextField(_("text of the standard"))
    position = models.PositiveSmallIntegerField(_("position"))
    retired_at = models.DateTimeField(_("retired at"), null=True, blank=True)

    objects = ServiceItemQuerySet.as_manager()

    class Meta:
        verbose_name = _("service item")
        verbose_name_plural = _("service items")
        ordering = ["category__position", "position", "id"]

    def __str__(self) -> str:
        return f"{self.clause} {self.name}"

    @property
    def is_active(self) -> bool:
        return self.retired_at is None


class FormKind(models.TextChoices):
    DEMAND = "A", _("Appendix A: quality service demand form")
    RECORD = "B", _("Appendix B: service record form")


class FormBox(models.Model):
    form = models.CharField(_("form"), max_length=1, choices=FormKind.choices)
    section = models.CharField(_("section"), max_length=120)
    label = models.CharField(_("label"), max_length=120)
    position = models.PositiveSmallIntegerField(_("position"))
    items = models.ManyToManyField(ServiceItem, related_name="form_boxes", blank=True, verbose_name=_("service items"))

    class Meta:
        verbose_name = _("form check box")
        verbose_name_plural = _("form check boxes")
        ordering = ["form", "position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["form", "section", "label"], name="catalog_formbox_unique_label"),
        ]

    def __str__(self) -> str:
        return f"{self.form}: {self.section} / {self.label}"

"""The standard's two paper forms for a case, as printable pages and as PDF downloads (clause 5.2.1.4, clause 6.2).

- Appendix A (质量服务需求表): the demand the case came from, every field and section as the standard lays it out.
- Appendix B (服务记录表): the case's service record and satisfaction survey. A case whose record is not written yet
  still prints: the blank form, filled in with what the desk already knows of the case (the enterprise, the
  category, the request, the times the demand was made and received, the assignee, the current plan's institution),
  exactly what the record will start from (`services.record_initial`), so that staff can take it to the enterprise
  and fill in the rest by hand. Survey boxes stay empty until the survey is in.

Form labels are the standard's own Chinese text (like the catalog's names and the survey's questions); other text
(the toolbar, the derived durations) is UI text. The pages are standalone HTML with inline CSS, so the same HTML
prints to PDF through headless Chromium from a temporary file (`core.common.printing`). Station membership is checked
by the middleware; another station's case is not in this schema, so it is a 404.
"""

import logging
import re

from django.http import Http404, HttpResponse
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.translation import gettext as _

from core.archive.looks import look_of
from core.archive.models import AccessAction, LookKind
from core.archive.pages import LoggedLookPage
from core.audit.models import AuditAction
from core.audit.services import audit_record
from core.common.printing import PrintingError, PrintingUnavailable, pdf_from_html
from core.desk import services
from core.desk.models import (
    SURVEY_RATED,
    Channel,
    ExamCategory,
    InspectionMaterial,
    Rating,
    Survey,
    TrainingMode,
)
from core.desk.selectors import case_print_context
from core.desk.templatetags.durations import duration_text

logger = logging.getLogger(__name__)

# The standard's wording of the form fields that are not catalog boxes, in printed order.
MATERIALS = (  # 八、3、特种设备检验检测申报材料
    (
        "产品监督检验",
        (
            (InspectionMaterial.MANUFACTURING_LICENCE, "制造许可证"),
            (InspectionMaterial.PRODUCT_DESIGN_DOCUMENTS, "设计文件"),
        ),
    ),
    (
        "安装、改造、重大修理监督检验",
        (
            (InspectionMaterial.NOTIFICATION, "告知书"),
            (InspectionMaterial.CONSTRUCTION_DESCRIPTION, "施工说明"),
            (InspectionMaterial.SCHEDULE, "进度计划"),
            (InspectionMaterial.DESIGN_SPECIFICATION, "设计说明书"),
            (InspectionMaterial.INSTALLATION_DESIGN_DOCUMENTS, "设计文件"),
            (InspectionMaterial.PRODUCT_CERTIFICATE, "产品合格证"),
        ),
    ),
    (
        "定期检验",
        (
            (InspectionMaterial.USE_REGISTRATION, "特种设备《使用登记证》"),
            (InspectionMaterial.LAST_REPORT, "上一周期检验报告"),
        ),
    ),
)
EXAM_CATEGORIES = (  # 九、2、企业特种设备作业人员考试需求情况
    (ExamCategory.BOILER, "锅炉作业"),
    (ExamCategory.PRESSURE_VESSEL, "压力容器作业"),
    (ExamCategory.GAS_CYLINDER, "气瓶作业"),
    (ExamCategory.ELEVATOR, "电梯作业"),
    (ExamCategory.LIFTING, "起重作业"),
    (ExamCategory.PASSENGER_ROPEWAY, "客运索道作业"),
    (ExamCategory.AMUSEMENT, "大型游乐设施作业"),
    (ExamCategory.SITE_VEHICLE, "场（厂）内专用机动车辆作业"),
    (ExamCategory.SAFETY_ACCESSORY, "安全附件维修作业"),
    (ExamCategory.WELDING, "特种设备焊接作业"),
    (ExamCategory.SAFETY_MANAGEMENT, "特种设备安全管理"),
)
TRAINING_MODES = (  # 九、3、申请考试作业人员培训情况: 培训方式
    (TrainingMode.IN_HOUSE, "企业自培"),
    (TrainingMode.INSTITUTION, "委托专业机构培训"),
    (TrainingMode.NOT_YET, "暂未培训"),
)
RATINGS = (
    (Rating.VERY_SATISFIED, "非常满意"),
    (Rating.SATISFIED, "满意"),
    (Rating.FAIR, "一般"),
    (Rating.DISSATISFIED, "不满意"),
)
YES_NO = ((True, "是"), (False, "否"))
TABLE_ROWS = 3  # the paper form prints three numbered rows per table

NUMERALS = "一二三四五六七八九十"


def _numeral(text: str) -> int:
    """一 … 十二 as a number."""
    if text.startswith("十"):
        return 10 + (NUMERALS.index(text[1]) + 1 if len(text) > 1 else 0)
    return NUMERALS.index(text) + 1


def section_key(section: str) -> str:
    """A catalog box's section as a template key: `三、“放管服”服务 / 1、商事登记事项服务` → `s3_1`."""
    parts = [part.strip() for part in section.split("/")]
    key = f"s{_numeral(parts[0].split('、')[0])}"
    if len(parts) > 1:
        key += "_" + re.match(r"\d+", parts[1]).group()
    return key


def _options(pairs) -> list[dict]:
    return [{"label": label, "ticked": bool(ticked)} for label, ticked in pairs]


def _padded(rows) -> list:
    rows = list(rows)
    return rows + [None] * (TABLE_ROWS - len(rows))


def demand_form(data: dict) -> dict:
    """The template context of Appendix A."""
    demand = data["demand"]
    sections: dict[str, list] = {}
    for box, ticked in data["demand_boxes"]:
        sections.setdefault(section_key(box.section), []).append((box.label, ticked))
    materials = set(demand.inspection_materials)
    exams = set(demand.exam_categories)
    return {
        "demand": demand,
        "boxes": {key: _options(pairs) for key, pairs in sections.items()},
        "product_standards": _padded(demand.product_standards.all()),
        "instruments": _padded(demand.instruments.all()),
        "products": _padded(demand.products.all()),
        "special_equipment": _padded(demand.special_equipment.all()),
        "operator_staffing": _padded(demand.operator_staffing.all()),
        "materials": [
            {"heading": heading, "options": _options((label, value in materials) for value, label in group)}
            for heading, group in MATERIALS
        ],
        "exams": _options((label, value in exams) for value, label in EXAM_CATEGORIES),
        "training": _options((label, value == demand.training_mode) for value, label in TRAINING_MODES),
        # The enterprise follows its demand through this link (core.desk.services.tracking), printed under the form.
        "tracking_link": services.tracking_url(demand=demand)
        if demand.tracking_revoked_at is None and demand.channel != Channel.REFERRAL
        else "",
    }


def record_form(data: dict) -> dict:
    """The template context of Appendix B."""
    record, survey, facts = data["record"], data["survey"], data["record_facts"]
    questions = []
    for number in range(1, 11):
        name = f"q{number}"
        answer = getattr(survey, name) if survey is not None else None
        choices = RATINGS if name in SURVEY_RATED else YES_NO
        questions.append(
            {
                "text": Survey._meta.get_field(name).verbose_name,
                "options": _options((label, answer is not None and value == answer) for value, label in choices),
            }
        )
    return {
        "demand": data["demand"],
        "record": record,
        "facts": facts,
        "categories": _options((box.label, ticked) for box, ticked in data["record_boxes"]),
        "durations": {
            "response": duration_text(record.response_time if record else None),
            "handling": duration_text(record.handling_time if record else None),
            "total": duration_text(record.total_time if record else None),
        },
        "survey": survey,
        "questions": questions,
        "opinions_label": Survey._meta.get_field("opinions").verbose_name,
        "signatory_label": Survey._meta.get_field("signatory").verbose_name,
    }


class CaseFormPage(LoggedLookPage):
    """One printed form of a case: the page (with a toolbar that is not printed), or with `pdf` the PDF download.
    Each is logged (clause 7.3): the print page as printed, the PDF as downloaded."""

    pdf = False
    form = None  # staticmethod(demand_form or record_form)
    pdf_url_name = ""

    @property
    def look_action(self) -> str:
        return AccessAction.PDF if self.pdf else AccessAction.PRINT

    def get_context_data(self, **kwargs):
        data = case_print_context(pk=self.kwargs["pk"], viewer=self.request.user)
        if data is None:
            raise Http404
        self.data = data
        return super().get_context_data(
            **kwargs,
            **self.form(data),
            case=data["case"],
            for_pdf=self.pdf,
            pdf_url=reverse(self.pdf_url_name, kwargs={"pk": data["case"].pk}),
        )

    def filename(self) -> str:
        raise NotImplementedError

    def render_to_response(self, context, **response_kwargs):
        if not self.pdf:
            return super().render_to_response(context, **response_kwargs)
        html = render_to_string(self.template_name, context, request=self.request)
        try:
            pdf = pdf_from_html(html=html)
        except PrintingError as error:
            logger.exception("printing %s failed", self.filename())
            if isinstance(error, PrintingUnavailable):  # say what is missing, so that someone can install it
                message = _(
                    "The PDF cannot be made: this server has no Chromium browser to print it (the Debian packages "
                    "chromium and fonts-noto-cjk). Ask your system administrator to install them; meanwhile, print "
                    "the page from your browser."
                )
            else:
                message = _(
                    "The PDF cannot be made on this server right now. Print the page from your browser instead."
                )
            return HttpResponse(message, status=503, content_type="text/plain; charset=utf-8")
        audit_record(
            action=AuditAction.DOWNLOADED,
            request=self.request,
            target=f"{self.filename()} (case {context['case'].number})",
            detail=self.template_name.rsplit("/", 1)[-1].removesuffix(".html"),
        )
        response = HttpResponse(pdf, content_type="application/pdf")
        response["Content-Disposition"] = f'attachment; filename="{self.filename()}"'
        return response


class DemandPrintView(CaseFormPage):
    """Appendix A, the demand form of the case's demand."""

    template_name = "desk/print/demand.html"
    form = staticmethod(demand_form)
    pdf_url_name = "desk:print_demand_pdf"

    def looks(self, context):
        return [look_of(context["demand"], kind=LookKind.FORM_A)]

    def filename(self) -> str:
        return f"{self.data['demand'].number}.pdf"


class DemandPdfView(DemandPrintView):
    pdf = True


class RecordPrintView(CaseFormPage):
    """Appendix B, the case's service record and survey (the blank form with what is known, before the record)."""

    template_name = "desk/print/record.html"
    form = staticmethod(record_form)
    pdf_url_name = "desk:print_record_pdf"

    def looks(self, context):
        return [look_of(context["case"], kind=LookKind.FORM_B)]

    def filename(self) -> str:
        record = self.data["record"]
        return f"{record.number if record is not None else self.data['case'].number}.pdf"


class RecordPdfView(RecordPrintView):
    pdf = True

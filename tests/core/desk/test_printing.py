"""The paper forms of a case, printed: Appendix A (the demand form, clause 5.2.1.4) and Appendix B (the service
record with its survey, clause 6.2), as pages and as PDFs that Debian's Chromium prints with the Noto CJK fonts.

The PDF tests render page 1 to PNG (`/tmp/stationnet-print-demand.png`, `/tmp/stationnet-print-record.png`) and
check the text read back from the PDF, the fonts it embeds and that the page is not blank."""

import datetime
import os
import re
import shutil
import struct
import tempfile
import zlib
import zoneinfo
from html.parser import HTMLParser
from pathlib import Path

import pypdfium2
import pypdfium2.raw as pdfium_c
import pytest
from django.utils import timezone
from django_tenants.utils import schema_context

from core.catalog.models import FormBox
from core.common.printing import PrintingError, PrintingUnavailable, pdf_from_html
from core.desk import services
from core.desk.models import (
    CaseState,
    ExamCategory,
    InspectionMaterial,
    PlanKind,
    ServiceCase,
    Survey,
    SurveyChannel,
    TrainingMode,
)
from core.desk.print_views import EXAM_CATEGORIES, MATERIALS, TRAINING_MODES
from core.directory.models import Institution
from tests.conftest import host_client
from tests.core.desk.builders import boxes, new_enterprise

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")
PNG_FOLDER = Path(tempfile.gettempdir())
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
# As the browser tests: without chromium the PDF tests are skipped, except under CI, where they must run.
needs_chromium = pytest.mark.skipif(
    not os.path.exists(CHROMIUM) and not os.environ.get("CI"),
    reason="Debian's chromium is not installed (bin/ensure-chromium installs it)",
)

TICKED_A = ("质量主题培训", "营业执照注册登记", "“个性化”定制服务", "QC小组", "标准信息查询", "计量检定、校准")
TICKED_A += ("产品检验检测", "定期检验", "强制性产品认证咨询", "专利相关业务咨询服务")


def demand_values() -> dict:
    """Every field of Appendix A, with every table filled in."""
    return {
        "filled_on": datetime.date(2026, 3, 2),
        "enterprise_name": "铁岭市打印测试阀门有限公司",
        "legal_representative": "赵法人",
        "contact_person": "钱联系",
        "email": "print@example.test",
        "phone": "024-72345678",
        "address": "铁岭市银州区打印测试路8号",
        "inspection_materials": [InspectionMaterial.NOTIFICATION, InspectionMaterial.LAST_REPORT],
        "exam_categories": [ExamCategory.BOILER, ExamCategory.WELDING],
        "training_mode": TrainingMode.INSTITUTION,
        "other_needs": "想了解出口欧盟的认证要求",
        "opinions": "希望每季度上门服务一次",
        "signatory": "孙负责",
        "signed_on": datetime.date(2026, 3, 3),
        "tables": {
            "product_standards": [
                {
                    "product": "闸阀",
                    "standard_name": "通用阀门法兰连接铁制闸阀",
                    "standard_number": "GB/T 12232-2005",
                    "adoption": "非等效采用",
                    "published": True,
                },
                {
                    "product": "球阀",
                    "standard_name": "铁制球阀",
                    "standard_number": "Q/TLF 001-2024",
                    "published": False,
                },
            ],
            "instruments": [
                {
                    "name": "压力表",
                    "measuring_range": "0-1.6MPa",
                    "accuracy_class": "1.6级",
                    "serial_number": "P-001",
                    "purpose": "出厂试压",
                    "traceability_method": "检定",
                    "last_traceability_body": "铁岭市计量所",
                    "last_traceability_on": datetime.date(2025, 4, 1),
                    "valid_until": datetime.date(2026, 3, 31),
                }
            ],
            "products": [{"name": "蝶阀", "standard": "GB/T 12238-2008", "remark": "主导产品"}],
            "special_equipment": [
                {"category": "锅炉", "count": 1, "valid_until": datetime.date(2026, 9, 30)},
                {"category": "压力容器", "count": 3, "remark": "储气罐"},
            ],
            "operator_staffing": [{"trade": "司炉工", "staffing": 2, "needed": 1, "certificates_held": "G1证1人"}],
        },
    }


def take_demand(city, enterprise) -> ServiceCase:
    """A demand with every field filled in, taken in alpha; answers its metrology case."""
    demand = services.demand_create(
        station=city.alpha,
        user=city.alpha_staff,
        enterprise=enterprise,
        channel="visit",
        boxes=boxes(*TICKED_A),
        **demand_values(),
    )
    return demand.cases.get(category__clause="5.1.6")


def serve_and_record(city, case: ServiceCase, institution: Institution) -> ServiceCase:
    """Plan the case with an institution, serve it and write every field of its record."""
    services.case_plan(
        case=case,
        user=city.alpha_staff,
        kind=PlanKind.INSTITUTION,
        evaluation="需送检",
        institution=institution,
        technician="李技术",
        agreed_items=list(case.items.all()),
    )
    case = services.case_transition(case=case, to=CaseState.IN_SERVICE, user=city.alpha_staff)
    requested = datetime.datetime(2026, 3, 4, 9, 0, tzinfo=SHANGHAI)
    services.record_save(
        case=case,
        user=city.alpha_staff,
        requested_at=requested,
        staff=city.alpha_staff,
        received_at=requested + datetime.timedelta(minutes=20),
        answered_at=requested + datetime.timedelta(hours=2, minutes=30),
        on_site_at=requested + datetime.timedelta(days=1),
        ended_at=requested + datetime.timedelta(days=1, hours=4, minutes=15),
        category=FormBox.objects.get(form="B", label="计量服务"),
        request="压力表3块送检",
        institution=institution,
        technician="李技术",
        items_and_expected_time="压力表检定，预计3个工作日",
        resolution="上门取表检定，均合格，已出具检定证书",
    )
    return case


def survey_for(case: ServiceCase) -> Survey:
    return Survey.objects.create(
        case=case,
        q1="very_satisfied",
        q2="satisfied",
        q3="fair",
        q4="dissatisfied",
        q5=True,
        q6="very_satisfied",
        q7="satisfied",
        q8="very_satisfied",
        q9="fair",
        q10="satisfied",
        opinions="检定及时，希望增加上门频次",
        signatory="孙负责",
        channel=SurveyChannel.PAPER,
    )


@pytest.fixture
def enterprise(city):
    return new_enterprise(name="铁岭市打印测试阀门有限公司")


@pytest.fixture
def institution(city):
    return Institution.objects.create(name="铁岭市计量测试所（打印测试）", kind="metrology")


@pytest.fixture
def staff(city, alpha_host):
    return host_client(alpha_host, city.alpha_staff)


class Printed(HTMLParser):
    """What a printed form shows: its check boxes in order as (label, ticked), and its tables as rows of cell texts
    (a cell's text includes the text of what it contains)."""

    def __init__(self, html: str):
        super().__init__()
        self.options: list[tuple[str, bool]] = []
        self.tables: list[dict] = []
        self._open_tables: list[dict] = []
        self._open_cells: list[tuple[list, int]] = []
        self._option: bool | None = None
        self._option_depth = 0
        self._option_text = ""
        self.feed(html)
        self.close()
        for table in self.tables:
            table["rows"] = [[" ".join(cell.split()) for cell in row] for row in table["rows"]]

    def table(self, css_class: str, index: int = 0) -> list[list[str]]:
        return [table["rows"] for table in self.tables if css_class in table["class"].split()][index]

    def handle_starttag(self, tag, attrs):
        classes = (dict(attrs).get("class") or "").split()
        if self._option is not None:
            self._option_depth += 1
        elif "opt" in classes:
            self._option, self._option_depth, self._option_text = "ticked" in classes, 0, ""
        if tag == "table":
            self.tables.append({"class": " ".join(classes), "rows": []})
            self._open_tables.append(self.tables[-1])
        elif tag == "tr":
            self._open_tables[-1]["rows"].append([])
        elif tag in ("td", "th"):
            row = self._open_tables[-1]["rows"][-1]
            row.append("")
            self._open_cells.append((row, len(row) - 1))

    def handle_endtag(self, tag):
        if tag == "table":
            self._open_tables.pop()
        elif tag in ("td", "th"):
            self._open_cells.pop()
        if self._option is None:
            return
        if self._option_depth:
            self._option_depth -= 1
        else:
            self.options.append((self._option_text.replace("✓", "").strip(), self._option))
            self._option = None

    def handle_data(self, data):
        for row, index in self._open_cells:
            row[index] += data
        if self._option is not None:
            self._option_text += data


def page(client, path: str) -> str:
    response = client.get(path)
    assert response.status_code == 200, response.status_code
    assert response["Content-Type"].startswith("text/html")
    return response.content.decode()


# --- Appendix A --------------------------------------------------------------------------------------------------


@pytest.mark.clause("5.2.1.4")
def test_the_demand_form_prints_every_field_and_box_of_appendix_a(city, alpha, enterprise, staff):
    case = take_demand(city, enterprise)
    html = page(staff, f"/desk/cases/{case.pk}/print/demand/")
    printed = Printed(html)

    assert "<h1>一站式质量服务站质量服务需求表</h1>" in html
    assert f"编号：{case.demand.number}" in html and "填表日期：2026年3月2日" in html
    form = printed.table("form")
    assert form[:5] == [
        ["一、企业基本情况"],
        ["企业名称", "铁岭市打印测试阀门有限公司", "企业法定代表人", "赵法人"],
        ["统一社会信用代码", enterprise.uscc, "联系人", "钱联系"],
        ["电子邮箱", "print@example.test", "电话", "024-72345678"],
        ["企业地址", "铁岭市银州区打印测试路8号"],
    ]
    # One row per section after 一, in the standard's order (it numbers the last two sections 十二 both).
    sections = [row[0].split(" ")[0] for row in form[5:]]
    assert sections == [
        "二、质量教育和培训服务",
        "三、“放管服”服务",
        "四、质量管理服务",
        "五、标准化服务",
        "六、计量服务",
        "七、产品检验检测服务",
        "八、特种设备服务",
        "九、特种设备作业人员考试服务",
        "十、认证认可服务",
        "十一、知识产权服务",
        "十二、其他服务",
        "十二、意见和建议",
    ]
    for heading in (
        "1、商事登记事项服务",
        "2、工业互联网标识解析二级节点服务",
        "3、“个性化”定制服务",
        "1、企业产品执行标准情况",
        "2、企业标准化需求情况",
        "1、企业计量器具情况",
        "2、企业计量需求情况",
        "1、产品信息",
        "2、企业产品检验检测需求情况",
        "1、企业特种设备情况",
        "2、企业特种设备检验检测需求情况",
        "3、特种设备检验检测申报材料",
        "1、从业人员基本情况",
        "2、企业特种设备作业人员考试需求情况",
        "3、申请考试作业人员培训情况",
        "培训方式：",
    ):
        assert heading in " ".join(row[0] for row in form).replace("✓", ""), heading

    # Every box in printed order: the catalog's boxes of 二 to 八.2, the materials of 八.3, the exams and training of
    # 九, the catalog's boxes of 十 and 十一; exactly the chosen ones ticked.
    catalog = [(box, box.label in TICKED_A) for box in FormBox.objects.filter(form="A").order_by("position")]
    assert set(TICKED_A) <= {box.label for box, _ in catalog}
    expected = [(box.label, ticked) for box, ticked in catalog if not box.section.startswith("十")]
    expected += [(label, value in ("notification", "last_report")) for _, group in MATERIALS for value, label in group]
    expected += [(label, value in ("boiler", "welding")) for value, label in EXAM_CATEGORIES]
    expected += [(label, value == "institution") for value, label in TRAINING_MODES]
    expected += [(box.label, ticked) for box, ticked in catalog if box.section.startswith("十")]
    assert printed.options == expected

    # The four tables and the staffing table as on paper, with at least three rows.
    assert printed.table("grid", 0) == [
        ["序号", "产品名称", "执行标准名称", "执行标准编号", "采标情况", "是否公示"],
        ["1", "闸阀", "通用阀门法兰连接铁制闸阀", "GB/T 12232-2005", "非等效采用", "是"],
        ["2", "球阀", "铁制球阀", "Q/TLF 001-2024", "", "否"],
        ["3", "", "", "", "", ""],
    ]
    assert printed.table("grid", 1) == [
        ["序号", "计量器具名称", "测量范围", "准确度等级", "出厂编号", "器具用途", "溯源方式"]
        + ["上次溯源机构名称及日期", "有效期至"],
        ["1", "压力表", "0-1.6MPa", "1.6级", "P-001", "出厂试压", "检定", "铁岭市计量所 2025-04-01", "2026-03-31"],
        ["2", "", "", "", "", "", "", "", ""],
        ["3", "", "", "", "", "", "", "", ""],
    ]
    assert printed.table("grid", 2) == [
        ["序号", "产品名称", "执行标准", "备注"],
        ["1", "蝶阀", "GB/T 12238-2008", "主导产品"],
        ["2", "", "", ""],
        ["3", "", "", ""],
    ]
    assert printed.table("grid", 3) == [
        ["序号", "特种设备类别", "设备数量", "有效期至", "备注"],
        ["1", "锅炉", "1", "2026-09-30", ""],
        ["2", "压力容器", "3", "", "储气罐"],
        ["3", "", "", "", ""],
    ]
    assert [row[0] for row in printed.table("grid", 4)] == ["产品监督检验", "安装、改造、重大修理监督检验", "定期检验"]
    assert printed.table("grid", 5) == [
        ["工种", "编制人员", "需求人数", "现有人员持证情况"],
        ["司炉工", "2", "1", "G1证1人"],
        ["", "", "", ""],
        ["", "", "", ""],
    ]
    assert form[-2] == ["十二、其他服务 想了解出口欧盟的认证要求"]
    assert form[-1] == ["十二、意见和建议 希望每季度上门服务一次 企业负责人：孙负责 2026年3月3日"]

    # A standalone page, not the site's layout, with a toolbar that is not printed.
    assert "topbar" not in html and "@page { size: A4" in html
    assert f'href="/desk/cases/{case.pk}/print/demand.pdf"' in html
    assert '<button type="button" data-print>' in html and "stationnet/print." in html  # no inline script (CSP)


def test_an_unsigned_demand_prints_blank_rows_and_date(city, alpha, enterprise, staff):
    demand = services.demand_create(
        station=city.alpha, user=city.alpha_staff, enterprise=enterprise, channel="phone", boxes=boxes("质量诊断")
    )
    printed = Printed(page(staff, f"/desk/cases/{demand.cases.get().pk}/print/demand/"))
    assert printed.table("grid", 0)[1:] == [[str(n), "", "", "", "", ""] for n in (1, 2, 3)]
    assert printed.table("form")[-1] == ["十二、意见和建议 企业负责人： 年月日"]
    assert [label for label, ticked in printed.options if ticked] == ["质量诊断"]


def test_every_choice_of_the_demand_has_the_standards_wording():
    assert {value for _, group in MATERIALS for value, _ in group} == set(InspectionMaterial.values)
    assert {value for value, _ in EXAM_CATEGORIES} == set(ExamCategory.values)
    assert {value for value, _ in TRAINING_MODES} == set(TrainingMode.values) - {TrainingMode.NONE}


# --- Appendix B --------------------------------------------------------------------------------------------------

RATINGS = ["非常满意", "满意", "一般", "不满意"]


def survey_boxes(options: list[tuple[str, bool]]) -> list[list[tuple[str, bool]]]:
    """The ten questions' boxes: the options printed after the ten category boxes."""
    answers, rest = [], options[10:]
    for number in range(1, 11):
        size = 2 if number == 5 else 4
        answers.append(rest[:size])
        rest = rest[size:]
    assert not rest
    return answers


@pytest.mark.clause("6.2")
def test_the_record_form_prints_every_field_of_appendix_b_and_the_survey(city, alpha, enterprise, institution, staff):
    case = serve_and_record(city, take_demand(city, enterprise), institution)
    record = case.record
    survey_for(case)
    html = page(staff, f"/desk/cases/{case.pk}/print/record/")
    printed = Printed(html)

    assert "<h1>服务记录表</h1>" in html and f"编号：{record.number}" in html
    form = printed.table("form")
    assert form[:3] == [
        ["企业名称", "铁岭市打印测试阀门有限公司", "联系人", "钱联系", "联系电话", "024-72345678"],
        ["请求发起时间", "2026-03-04 09:00", "质量服务站人员", city.alpha_staff.display_name]
        + ["接收要求时间", "2026-03-04 09:20"],
        ["收到答复时间", "2026-03-04 11:30", "现场处理时间", "2026-03-05 09:00", "服务结束时间", "2026-03-05 13:15"],
    ]
    # The durations the desk derives (not on the paper form: UI labels, whatever their translation).
    durations = form[3][1::2]
    assert record.response_time == datetime.timedelta(hours=2, minutes=30)
    assert [re.findall(r"\d+", value) for value in durations] == [["2", "30"], ["4", "15"], ["1", "4", "15"]]
    categories = [box.label for box in FormBox.objects.filter(form="B").order_by("position")]
    ticked = "".join(("✓" if label == "计量服务" else "") + label for label in categories)
    assert form[4:9] == [
        ["企业申请服务内容", f"服务类别： {ticked} 具体要求： 压力表3块送检"],
        ["质量服务机构", "铁岭市计量测试所（打印测试）"],
        ["技术服务人员", "李技术"],
        ["技术服务项目及预计技术服务时间", "压力表检定，预计3个工作日"],
        ["技术服务解决过程", "上门取表检定，均合格，已出具检定证书"],
    ]
    assert printed.options[:10] == [(label, label == "计量服务") for label in categories]

    # The survey: the ten questions as the standard words them, the answers ticked, opinions and signatory.
    questions = printed.table("questions")
    assert [row[0] for row in questions] == [Survey._meta.get_field(f"q{n}").verbose_name for n in range(1, 11)]
    chosen = ["非常满意", "满意", "一般", "不满意", "是", "非常满意", "满意", "非常满意", "一般", "满意"]
    for number, (printed_boxes, answer) in enumerate(zip(survey_boxes(printed.options), chosen, strict=True), 1):
        labels = ["是", "否"] if number == 5 else RATINGS
        assert printed_boxes == [(label, label == answer) for label in labels], number
    survey = form[9][0]
    assert survey.startswith("服务满意度评价 尊敬的企业：")
    assert survey.endswith(
        f"您的意见或建议： 检定及时，希望增加上门频次 企业负责人：孙负责 日期：{timezone.localdate():%Y}年"
        f"{timezone.localdate().month}月{timezone.localdate().day}日 （签字或盖章）"
    )


@pytest.mark.clause("6.2")
def test_before_its_record_a_case_prints_the_blank_form_with_what_is_known(city, alpha, enterprise, staff):
    case = take_demand(city, enterprise)
    html = page(staff, f"/desk/cases/{case.pk}/print/record/")
    printed = Printed(html)
    form = printed.table("form")
    received = f"{timezone.localtime(case.received_at):%Y-%m-%d %H:%M}"
    requested = f"{timezone.localtime(case.demand.created_at):%Y-%m-%d %H:%M}"
    assert "编号：</span>" in html
    assert form[:4] == [
        ["企业名称", "铁岭市打印测试阀门有限公司", "联系人", "钱联系", "联系电话", "024-72345678"],
        ["请求发起时间", requested, "质量服务站人员", "", "接收要求时间", received],
        ["收到答复时间", "", "现场处理时间", "", "服务结束时间", ""],
        [form[3][0], "", form[3][2], "", form[3][4], ""],
    ]
    assert form[4][1].endswith(f"具体要求： {case.request}")
    assert [row[1] for row in form[5:9]] == ["", "", "", ""]
    assert [label for label, ticked in printed.options if ticked] == ["计量服务"]  # the case's category only
    assert all(not ticked for answer in survey_boxes(printed.options) for _, ticked in answer)
    assert form[9][0].endswith("您的意见或建议： 企业负责人： 日期： （签字或盖章）")


def test_another_stations_case_is_not_found(city, alpha_host, beta_host, enterprise):
    with schema_context(city.beta.schema_name):
        demand = services.demand_create(
            station=city.beta, user=city.beta_staff, enterprise=enterprise, channel="phone", boxes=boxes("产品检验检测")
        )
        case = demand.cases.get()
    paths = [f"/desk/cases/{case.pk}/print/{form}/" for form in ("demand", "record")]
    beta = host_client(beta_host, city.beta_staff)
    assert [beta.get(path).status_code for path in paths] == [200, 200]
    # Alpha holds no case with that id (each test's rows are rolled back), and never reads beta's schema.
    alpha = host_client(alpha_host, city.alpha_staff)
    paths += [f"/desk/cases/{case.pk}/print/{form}.pdf" for form in ("demand", "record")]
    assert [alpha.get(path).status_code for path in paths] == [404, 404, 404, 404]
    assert host_client(alpha_host, city.beta_staff).get(paths[0]).status_code == 403


# --- PDFs --------------------------------------------------------------------------------------------------------

CJK_FONT = re.compile(r"Noto(Sans|Serif)CJK")


def png(bitmap_rows: bytes, width: int, height: int) -> bytes:
    """A greyscale PNG of 8-bit rows (no imaging library needed)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    raw = b"".join(b"\0" + bitmap_rows[y * width : (y + 1) * width] for y in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")


def check_pdf(pdf: bytes, *, texts: tuple[str, ...], png_path: Path) -> str:
    """The PDF's page 1, read back: the texts are there as characters, every font is an embedded Noto CJK font, the
    page is A4 and not blank; page 1 is saved as a PNG to look at (and the PDF beside it). Answers the text of page 1."""
    png_path.with_suffix(".pdf").write_bytes(pdf)
    document = pypdfium2.PdfDocument(pdf)
    try:
        first = document[0]
        bitmap = first.render(scale=2, grayscale=True, force_bitmap_format=pdfium_c.FPDFBitmap_Gray)
        assert bitmap.stride == bitmap.width
        pixels = bytes(bitmap.buffer)
        png_path.write_bytes(png(pixels, bitmap.width, bitmap.height))
        sample = pixels[::7]
        assert sum(1 for value in sample if value < 128) > len(sample) * 0.01, "the page is not blank"
        width, height = first.get_size()
        assert (round(width), round(height)) == (595, 842), "A4 in points"
        text = re.sub(r"\s+", "", first.get_textpage().get_text_range())
        for expected in texts:
            assert re.sub(r"\s+", "", expected) in text, expected
    finally:
        document.close()
    # Chromium embeds the CJK fonts (as subsets, Type 3 outlines for CFF fonts) with their names in the font
    # descriptors: each is Noto CJK, so no character fell back to a font without Chinese glyphs (tofu).
    fonts = set(re.findall(rb"/FontName\s*/(?:[A-Z]{6}\+)?([\w-]+)", pdf))
    assert fonts, "embedded fonts"
    assert all(CJK_FONT.match(font.decode()) for font in fonts), fonts
    return text


@needs_chromium
@pytest.mark.clause("5.2.1.4")
def test_the_demand_form_downloads_as_a_pdf_with_chinese_glyphs(city, alpha, enterprise, staff):
    case = take_demand(city, enterprise)
    response = staff.get(f"/desk/cases/{case.pk}/print/demand.pdf")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == f'attachment; filename="{case.demand.number}.pdf"'
    text = check_pdf(
        response.content,
        texts=("一站式质量服务站质量服务需求表", "铁岭市打印测试阀门有限公司", "一、企业基本情况", "质量主题培训"),
        png_path=PNG_FOLDER / "stationnet-print-demand.png",
    )
    assert "✓质量主题培训" in text and "Print" not in text  # the toolbar is not printed


@needs_chromium
@pytest.mark.clause("6.2")
def test_the_record_form_downloads_as_a_pdf_with_chinese_glyphs(city, alpha, enterprise, institution, staff):
    case = serve_and_record(city, take_demand(city, enterprise), institution)
    survey_for(case)
    response = staff.get(f"/desk/cases/{case.pk}/print/record.pdf")
    assert response.status_code == 200
    assert response["Content-Disposition"] == f'attachment; filename="{case.record.number}.pdf"'
    check_pdf(
        response.content,
        texts=("服务记录表", "铁岭市打印测试阀门有限公司", "服务满意度评价", "您的问题是否得到了解决", "✓计量服务"),
        png_path=PNG_FOLDER / "stationnet-print-record.png",
    )


def test_without_chromium_printing_says_so_and_the_download_is_unavailable(city, alpha, enterprise, staff, settings):
    settings.STATIONNET_CHROMIUM = "/nonexistent/chromium"
    with pytest.raises(PrintingUnavailable, match="STATIONNET_CHROMIUM"):
        pdf_from_html(html="<p>无</p>")
    case = take_demand(city, enterprise)
    response = staff.get(f"/desk/cases/{case.pk}/print/demand.pdf")
    assert response.status_code == 503
    # What is missing, for whoever installs it; what to do meanwhile.
    assert "未安装 Chromium 浏览器" in response.content.decode() and "fonts-noto-cjk" in response.content.decode()
    assert "使用浏览器打印本页" in response.content.decode()
    assert page(staff, f"/desk/cases/{case.pk}/print/demand/")  # the page itself still prints from the browser


def test_a_browser_that_fails_is_a_printing_error(settings):
    settings.STATIONNET_CHROMIUM = shutil.which("false")
    with pytest.raises(PrintingError, match="exited with 1 without a PDF"):
        pdf_from_html(html="<p>无</p>")


@needs_chromium
def test_a_browser_that_takes_too_long_is_stopped(settings):
    settings.STATIONNET_PDF_TIMEOUT = 0.01
    with pytest.raises(PrintingError, match="did not print the PDF within"):
        pdf_from_html(html="<p>无</p>")

"""The evaluation checklist (综合评估, clause 3): the construction requirements of clause 4, one item each: clauses
4.1.1, 4.1.2 and 4.1.3 (the site), 4.2.1 to 4.2.6 (the workplace), 4.3.1 to 4.3.5 (facilities), 4.4.1 and 4.4.2
(staff) and 4.5 a–h (the written systems).

Titles are the standard's own words (``shared/spec/standard.zh.txt``), like the service catalog's: they are the
standard's text, not interface text, so they are not translated. A round copies the checklist into its own item rows
when it opens (`core.evaluation.services`), so a later change here never rewrites an earlier round.

`required` is False where the standard says 宜 (recommended) rather than 应 (required): such an item may be found not
met in a round that is still approved.

Weights (issue 20): each item weighs in a round's total by the weight its round template gives it
(`ChecklistTemplate`, set by the bureau); the defaults are `REQUIRED_WEIGHT` for an 应 item and `RECOMMENDED_WEIGHT`
for a 宜 item (a requirement weighs twice a recommendation), and the default pass mark is `PASS_MARK` out of 100.
The migration seeded the templates with these; an item added to the checklist later takes its default weight in every
template until the bureau sets one.

`evidence` says what evidence the item asks for (photos of the site, the written system, the staff register...);
where `evidence_required` the head cannot answer it met without evidence: a file, or the figures of the station's
operations registers (`figures`: the staff register, the equipment register or the written systems) taken as a
snapshot when attached. The recommended (宜) items suggest evidence without requiring it.
"""

from dataclasses import dataclass

from core.evaluation.models import EvidenceKind, FiguresSource


@dataclass(frozen=True)
class ChecklistItem:
    code: str  # "4.1.1", "4.5a"
    section: str  # "4.1"
    title: str
    required: bool = True
    evidence: str = ""  # an EvidenceKind: what evidence the item asks for
    evidence_required: bool = True  # (when `evidence` names one) no answer "met" without evidence
    figures: str = ""  # a FiguresSource: the operations figures that may be attached as its evidence

    @property
    def default_weight(self) -> int:
        return REQUIRED_WEIGHT if self.required else RECOMMENDED_WEIGHT


REQUIRED_WEIGHT = 2  # an 应 (required) item's default weight
RECOMMENDED_WEIGHT = 1  # a 宜 (recommended) item's default weight
PASS_MARK = 80  # the default pass mark of a round's weighted total, out of 100


# Section headings of clause 4, as the standard names them.
SECTIONS = {
    "4.1": "选址要求",
    "4.2": "工作场所",
    "4.3": "设施设备",
    "4.4": "人员配备",
    "4.5": "制度建设",
}

CHECKLIST: tuple[ChecklistItem, ...] = (
    ChecklistItem(
        "4.1.1",
        "4.1",
        "服务站选址全市统筹布局，原则上应选择企业较集中、质量服务需求较多、企业积极性较高、配套条件较好的区域。"
        "可选择建于工业集中园区、产业园、产业孵化器以及市场监督管理部门已有的技术机构等。",
        evidence=EvidenceKind.SITE_DOCUMENTS,
    ),
    ChecklistItem("4.1.2", "4.1", "服务站选址应满足环境保护和消防安全的要求。", evidence=EvidenceKind.SAFETY_APPROVALS),
    ChecklistItem("4.1.3", "4.1", "服务站的建筑面积和房屋结构应符合工作需求。", evidence=EvidenceKind.FLOOR_PLAN),
    ChecklistItem("4.2.1", "4.2", "应设立固定的工作场所,有明确的服务受理窗口。", evidence=EvidenceKind.PHOTOS),
    ChecklistItem(
        "4.2.2",
        "4.2",
        "应在工作场所醒目位置公示服务内容、服务流程、服务电话、监督投诉电话等。",
        evidence=EvidenceKind.PHOTOS,
    ),
    ChecklistItem(
        "4.2.3", "4.2", "应在主体建筑外或工作场所门口醒目位置设立统一明显的标识。", evidence=EvidenceKind.PHOTOS
    ),
    ChecklistItem(
        "4.2.4", "4.2", "工作场所内空气质量应符合GB/T 18883的规定。", evidence=EvidenceKind.AIR_QUALITY_REPORT
    ),
    ChecklistItem(
        "4.2.5",
        "4.2",
        "各类标识、标牌中的公共信息图形符号应符合GB/T 10001.1、GB/T 10001.9的规定",
        evidence=EvidenceKind.PHOTOS,
    ),
    ChecklistItem("4.2.6", "4.2", "消防通道、安全出口应符合紧急疏散要求并保持畅通。", evidence=EvidenceKind.PHOTOS),
    ChecklistItem(
        "4.3.1",
        "4.3",
        "配备能够满足基本工作需求的办公设备，如连接网络的电脑、打印机、复印机等办公设备。",
        evidence=EvidenceKind.EQUIPMENT_REGISTER,
        figures=FiguresSource.EQUIPMENT,
    ),
    ChecklistItem(
        "4.3.2",
        "4.3",
        "宜设置无障碍通道及相关设施，配备座椅、饮水机及垃圾箱等便民服务设施。",
        required=False,
        evidence=EvidenceKind.PHOTOS,
        evidence_required=False,
        figures=FiguresSource.EQUIPMENT,
    ),
    ChecklistItem(
        "4.3.3",
        "4.3",
        "宜配备监控设备、电子屏幕和电子触摸屏等设施。",
        required=False,
        evidence=EvidenceKind.PHOTOS,
        evidence_required=False,
        figures=FiguresSource.EQUIPMENT,
    ),
    ChecklistItem(
        "4.3.4",
        "4.3",
        "应配备符合消防安全规定的消防器材、应急照明灯和标志，并加强对消防安全的日常监督管理。",
        evidence=EvidenceKind.EQUIPMENT_REGISTER,
        figures=FiguresSource.EQUIPMENT,
    ),
    ChecklistItem(
        "4.3.5",
        "4.3",
        "各类设施设备应定期检查和维护，保障设施设备的正常使用。",
        evidence=EvidenceKind.MAINTENANCE_RECORDS,
        figures=FiguresSource.EQUIPMENT,
    ),
    ChecklistItem(
        "4.4.1",
        "4.4",
        "服务站应配备具有一定的质量工作相关专业背景、工作经验，熟悉相关法律法规及工作流程的工作人员，"
        "工作人员上岗前应经过相关专业知识培训。",
        evidence=EvidenceKind.STAFF_REGISTER,
        figures=FiguresSource.STAFF,
    ),
    ChecklistItem(
        "4.4.2",
        "4.4",
        "服务站应设立站长，对服务站的质量工作全面负责，负责服务站日常质量服务工作。",
        evidence=EvidenceKind.STAFF_REGISTER,
        figures=FiguresSource.STAFF,
    ),
    *(
        ChecklistItem(f"4.5{letter}", "4.5", title, evidence=EvidenceKind.WRITTEN_SYSTEM, figures=FiguresSource.SYSTEM)
        for letter, title in (
            ("a", "岗位职责"),
            ("b", "服务过程管理"),
            ("c", "记录及档案管理"),
            ("d", "设备及安全管理"),
            ("e", "服务投诉及反馈处理"),
            ("f", "突发性事件应急处理预案"),
            ("g", "服务质量监督考核管理"),
            ("h", "如遇应急、突发事件，应按政府部门要求执行。"),
        )
    ),
)

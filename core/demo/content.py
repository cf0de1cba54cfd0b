"""What the demo city's history says: the needs enterprises bring (as the boxes of Appendix A they tick), and the
words staff write on each kind of case, complaint, opinion and training. Plain data, in the standard's Chinese (the
forms' words, like the catalog's, are the standard's text, not UI text)."""

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Need:
    """A need as an enterprise states it: the boxes of Appendix A it ticks (one section, so one case), and what
    travels with it on the form."""

    weight: int
    boxes: tuple[str, ...]
    tables: dict = field(default_factory=dict)
    inspection_materials: tuple[str, ...] = ()


# How often enterprises ask for each service: metrology and product testing most, then standards, special equipment
# and training (the stations' own experience in Tieling; 质量诊断 and 放管服 are rarer).
NEEDS: tuple[Need, ...] = (
    Need(
        12,
        ("计量检定、校准", "计量器具溯源途径"),
        {"instruments": [{"name": "压力表", "measuring_range": "0-1.6MPa", "accuracy_class": "1.6级"}]},
    ),
    Need(
        6,
        ("计量器具台账建立", "分类管理强检与非强检计量器具"),
        {"instruments": [{"name": "电子台秤", "measuring_range": "0-150kg", "accuracy_class": "Ⅲ级"}]},
    ),
    Need(3, ("建立健全计量管理制度",)),
    Need(11, ("产品检验检测",), {"products": [{"name": "铸铁闸阀", "standard": "GB/T 12232-2005"}]}),
    Need(5, ("技术指导",), {"products": [{"name": "预拌混凝土", "standard": "GB/T 14902-2012"}]}),
    Need(2, ("产品质量检验检测机构查询",)),
    Need(
        7,
        ("定期检验",),
        {"special_equipment": [{"category": "压力容器", "count": 2}]},
        ("use_registration", "last_report"),
    ),
    Need(
        3,
        ("安装、改造和重大修理监督检验",),
        {"special_equipment": [{"category": "起重机械", "count": 1}]},
        ("notification", "construction_description", "schedule"),
    ),
    Need(
        5,
        ("标准有效性查询", "标准信息查询"),
        {"product_standards": [{"product": "塑料编织袋", "standard_number": "GB/T 8946-2013", "published": True}]},
    ),
    Need(4, ("企业执行标准公示",), {"product_standards": [{"product": "大米", "standard_number": "GB/T 1354-2018"}]}),
    Need(3, ("企业执行标准指导",)),
    Need(2, ("标准制修订",)),
    Need(4, ("质量方面法律法规宣传培训",)),
    Need(3, ("标准培训",)),
    Need(2, ("计量管理培训",)),
    Need(2, ("特种设备从业人员培训",)),
    Need(4, ("质量管理体系咨询",)),
    Need(2, ("5S 现场管理咨询",)),
    Need(2, ("QC小组",)),
    Need(1, ("品牌建设咨询",)),
    Need(2, ("质量诊断",)),
    Need(1, ("质量提升",)),
    Need(2, ("经营信息变更",)),
    Need(1, ("营业执照注册登记",)),
    Need(2, ("自愿性产品认证咨询",)),
    Need(1, ("强制性产品认证咨询",)),
    Need(2, ("商标申请受理咨询服务",)),
    Need(1, ("专利相关业务咨询服务",)),
)


@dataclass(frozen=True)
class Work:
    """What staff write on a case of a category: the evaluation (the plan's why), what was done (the record's
    resolution), a problem found and its cause (the follow-up timeline), what a referral asks."""

    evaluation: str
    resolutions: tuple[str, ...]
    problem: str
    cause: str
    ask: str


WORK: dict[str, Work] = {
    "5.1.1": Work(
        "企业新员工较多，需开展针对性质量培训，本站可组织。",
        (
            "组织企业 12 名员工参加质量法律法规宣传培训 2 学时，发放学习资料。",
            "上门开展标准培训半天，参训 8 人，考核合格。",
        ),
        "员工对产品执行标准不熟悉",
        "企业未建立岗前培训制度",
        "请为企业安排质量培训",
    ),
    "5.1.2": Work(
        "企业需办理经营信息变更，指导其通过线上平台办理。",
        ("指导企业通过政务服务网完成经营范围变更登记，当日办结。", "协助企业完成名称查询比对，营业执照已领取。"),
        "企业提交材料不齐全",
        "企业不熟悉线上办理流程",
        "请协助企业办理商事登记事项",
    ),
    "5.1.3": Work(
        "企业产品一次交验合格率偏低，需上门开展质量诊断。",
        (
            "上门开展质量诊断，出具诊断报告 1 份，提出改进建议 6 条。",
            "对比同行业标杆企业，形成质量提升方案，企业已采纳。",
        ),
        "生产过程关键工序无检验记录",
        "过程检验职责不清",
        "请为企业开展质量诊断",
    ),
    "5.1.4": Work(
        "企业拟建立质量管理体系，本站可提供咨询。",
        ("指导企业编制质量手册和程序文件，完成内审员培训 3 人。", "开展 5S 现场管理咨询两次，现场整改问题 14 项。"),
        "体系文件与实际运行脱节",
        "企业缺少专职质量管理人员",
        "请为企业提供质量管理体系咨询",
    ),
    "5.1.5": Work(
        "企业需查询和确认现行有效标准，本站可办。",
        (
            "查询确认企业执行的 5 项标准均现行有效，告知 1 项标准即将代替。",
            "指导企业在企业标准信息公共服务平台完成执行标准自我声明公开。",
        ),
        "企业执行的标准已被代替",
        "企业未跟踪标准更新信息",
        "请为企业提供标准化服务",
    ),
    "5.1.6": Work(
        "企业计量器具需检定，本站协调计量技术机构上门服务。",
        (
            "检定压力表 6 块、电子台秤 2 台，均合格，出具检定证书。",
            "帮助企业建立计量器具台账，区分强检与非强检器具 23 台件。",
        ),
        "部分压力表超过检定周期",
        "企业未建立计量器具台账",
        "请为企业安排计量器具检定",
    ),
    "5.1.7": Work(
        "企业产品需送检，本站指导抽样并联系检验检测机构。",
        ("指导企业抽样送检，检验报告显示各项指标符合标准要求。", "对企业出厂检验项目进行技术指导，补齐检验设备 2 台。"),
        "出厂检验项目不全",
        "企业检验人员不熟悉标准要求",
        "请为企业安排产品检验检测",
    ),
    "5.1.8": Work(
        "企业特种设备需定期检验，本站协调检验机构。",
        ("协调检验机构完成压力容器定期检验 2 台，结论为允许使用。", "指导企业完成起重机械安装告知并通过监督检验。"),
        "压力容器安全附件未按期校验",
        "企业特种设备安全管理员不在岗",
        "请为企业安排特种设备检验",
    ),
    "5.1.9": Work(
        "企业拟申请自愿性产品认证，本站可提供咨询。",
        ("讲解认证流程和所需材料，推荐具备资质的认证机构 3 家。", "协助企业查询认证机构认证范围，企业已提交认证申请。"),
        "企业对认证范围理解有误",
        "企业未了解认证实施规则",
        "请为企业提供认证认可咨询",
    ),
    "5.1.10": Work(
        "企业需商标注册咨询，本站可提供指导。",
        ("指导企业完成商标近似查询，提交注册申请 1 件。", "讲解专利申请流程，协助企业梳理可申请专利的技术 2 项。"),
        "拟注册商标与在先商标近似",
        "企业未事先查询",
        "请为企业提供知识产权服务",
    ),
    "5.1.11": Work(
        "企业的其他需求，本站协调办理。",
        ("协调相关部门，已答复企业。",),
        "需求涉及其他部门职责",
        "企业不了解办理渠道",
        "请协助办理企业的其他需求",
    ),
}

CANCEL_REASONS = ("企业撤回需求", "企业已自行联系机构办理", "企业停产，暂不需要服务")
HOLD_REASONS = ("企业停产检修，暂缓服务", "等待企业补充材料", "企业负责人出差，约定延后")
DECLINE_REASONS = ("本站近期人手不足，无法按期办理", "企业所在地超出本站服务范围", "本站暂无该项服务能力")
CONTACTS = ("电话联系企业，确认上门时间", "与企业负责人沟通服务安排，企业同意", "向企业说明需准备的资料")
SURVEY_OPINIONS = ("服务及时，非常感谢", "希望以后多组织培训", "工作人员很专业", "", "", "")

COMPLAINTS = (
    "检定证书迟迟未出，耽误企业投标",
    "工作人员电话中态度生硬",
    "上门时间一再推迟",
    "收费标准没有事先说明",
    "咨询问题答复不清楚",
    "服务站工作时间无人接听电话",
)
RESPONSES = (
    "已核实情况，向企业致歉并加急办理，已于次日送达。",
    "已对相关工作人员进行批评教育，并向企业当面致歉。",
    "已调整上门安排，明确专人负责，企业表示理解。",
    "已向企业说明公益服务不收费，检测费用由机构按标准收取并公示。",
)
ESCALATION_REASONS = ("企业对处理结果仍不满意，要求市局处理", "涉及检验机构收费争议，本站无法协调")
BUREAU_HANDLINGS = (
    "经市局核实，责成服务站限期整改并回访企业，企业表示认可。",
    "市局已约谈相关检验机构，退还多收费用，企业满意。",
)

OPINIONS = {
    "suggestion": ("建议增加周六上午值班", "建议在网站公布服务流程图", "希望多组织标准化方面的培训", "等候区座椅不够"),
    "praise": ("工作人员上门服务很及时，点赞", "检定服务解决了企业的大问题，感谢服务站"),
    "complaint": ("电话多次无人接听", "办事需要跑两趟，希望一次告知清楚"),
    "other": ("咨询服务站是否提供食品检测",),
}
OPINION_TOPICS = {
    "suggestion": ("facilities", "information", "service_quality"),
    "praise": ("service_quality", "conduct"),
    "complaint": ("timeliness", "conduct"),
    "other": ("information",),
}
ANSWERS = ("感谢您的意见，我们已研究并将改进。", "感谢您的认可，我们会继续做好服务。", "已电话答复，说明了办理方式。")
IMPROVEMENTS = (
    ("安排周六上午轮流值班", "已自下月起实行周六上午值班"),
    ("在服务大厅和网站公示服务流程图", "服务流程图已上墙并在网站公布"),
    ("每季度组织一次标准化专题培训", "已制定年度培训计划并公布"),
    ("等候区增配座椅 6 把", "座椅已购置到位"),
)
TRAININGS = (
    ("质量强国建设纲要解读", "市场监督管理局质量发展科"),
    ("计量器具检定规程学习", "铁岭市计量测试所"),
    ("特种设备安全监察条例培训", "辽宁省特种设备检验研究院铁岭分院"),
    ("服务礼仪与投诉处理", "本站"),
    ("企业标准自我声明公开实务", "铁岭市标准化服务中心"),
)
MAINTENANCE = {
    "office": "清理打印机、检查网络和电脑运行情况",
    "fire": "检查灭火器压力、应急照明和疏散标志",
    "screens": "检查电子屏幕和触摸屏显示与响应",
    "accessibility": "检查无障碍通道、座椅和饮水机",
}
REVIEW_FINDINGS = (
    ("服务记录完整，时限内办结，企业评价满意。", "sound", ""),
    ("超出目标时限办结，原因是等待机构排期未及时告知企业。", "improve", "超期风险应提前告知企业并记录"),
    ("企业投诉答复及时，但首次联系记录缺失。", "improve", "每次联系企业均应记入时间线"),
)
SURNAMES = "王李张刘陈杨赵黄周吴徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超霞平刚桂玉萍红鹏华建国志海燕丹玲林春梅晶琳宁飞"

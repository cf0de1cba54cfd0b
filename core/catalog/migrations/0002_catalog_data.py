"""The service catalog of clause 5.1 and the check boxes of Appendix A and Appendix B, frozen as data.

The data is written here and not imported from the app, so this migration means the same thing forever. Later
changes to the catalog are new migrations (or retirements through `core.catalog.services`), never edits of this file.
Why some boxes of Appendix A are not here, and why the 其他 boxes map to no item: see `core.catalog.models`.
"""

from django.db import migrations

# Clause 5.1: the eleven categories, in the order of the standard.
CATEGORIES = [
    ("5.1.1", "质量教育和培训"),
    ("5.1.2", "“放管服”"),
    ("5.1.3", "质量诊断"),
    ("5.1.4", "质量管理"),
    ("5.1.5", "标准化"),
    ("5.1.6", "计量"),
    ("5.1.7", "产品检验检测"),
    ("5.1.8", "特种设备"),
    ("5.1.9", "认证认可"),
    ("5.1.10", "知识产权"),
    ("5.1.11", "其他服务"),
]

# (clause, short name, text of the standard). The text is the clause as printed, lines joined where the conversion
# broke them (5.1.2.1, 5.1.2.2).
ITEMS = [
    ("5.1.1.1", "质量法律法规宣传培训", "开展质量方面法律法规的宣传、培训，组织企业开展政策解读交流。"),
    (
        "5.1.1.2",
        "质量意识和质量文化宣传教育",
        "开展世界标准日、世界计量日、质量月、品牌文化节等质量意识、质量文化宣传培训教育活动。",
    ),
    # 5.1.1.3 is missing from the text of the standard. The clause map (clauses.md) and Appendix A (section 二, box
    # 口质量主题培训, between the boxes of 5.1.1.2 and 5.1.1.4) give it: its name and text are Appendix A's wording.
    ("5.1.1.3", "质量主题培训", "质量主题培训"),
    ("5.1.1.4", "标准研制和管理规范培训", "开展产品标准研制、管理规范等方面的培训。"),
    ("5.1.1.5", "计量管理和检定校准培训", "开展计量管理，计量检定、校准等方面的培训。"),
    ("5.1.1.6", "检验检测和特种设备从业人员培训", "开展产品检验检测和特种设备从业人员的培训工作。"),
    (
        "5.1.1.7",
        "特种设备作业人员考试指导",
        "开展特种设备作业人员考试宣传，按照TSG Z6001的规定指导考生参加特种设备作业人员考试。",
    ),
    ("5.1.1.8", "专利知识培训", "开展专利相关知识培训。"),
    ("5.1.1.9", "商标代理机构从业人员培训", "开展商标代理机构从业人员培训"),
    (
        "5.1.2.1",
        "商事登记综合窗口服务",
        "设立商事登记综合窗口，开展网上办理指导、名称查询比对和筛选提示、变更登记、容缺受理等服务。",
    ),
    (
        "5.1.2.2",
        "“互联网+监管”和二级节点应用",
        "开展“互联网+监管”系统应用，结合工业互联网标识解析二级节点，实现监管、服务精准化、智能化。",
    ),
    ("5.1.2.3", "“个性化”专属服务方案", "开展“个性化”服务，针对企业不同特点和需求，制定专属服务方案。"),
    (
        "5.1.3.1",
        "质量提升和质量诊断",
        "开展企业质量提升活动、质量提升“行政+专家”清单式服务、与各行业协会开展质量提升合作备忘、质量诊断、"
        "质量攻关、质量对比提高活动。",
    ),
    (
        "5.1.3.2",
        "专业技术攻关和研发设计",
        "开展专业技术攻关服务，破解“卡脖子”技术难题。开展高端装备领域的研发设计服务。",
    ),
    ("5.1.3.3", "关键共性技术和产业化应用研究", "开展关键共性技术研究，产业化应用研究服务。"),
    (
        "5.1.3.4",
        "质量问题原因分析及解决方案",
        "组建技术团队、储备专家团队，为企业提供产品生产过程中质量问题的原因分析及解决方案。",
    ),
    ("5.1.4.1", "5S现场管理和QC小组", "开展5S现场管理咨询、QC小组等质量活动。"),
    ("5.1.4.2", "质量管理体系咨询", "开展质量管理体系咨询等相关活动。"),
    ("5.1.4.3", "质量信用等级评定宣传", "开展企业质量信用等级评定等宣传活动。"),
    (
        "5.1.4.4",
        "质量标杆宣讲和参观学习",
        "组织质量标杆企业走进区、县（市）为企业宣讲先进质量管理经验，组织相关企业到先进质量管理经验单位参观学习"
        "等质量意识提升活动。",
    ),
    ("5.1.4.5", "品牌建设和质量奖项申报", "开展品牌咨询等品牌建设活动，积极推介企业申报各类质量奖项。"),
    (
        "5.1.5.1",
        "标准信息和有效性查询",
        "开展国际、国家、行业、地方、团体标准的信息查询及各类执行标准有效性查询，地方标准和团体标准的立项查新，"
        "及采用国际标准查询信息服务。",
    ),
    (
        "5.1.5.2",
        "标准公示服务",
        "开展企业在企业标准信息公共服务平台、社会团体在全国团体标准信息平台的标准公示服务。",
    ),
    ("5.1.5.3", "研发生产管理过程标准化服务", "开展企业在研发、生产、管理过程服务。"),
    (
        "5.1.5.4",
        "标准立项申报和制修订",
        "开展国际、国家、行业、地方、团体标准的立项申报及标准制定方面制（修）订服务。",
    ),
    ("5.1.5.5", "标准体系建设指导", "开展行业、企业标准体系建设指导服务。"),
    ("5.1.5.6", "标准化试点示范项目立项申报", "开展标准化试点示范项目立项申报服务。"),
    (
        "5.1.6.1",
        "计量管理制度和计量器具台账",
        "协助企业建立健全计量管理制度，建立计量器具管理台账，分类管理强制检定与非强制检定计量器具。",
    ),
    (
        "5.1.6.2",
        "计量检定、校准联系服务",
        "协助企业依据计量器具溯源要求，开辟绿色快捷通道，联系计量检定、校准机构提供计量检定、校准服务。",
    ),
    ("5.1.6.3", "计量标准建立和量值传递", "为企业建立计量标准、开展量值传递，提供咨询服务和技术指导。"),
    (
        "5.1.7.1",
        "产品检测公共服务平台",
        "搭建产品检测公共服务平台，共享检测设备，为企业提供产品质量检测服务。",
    ),
    ("5.1.7.2", "研发生产过程检验检测协助", "协助企业在研发、生产过程中开展产品检验检测工作。"),
    ("5.1.7.3", "质量改进检验服务", "参与企业质量改进工作，对产品存在的质量问题以及工艺改进等提供检验服务。"),
    (
        "5.1.7.4",
        "检验检测机构查询和送检服务",
        "根据需要协助企业开展查询有资质的产品质量检验检测机构、联系送检事宜、运送样品、领取检验检测报告、"
        "发放检验检测报告等服务。",
    ),
    (
        "5.1.8.1",
        "特种设备检验检测联系",
        "依据特种设备安全监督检验和定期检验要求，协助企业联系特种设备检验机构提供特种设备检验检测服务。",
    ),
    (
        "5.1.8.2",
        "特种设备注册登记和报检服务",
        "开展特种设备申报注册登记、联系报检、现场检验、领取检验报告、发放检验报告等服务。",
    ),
    (
        "5.1.8.3",
        "特种设备作业人员报考和考试",
        "协助企业联系特种设备行政机关办理报考服务，联系特种设备考试机构开展特种设备作业人员考试工作。",
    ),
    ("5.1.9.1", "认证法律法规咨询", "开展强制性产品认证、自愿性认证活动等相关法律法规的咨询服务。"),
    ("5.1.9.2", "认证机构及认证范围查询", "开展具有相应资质的认证机构及其认证范围查询服务。"),
    ("5.1.9.3", "资质认定检验检测机构名录查询", "提供获得资质认定的检验检测机构名录查询服务。"),
    ("5.1.10.1", "商标申请受理咨询", "开展商标申请受理咨询服务。"),
    ("5.1.10.2", "专利业务咨询", "开展专利相关业务咨询服务"),
    ("5.1.10.3", "地理标志业务咨询", "开展地理标志保护产品、地理标志证明商标相关业务咨询服务。"),
    # 5.1.11 (其他服务) is one unnumbered sentence; it is the category's only item.
    ("5.1.11.1", "市场监管相关业务咨询", "开展与市场监管工作相关业务的咨询服务。"),
]

# Appendix A, in printed order: (section, box label as printed, items). A box 其他 maps to no item.
A_TRAINING = "二、质量教育和培训服务"
A_REGISTRATION = "三、“放管服”服务 / 1、商事登记事项服务"
A_NODE = "三、“放管服”服务 / 2、工业互联网标识解析二级节点服务"
A_FMS = "三、“放管服”服务"
A_MANAGEMENT = "四、质量管理服务"
A_STANDARDS = "五、标准化服务 / 2、企业标准化需求情况"
A_METROLOGY = "六、计量服务 / 2、企业计量需求情况"
A_TESTING = "七、产品检验检测服务 / 2、企业产品检验检测需求情况"
A_EQUIPMENT = "八、特种设备服务 / 2、企业特种设备检验检测需求情况"
A_CERTIFICATION = "十、认证认可服务"
A_IP = "十一、知识产权服务"

A_BOXES = [
    (A_TRAINING, "质量方面法律法规宣传培训", ["5.1.1.1"]),
    (A_TRAINING, "质量意识、质量文化宣传培训", ["5.1.1.2"]),
    (A_TRAINING, "质量主题培训", ["5.1.1.3"]),
    (A_TRAINING, "标准培训", ["5.1.1.4"]),
    (A_TRAINING, "计量管理培训", ["5.1.1.5"]),
    (A_TRAINING, "计量检定、校准培训", ["5.1.1.5"]),
    (A_TRAINING, "产品检验检测从业人员培训", ["5.1.1.6"]),
    (A_TRAINING, "特种设备从业人员培训", ["5.1.1.6"]),
    (A_TRAINING, "特种设备作业人员考试指导", ["5.1.1.7"]),
    (A_TRAINING, "专利相关知识培训", ["5.1.1.8"]),
    (A_TRAINING, "商标代理机构从业人员培训", ["5.1.1.9"]),
    (A_TRAINING, "其他", []),
    (A_REGISTRATION, "营业执照注册登记", ["5.1.2.1"]),
    (A_REGISTRATION, "经营信息变更", ["5.1.2.1"]),
    # Printed 筛查提示; clause 5.1.2.1 says 筛选提示. The box keeps the form's wording.
    (A_REGISTRATION, "名称查询比对和筛查提示", ["5.1.2.1"]),
    (A_NODE, "二级节点申请服务", ["5.1.2.2"]),
    (A_NODE, "二级节点培训服务", ["5.1.2.2"]),
    (A_NODE, "二级节点注册服务", ["5.1.2.2"]),
    # Printed "3、口“个性化”定制服务": the sub-heading is itself the box.
    (A_FMS, "“个性化”定制服务", ["5.1.2.3"]),
    # Section 四 mixes 5.1.3 (质量诊断) and 5.1.4 (质量管理).
    (A_MANAGEMENT, "质量提升", ["5.1.3.1"]),
    (A_MANAGEMENT, "质量诊断", ["5.1.3.1", "5.1.3.4"]),
    # Printed with a space after 5S.
    (A_MANAGEMENT, "5S 现场管理咨询", ["5.1.4.1"]),
    (A_MANAGEMENT, "质量对比提高", ["5.1.3.1"]),
    (A_MANAGEMENT, "QC小组", ["5.1.4.1"]),
    (A_MANAGEMENT, "质量管理体系咨询", ["5.1.4.2"]),
    (A_MANAGEMENT, "中小微企业质量信用等级评定咨询", ["5.1.4.3"]),
    (A_MANAGEMENT, "质量意识提升", ["5.1.4.4"]),
    (A_MANAGEMENT, "品牌建设咨询", ["5.1.4.5"]),
    (A_MANAGEMENT, "质量奖项申报咨询", ["5.1.4.5"]),
    (A_MANAGEMENT, "其他", []),
    (A_STANDARDS, "标准信息查询", ["5.1.5.1"]),
    (A_STANDARDS, "标准有效性查询", ["5.1.5.1"]),
    (A_STANDARDS, "标准立项查新", ["5.1.5.1"]),
    (A_STANDARDS, "采用国际标准查询", ["5.1.5.1"]),
    (A_STANDARDS, "企业执行标准公示", ["5.1.5.2"]),
    (A_STANDARDS, "团体标准公示", ["5.1.5.2"]),
    (A_STANDARDS, "企业执行标准指导", ["5.1.5.3"]),
    (A_STANDARDS, "标准立项申报", ["5.1.5.4"]),
    (A_STANDARDS, "标准制修订", ["5.1.5.4"]),
    (A_STANDARDS, "标准体系建设指导", ["5.1.5.5"]),
    (A_STANDARDS, "标准化试点示范项目立项申报", ["5.1.5.6"]),
    (A_STANDARDS, "其他", []),
    (A_METROLOGY, "建立健全计量管理制度", ["5.1.6.1"]),
    # Printed 计最器具台账建立: a conversion error for 计量 (计量器具, as in clause 5.1.6.1 and the next box).
    (A_METROLOGY, "计量器具台账建立", ["5.1.6.1"]),
    (A_METROLOGY, "分类管理强检与非强检计量器具", ["5.1.6.1"]),
    (A_METROLOGY, "计量器具溯源途径", ["5.1.6.2"]),
    (A_METROLOGY, "计量检定、校准", ["5.1.6.2"]),
    (A_METROLOGY, "建立计量标准", ["5.1.6.3"]),
    (A_METROLOGY, "开展量值传递", ["5.1.6.3"]),
    (A_METROLOGY, "其他", []),
    (A_TESTING, "产品检验检测", ["5.1.7.1", "5.1.7.4"]),
    (A_TESTING, "技术指导", ["5.1.7.2", "5.1.7.3"]),
    (A_TESTING, "产品质量检验检测机构查询", ["5.1.7.4"]),
    (A_TESTING, "其他", []),
    (A_EQUIPMENT, "产品监督检验", ["5.1.8.1", "5.1.8.2"]),
    (A_EQUIPMENT, "定期检验", ["5.1.8.1", "5.1.8.2"]),
    (A_EQUIPMENT, "安装、改造和重大修理监督检验", ["5.1.8.1", "5.1.8.2"]),
    (A_EQUIPMENT, "其他", []),
    (A_CERTIFICATION, "强制性产品认证咨询", ["5.1.9.1"]),
    (A_CERTIFICATION, "自愿性产品认证咨询", ["5.1.9.1"]),
    (A_CERTIFICATION, "认证机构及其认证范围查询", ["5.1.9.2"]),
    (A_CERTIFICATION, "获得资质认定证书的检验检测机构名录", ["5.1.9.3"]),
    (A_CERTIFICATION, "其他", []),
    (A_IP, "商标申请受理咨询服务", ["5.1.10.1"]),
    (A_IP, "专利相关业务咨询服务", ["5.1.10.2"]),
    (A_IP, "其他", []),
]

# Appendix B, 服务类别, in printed order: (box label as printed, categories whose items it maps to). There is no box
# for 5.1.3 质量诊断; as in Appendix A section 四, 质量管理服务 covers it.
B_SECTION = "服务类别"
B_BOXES = [
    ("质量教育和培训服务", ["5.1.1"]),
    ("质量管理服务", ["5.1.3", "5.1.4"]),
    ("标准化服务", ["5.1.5"]),
    ("计量服务", ["5.1.6"]),
    ("产品检验检测服务", ["5.1.7"]),
    ("特种设备服务", ["5.1.8"]),
    ("“放管服”服务", ["5.1.2"]),
    ("认证认可服务", ["5.1.9"]),
    ("知识产权服务", ["5.1.10"]),
    ("其他服务", ["5.1.11"]),
]


def load(apps, schema_editor):
    ServiceCategory = apps.get_model("catalog", "ServiceCategory")
    ServiceItem = apps.get_model("catalog", "ServiceItem")
    FormBox = apps.get_model("catalog", "FormBox")

    categories = {}
    for position, (clause, name) in enumerate(CATEGORIES, start=1):
        categories[clause] = ServiceCategory.objects.create(clause=clause, name=name, position=position)

    items = {}
    for clause, name, text in ITEMS:
        category_clause, number = clause.rsplit(".", 1)
        items[clause] = ServiceItem.objects.create(
            category=categories[category_clause], clause=clause, name=name, text=text, position=int(number)
        )

    for position, (section, label, item_clauses) in enumerate(A_BOXES, start=1):
        box = FormBox.objects.create(form="A", section=section, label=label, position=position)
        box.items.set([items[clause] for clause in item_clauses])

    for position, (label, category_clauses) in enumerate(B_BOXES, start=1):
        box = FormBox.objects.create(form="B", section=B_SECTION, label=label, position=position)
        box.items.set(ServiceItem.objects.filter(category__clause__in=category_clauses))


def unload(apps, schema_editor):
    apps.get_model("catalog", "FormBox").objects.all().delete()
    apps.get_model("catalog", "ServiceItem").objects.all().delete()
    apps.get_model("catalog", "ServiceCategory").objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [("catalog", "0001_initial")]

    operations = [migrations.RunPython(load, unload)]

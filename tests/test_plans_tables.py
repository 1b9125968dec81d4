"""Every seed 汇总表 compared label for label with the reference tables.

The expected labels below are copied by hand from /work/shared/reference/official-tables.md
(and, where the reference says so, from the seed text), independently of forms/*.toml: a typo
in a plan file fails here instead of reaching a printed table that a 单位负责人 signs.
"""

import pytest

from webapp.plans.loader import load_plans

FAIL = "不合格情况"
LEAD = ("", ["辖区内单位总数", "检查单位数"])
PENALTY = ("行政处罚情况", ["查处案件数", "罚没款金额（万元）", "吊销执业机构许可证单位数", "吊销人员资格证单位数"])
FOOTER = ["填表人", "联系电话", "填表日期", "审核人", "单位负责人（签字）"]

# official-tables.md A: 附表2 (seed 000) and 附表6 (seed 003) share these groups.
MYBJ_FAILURES = [
    ("机构及人员资质情况", ["机构执业资质管理不符合要求单位数", "人员资格管理不符合要求单位数"]),
    ("法律法规执行情况", [
        "机构未按照批准的业务范围和服务项目执业单位数",
        "人员未按照批准的服务项目执业单位数",
        "未按要求开展人工终止妊娠手术进行登记查验单位数",
        "未按要求开展孕妇外周血胎儿游离DNA产前筛查与诊断单位数",
        "未按要求开展人类辅助生殖技术查验身份证、结婚证单位数",
        "未按要求开展产前诊断、人类辅助生殖技术等服务单位数",
        "开展相关技术服务未按要求遵守知情同意原则单位数",
        "出具医学证明文件和诊断报告不符合相关规定单位数",
        "病历、记录、档案等文书不符合相关规定单位数",
        "未按要求设置禁止“两非”警示标志单位数",
        "违法发布母婴保健技术服务广告单位数",
        "存在买卖精子、买卖卵子、代孕等违法犯罪行为单位数",
        "未按规定出具出生医学证明单位数",
        "存在买卖和伪造出生医学证明违法犯罪行为单位数",
    ]),
    ("制度建立情况", [
        "未建立禁止胎儿性别鉴定管理制度单位数",
        "未建立人工终止妊娠登记查验制度单位数",
        "未建立健全技术档案管理、转诊、追踪观察制度单位数",
        "未建立孕产妇死亡、婴儿死亡以及新生儿初生缺陷报告制度单位数",
        "不具有保证技术服务安全和服务质量的其他管理制度单位数",
    ]),
]

EXPECTED = {
    ("2025-mybj-tianjin", "附表2"): dict(
        title="2025年母婴保健技术服务机构国家随机监督抽查汇总表",
        rows=["妇幼保健机构", "其他医疗、保健机构"],
        total=None,
        groups=[LEAD, *MYBJ_FAILURES, PENALTY],
        parents=FAIL,
    ),
    ("2025-xj-mybj", "附表6"): dict(
        title="2025年母婴保健技术服务机构国家随机监督抽查汇总表",
        rows=["妇幼保健机构", "其他医疗、保健机构"],
        total=None,
        # "罚没款金额（万元） (in 003: 罚款额（元）)"
        groups=[LEAD, *MYBJ_FAILURES, ("行政处罚情况", [
            "查处案件数", "罚款额（元）", "吊销执业机构许可证单位数", "吊销人员资格证单位数"])],
        parents=FAIL,
    ),
    ("2025-fzss-guangxi", "附表2"): dict(
        title="2025年人类辅助生殖技术机构广西随机监督抽查汇总表",
        rows=["辅助生殖技术服务机构", "人类精子库"],
        total=None,
        groups=[
            LEAD,
            ("机构及人员资质情况", ["机构执业资质管理不符合要求单位数", "人员资格管理不符合要求单位数"]),
            ("制度建立情况", [
                "机构未按照要求建立严格的内部管理制度，明确岗位职责和服务流程单位数",
                "机构未按照要求严格落实医疗质量安全核心制度，遵守临床、实验室等操作规范单位数",
                # The reference adds 单位数 here; the seed (the authority) has none.
                "机构未按照要求建立依法执业自查工作制度，未按照要求组织开展依法执业自查自纠工作",
            ]),
            ("法律法规执行情况", [
                "未按照要求遵守知情同意原则单位数",
                "开展人类辅助生殖技术未按要求查验身份证、结婚证单位数",
                "未按要求严格掌握适应证和禁忌证单位数",
                "未按要求使用具有《人类精子库批准证书》机构提供的精子单位数",
                "未按要求建立健全的辅助生殖技术的病历档案资料单位数",
                "人类辅助生殖技术分娩的新生儿性别比严重失衡的单位数",
                "对配子、合子和胚胎的处理、转移、保存、使用等关键环节未按要求由2人以上同时现场核对单位数",
                "开展相关辅助生殖技术医学研究的资质资格、登记备案、伦理审查等不符合相关要求的单位数",
                "相关机构生殖医学伦理委员会未按要求对辅助生殖技术开展的全过程和研究活动进行审查和监督单位数",
            ]),
            PENALTY,
        ],
        parents=FAIL,
    ),
    ("2025-xj-yiliao", "附表2"): dict(
        title="2025年医疗机构国家随机监督抽查汇总表",
        rows=["医院（含妇幼保健院、精神卫生院）", "社区卫生服务中心", "社区卫生服务站", "卫生院",
              "村卫生室（所）", "诊所", "其他医疗机构"],
        total="合计",
        groups=[
            LEAD,
            ("医疗机构资质管理", ["执业许可管理不符合要求单位数", "医疗机构诊疗活动管理不符合要求单位数"]),
            ("医疗卫生人员管理", [
                "医师管理不符合要求单位数", "外国医师管理不符合要求单位数",
                "香港、澳门特别行政区医师管理不符合要求单位数", "台湾医师管理不符合要求单位数",
                "乡村医生管理不符合要求单位数", "护士管理不符合要求单位数", "医技人员管理不符合要求单位数",
            ]),
            ("药品和医疗器械管理", [
                "医疗用毒性药品、麻醉和精神药品管理不符合要求单位数", "抗菌药物管理不符合要求单位数",
                "医疗器械管理不符合要求单位数",
            ]),
            ("医疗技术与生物医学研究管理", [
                "禁止类技术管理不符合要求单位数", "限制类技术管理不符合要求单位数",
                "医疗美容管理不符合要求单位数", "临床基因扩增管理不符合要求单位数",
                "生物医学研究管理不符合要求单位数",
            ]),
            ("医疗文书管理", [
                "处方管理不符合要求单位数", "病历管理不符合要求单位数",
                "医学证明文件管理不符合要求单位数", "抽查重点病历不合格单位数",
            ]),
            ("政策落实", [
                "公立医疗机构开设营利性药店单位数", "公立医疗机构加价销售医用耗材单位数",
                "公立医疗机构薪酬与业务收入挂钩单位数",
            ]),
            ("重点领域执法", [
                "殡葬涉医领域管理不符合单位数", "患者就医信息数据管理不符合情况单位数",
                "互联网诊疗管理不符合单位数", "医保涉医领域管理不符合单位数",
            ]),
            ("行政处罚情况", [
                "查处案件数", "罚没款金额（万元）", "吊销《医疗机构执业许可证》单位数", "吊销诊疗科目单位数",
            ]),
        ],
        parents=FAIL,
    ),
    ("2025-xj-yimei", "附表4"): dict(
        title="2025年医疗美容机构国家随机监督抽查汇总表",
        rows=["医疗美容机构", "内设医疗美容科室的医疗机构"],
        total="合计",
        groups=[
            # "Count columns say 机构数, not 单位数" — the seed's leading two columns too.
            ("", ["辖区内机构总数", "检查机构数"]),
            ("不合格情况", [
                "医疗美容机构执业资质管理不符合要求机构数",
                "未按照备案的医疗美容项目级别开展医疗美容服务机构数",
                "使用非卫生技术人员开展医疗美容服务机构数",
                "执业人员资格管理不符合要求机构数",
                "医师管理不符合要求机构数",
                "护士管理不符合要求机构数",
                "药物管理不符合要求机构数",
                "医疗器械管理不符合要求机构数",
                "医疗美容广告发布管理不符合要求机构数",
                "医疗文书管理不符合要求机构数",
            ]),
            ("行政处罚情况", ["查处案件数", "罚没款金额（万元）", "吊销执业机构许可证机构数", "吊销人员资格证机构数"]),
        ],
        parents=None,  # 不合格情况 is itself the group: no second header level
    ),
    ("2025-xj-xueye", "附表8"): dict(
        title="2025年血液国家随机监督抽查汇总表",
        rows=["一般血站", "特殊血站", "单采血浆站", "医院（含中医院）"],
        total="合计",
        groups=[
            LEAD,
            ("资质管理", [
                "未按照许可范围开展工作单位数",
                "从业人员未取得相关岗位执业资格或者执业注册而从事血液安全工作单位数",
                "使用不符合国家规定的耗材单位数",
            ]),
            ("血源管理", [
                "未按规定对献血者、供血浆者进行身份核实、健康征询和体检单位数",
                "未按要求检测新浆员和间隔180天的浆员的血浆单位数",
                "超量、频繁采集血液（浆）的单位数",
                "采集冒名顶替者、健康检查不合格者血液(血浆)单位数",
            ]),
            ("血液检测", [
                "血液（浆）检测项目不齐全单位数",
                "未按规定保存血液标本的单位数",
                "未按规定保存工作记录的单位数",
                "对检测不合格或者报废的血液（浆），未按有关规定处理单位数",
                "全血及成分血不符合国家规定的卫生标准单位数",
            ]),
            ("包装储存运输", ["包装、储存、运输不符合国家规定的卫生标准和要求单位数"]),
            ("其他", ["非法采集、供应、倒卖血液、血浆单位数，不符合相关文件要求的情况"]),
            ("特殊血站管理", [
                "未按规定依法执业",
                "未按规定科学宣传、规范处理医疗废物",
                "未按要求采集制备脐带血、开展核酸检测",
            ]),
            ("临床用血管理", [
                "用血来源管理不符合要求单位数",
                "血液出入库不符合要求的单位数",
                "用血管理组织和制度不符合要求单位数",
                "临床输血管理不符合要求单位数",
            ]),
            ("行政处罚情况", ["案件查处数", "罚没款金额（万元）"]),
        ],
        parents=FAIL,
    ),
}


@pytest.fixture(scope="module")
def catalog():
    return load_plans()


def _groups(summary):
    return [(g.label, [c.label for c in g.columns]) for g in summary.groups]


@pytest.mark.parametrize("plan_id, key", list(EXPECTED), ids=[f"{p}-{k}" for p, k in EXPECTED])
def test_summary_labels_match_reference(catalog, plan_id, key):
    want = EXPECTED[plan_id, key]
    plan = catalog.get(plan_id)
    summary = plan.summary(key)

    assert summary.layout == "table"
    assert summary.title == want["title"]
    assert summary.row_header == "单位类别"
    assert [plan.category(k).name for k in summary.rows] == want["rows"]
    assert summary.total_row == want["total"]
    # group by group, so a label in the wrong group fails with a readable diff
    got = _groups(summary)
    assert [g for g, _ in got] == [g for g, _ in want["groups"]]
    for (g_got, cols_got), (g_want, cols_want) in zip(got, want["groups"]):
        assert (g_got, cols_got) == (g_want, cols_want)
    # the failure groups sit under one 不合格情况 header; lead and penalty columns do not
    failure_groups = summary.groups[1:-1]
    assert {g.parent for g in failure_groups} == {want["parents"]}
    assert summary.groups[0].parent is None and summary.groups[-1].parent is None
    assert list(summary.footer) == FOOTER
    assert summary.stamp == "单位（盖章）"


def test_every_seed_summary_is_covered(catalog):
    """A new plan with an official 汇总表 needs its reference labels here too."""
    official = {
        (p.id, s.key) for p in catalog.plans.values() for s in p.summaries
        if s.layout == "table" and not s.generated
    }
    assert official == set(EXPECTED)


def test_money_columns_carry_the_unit_their_label_names(catalog):
    for plan in catalog.plans.values():
        for summary in plan.summaries:
            for col in [*summary.columns, *summary.measures]:
                if col.source in ("fines", "fine_only", "confiscation"):
                    assert f"（{col.unit}）" in col.label, (plan.id, col.label)


def test_xj_mybj_fine_column_is_fines_only_in_yuan(catalog):
    col = catalog.get("2025-xj-mybj").summary("附表6").column("fines")
    assert (col.source, col.unit) == ("fine_only", "元")
    col = catalog.get("2025-mybj-tianjin").summary("附表2").column("fines")
    assert (col.source, col.unit) == ("fines", "万元")


# official-tables.md E (seed 004): a matrix, columns = 机构及案件分类, rows = 处理情况.
def test_zhongwei_matrix_matches_reference(catalog):
    plan = catalog.get("2021-zhongwei-fzss")
    (summary,) = plan.summaries
    assert summary.layout == "matrix"
    assert summary.title == "中卫市查处违法违规应用人类辅助生殖技术专项监督检查工作汇总表"
    assert summary.header_note == "_______（县、区） 单位（盖章）："
    assert list(summary.corner) == ["机构及案件分类", "处理情况"]
    assert _groups(summary) == [
        ("", ["技术准入机构(家)"]),
        ("非技术准入机构(家)", ["医疗机构", "其他机构", "合计"]),
        ("", ["未经批准开展人类辅助生殖技术", "非法采供精、采供卵", "非法进行性别鉴定", "实施开展“代孕”",
              "违法违规发布相关广告", "违法违规发布相关互联网信息"]),
    ]
    assert [m.label for m in summary.measures] == [
        "检查对象数", "案件数", "责令改正数", "警告数", "罚款户次", "罚款金额（万元）", "没收违法所得（万元）",
        "吊销行政许可资质", "移送相关部门", "移送司法机关",
    ]
    assert list(summary.footer) == FOOTER
    assert [ck.name for ck in plan.case_kinds] == [c.label for c in summary.groups[2].columns]
    assert summary.column("unlicensed_total").categories == ("medical", "other")


# official-tables.md B: 2024 has no official table; one column per item plus the usual ones.
GENERATED = {
    "2024-county-yiliao": ["医院（含中医院、妇幼保健院）", "社区卫生服务机构", "卫生院", "村卫生室（所）", "诊所",
                           "其他医疗机构"],
    "2024-county-yimei": ["医疗美容机构", "内设医疗美容科室的医疗机构"],
    "2024-county-caigongxue": ["一般血站", "特殊血站", "单采血浆站", "医院（含中医院）"],
    "2024-county-mybj": ["妇幼保健机构", "其他医疗、保健机构"],
}


@pytest.mark.parametrize("plan_id", list(GENERATED))
def test_generated_summary_has_one_column_per_item(catalog, plan_id):
    plan = catalog.get(plan_id)
    (summary,) = plan.summaries
    assert summary.generated and plan.generated_summary
    assert summary.title == plan.title.replace("工作计划表", "汇总表")
    assert [plan.category(k).name for k in summary.rows] == GENERATED[plan_id]
    assert summary.total_row == "合计"
    got = _groups(summary)
    assert got[0] == LEAD
    assert got[-1] == PENALTY
    assert [g for g, _ in got[1:-1]] == [s.title for s in plan.sections]
    item_columns = [c for g in summary.groups[1:-1] for c in g.columns]
    assert [c.items for c in item_columns] == [(i.key,) for i in plan.items]
    assert [c.label for c in item_columns] == [f"{i.short}不符合要求单位数" for i in plan.items]
    assert all(c.label.endswith("不符合要求单位数") for c in item_columns)

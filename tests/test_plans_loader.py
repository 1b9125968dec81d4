"""The plan loader: every seed plan loads, its numbers are the seed's, and bad files fail with
messages that say which file, where, and what is wrong (in Chinese)."""

import shutil
from decimal import Decimal

import pytest

from webapp.plans.loader import (
    FORMS_DIR,
    PlanError,
    check,
    load_plan_file,
    load_plan_text,
    load_plans,
    load_vocabulary,
)

PLAN_IDS = [
    "2021-zhongwei-fzss",
    "2024-county-caigongxue",
    "2024-county-mybj",
    "2024-county-yiliao",
    "2024-county-yimei",
    "2025-fzss-guangxi",
    "2025-mybj-tianjin",
    "2025-xj-mybj",
    "2025-xj-xueye",
    "2025-xj-yiliao",
    "2025-xj-yimei",
]


@pytest.fixture(scope="module")
def catalog():
    return load_plans()


@pytest.fixture(scope="module")
def vocab():
    return load_vocabulary()


def _ratios(plan):
    """{(tier, (categories…)): ratio} for compact assertions."""
    return {(d.tier, d.categories): d.ratio for d in plan.sampling}


# ---- the seed plans ------------------------------------------------------------------------


def test_every_seed_plan_loads_in_file_name_order(catalog):
    assert list(catalog.plans) == PLAN_IDS
    assert check() == []
    assert catalog.get("nope") is None


def test_vocabulary_has_the_register_kinds(catalog):
    assert list(catalog.kinds) == [
        "hospital", "mch", "psych", "chc", "chs", "thc", "village", "clinic", "other_med", "mch_other",
        "cosmetic", "cosmetic_dept", "blood_general", "blood_special", "plasma", "art", "sperm_bank",
        "other_org",
    ]
    assert catalog.kinds["mch_other"].name == "其他医疗、保健机构（开展母婴保健技术服务）"
    assert 15 <= len(catalog.services) <= 25


@pytest.mark.parametrize(
    "plan_id, categories, sections, seed",
    [
        ("2025-mybj-tianjin", 2, 5, "000_5830fcb38f52edf5"),
        ("2024-county-yiliao", 6, 8, "001_a7d040c6838ec870"),
        ("2024-county-yimei", 2, 6, "001_a7d040c6838ec870"),
        ("2024-county-caigongxue", 4, 7, "001_a7d040c6838ec870"),
        ("2024-county-mybj", 2, 4, "001_a7d040c6838ec870"),
        ("2025-fzss-guangxi", 2, 3, "002_c29a2b8a5452888e"),
        ("2025-xj-yiliao", 7, 12, "003_7c98300d055fde31"),
        ("2025-xj-yimei", 2, 6, "003_7c98300d055fde31"),
        ("2025-xj-mybj", 2, 5, "003_7c98300d055fde31"),
        ("2025-xj-xueye", 4, 7, "003_7c98300d055fde31"),
        ("2021-zhongwei-fzss", 3, 1, "004_03d37c03d84e17ca"),
    ],
)
def test_counts_follow_the_seed(catalog, plan_id, categories, sections, seed):
    plan = catalog.get(plan_id)
    assert len(plan.categories) == categories
    assert len(plan.sections) == sections
    assert plan.seed == seed
    assert len(plan.version) == 16


def test_county_yiliao_ratios(catalog):
    """Seed 001 附表1: 医院 国家 12% 市级 5%; the other five rows pooled, 国家 5% 市级 10%."""
    plan = catalog.get("2024-county-yiliao")
    pool = ("community", "thc", "village", "clinic", "other_med")
    assert _ratios(plan) == {
        ("national", ("hospital",)): Decimal("0.12"),
        ("city", ("hospital",)): Decimal("0.05"),
        ("national", pool): Decimal("0.05"),
        ("city", pool): Decimal("0.1"),
    }
    assert [t.name for t in plan.tiers] == ["国家双随机", "市级双随机"]
    assert plan.lookback.years == (2023,)
    assert [(d.kind, d.date.isoformat()) for d in plan.deadlines] == [
        ("stage_summary", "2024-06-10"),
        ("completion", "2024-10-30"),
        ("year_summary", "2024-10-30"),
    ]


def test_county_yimei_city_draw_takes_what_national_left(catalog):
    """Seed 001 附表2: 内设医疗美容科室 市级 80%（国家双随机未抽取的剩余单位）."""
    plan = catalog.get("2024-county-yimei")
    city = next(d for d in plan.sampling if d.tier == "city" and d.categories == ("cosmetic_dept",))
    assert city.ratio == Decimal("0.8")
    assert city.base == "remainder:national"
    assert city.remainder_of == "national"
    national = next(d for d in plan.sampling if d.tier == "national" and d.categories == ("cosmetic_dept",))
    assert national.ratio == Decimal("0.2") and national.base is None


def test_county_mybj_city_draw_has_a_per_district_minimum(catalog):
    """Seed 001 附表4: 其他医疗、保健机构 市级 10%（每个区县抽 2 家）."""
    plan = catalog.get("2024-county-mybj")
    city = next(d for d in plan.sampling if d.tier == "city")
    assert (city.categories, city.ratio, city.per_district) == (("other",), Decimal("0.1"), 2)


def test_caigongxue_and_xueye_ratios(catalog):
    assert _ratios(catalog.get("2024-county-caigongxue")) == {
        ("national", ("blood_general",)): Decimal("0.5"),
        ("national", ("blood_special",)): Decimal("1.0"),
        ("national", ("plasma",)): Decimal("0.5"),
        ("national", ("hospital",)): Decimal("0.06"),
    }
    # seed 003 附表7 differs in one place: 单采血浆站 100%
    assert _ratios(catalog.get("2025-xj-xueye"))["national", ("plasma",)] == Decimal("1.0")


def test_xj_yiliao_pools_five_percent_over_six_rows(catalog):
    plan = catalog.get("2025-xj-yiliao")
    assert _ratios(plan) == {
        ("national", ("hospital",)): Decimal("0.12"),
        ("national", ("chc", "chs", "thc", "village", "clinic", "other_med")): Decimal("0.05"),
    }
    assert plan.summary("附表2").rows == ("hospital", "chc", "chs", "thc", "village", "clinic", "other_med")


def test_guangxi_draws_everything_in_one_default_tier(catalog):
    plan = catalog.get("2025-fzss-guangxi")
    assert [t.key for t in plan.tiers] == ["default"]
    (draw,) = plan.sampling
    assert (draw.categories, draw.ratio, draw.tier) == (("art", "sperm_bank"), Decimal("1.0"), "default")


def test_special_campaign_has_no_draws(catalog):
    plan = catalog.get("2021-zhongwei-fzss")
    assert plan.kind == "special" and plan.sampling == ()
    assert {i.case_kind for i in plan.items} == {ck.key for ck in plan.case_kinds}


def test_sample_size_rounds_up_and_draws_at_least_one(catalog):
    hospital = next(d for d in catalog.get("2025-xj-yiliao").sampling if d.categories == ("hospital",))
    assert hospital.sample_size(0) == 0
    assert hospital.sample_size(1) == 1
    assert hospital.sample_size(25) == 3  # exactly 3.00: the ratio is a Decimal, not 0.12000000001
    assert hospital.sample_size(26) == 4


def test_village_clinic_gets_only_prescriptions_in_xj_yiliao(catalog):
    """Seed 003 附表1 第5项: 村卫生室仅抽查处方管理情况."""
    plan = catalog.get("2025-xj-yiliao")
    assert [i.key for i in plan.items_for(["village"])] == ["5.1"]
    assert plan.item("5.1").text.startswith("处方")
    assert len(plan.items_for(["chc"])) == len(plan.items)
    assert plan.items_for(["art"]) == ()  # not a category of this plan


def test_category_of_uses_register_kinds(catalog):
    yiliao = catalog.get("2025-xj-yiliao")
    assert yiliao.category_of(["mch"]).key == "hospital"  # 医院（含妇幼保健院、精神卫生院）
    assert yiliao.category_of(["psych"]).key == "hospital"
    assert yiliao.category_of(["plasma"]) is None
    yimei = catalog.get("2024-county-yimei")
    assert yimei.category_of(["hospital", "cosmetic_dept"]).key == "cosmetic_dept"
    # first row wins: an ART centre inside a hospital is a 技术准入机构 in seed 004
    assert catalog.get("2021-zhongwei-fzss").category_of(["hospital", "art"]).key == "licensed"


def test_blood_plans_check_hospitals_only_for_clinical_use(catalog):
    plan = catalog.get("2025-xj-xueye")
    assert {i.section for i in plan.items_for(["hospital"])} == {"7"}
    assert "7" not in {i.section for i in plan.items_for(["blood_general"])}
    assert [i.key for i in plan.items_for(["blood_special"]) if i.section == "6"] == ["6.1", "6.2", "6.3"]


def test_services_suggest_reasonable_omissions(catalog):
    plan = catalog.get("2025-mybj-tianjin")
    omitted = {i.key for i in plan.suggested_omissions(["mch"], ["abortion", "midwifery", "birth_cert"])}
    assert {"2.4", "2.5", "4.1", "4.2"} <= omitted  # NIPT, ART
    assert not omitted & {"2.3", "3.2", "5.1", "1.1"}
    # section 5 needs 出生医学证明签发, except 5.5: forgery is checked everywhere
    assert plan.item("5.1").services == ("birth_cert",)
    assert plan.item("5.5").services == ()


def test_guangxi_monitoring_item_feeds_no_column(catalog):
    """official-tables.md C: 关键区域实时监控 has no column of its own."""
    plan = catalog.get("2025-fzss-guangxi")
    monitoring = next(i for i in plan.items if "实时监控" in i.text)
    summary = plan.summary("附表2")
    assert all(monitoring.key not in c.items for c in summary.columns)
    assert len(summary.column("qual_org").items) == 2  # a column may gather several items


def test_every_item_column_is_fed_and_each_item_feeds_at_most_one(catalog):
    for plan in catalog.plans.values():
        for summary in plan.summaries:
            fed = [k for c in summary.columns if c.source == "items" for k in c.items]
            assert len(fed) == len(set(fed)), plan.id
            assert all(c.items for c in summary.columns if c.source == "items"), plan.id
            assert set(fed) <= {i.key for i in plan.items}


def test_every_item_cites_a_law(catalog):
    for plan in catalog.plans.values():
        for item in plan.items:
            assert item.basis.startswith("《"), (plan.id, item.key)


def test_plans_are_frozen(catalog):
    plan = catalog.get("2025-xj-yiliao")
    with pytest.raises(AttributeError):
        plan.title = "x"  # type: ignore[misc]


# ---- version -------------------------------------------------------------------------------


def test_version_changes_when_the_file_changes(tmp_path):
    forms = tmp_path / "forms"
    shutil.copytree(FORMS_DIR, forms)
    before = load_plans(forms)
    path = forms / "2025-xj-yiliao.toml"
    path.write_text(path.read_text(encoding="utf-8") + "\n# 修订\n", encoding="utf-8")
    after = load_plans(forms)
    assert after.get("2025-xj-yiliao").version != before.get("2025-xj-yiliao").version
    assert after.get("2025-xj-yimei").version == before.get("2025-xj-yimei").version
    # the same bytes give the same version, however they are loaded
    vocab = load_vocabulary(forms)
    assert load_plan_file(path, vocab).version == after.get("2025-xj-yiliao").version
    text = path.read_text(encoding="utf-8")
    assert load_plan_text(text, path.name, vocab).version == after.get("2025-xj-yiliao").version


# ---- malformed files -----------------------------------------------------------------------

VALID = """\
id = "t"
title = "测试计划"
year = 2025
authority = "测试卫生健康委"
seed = "000_test"
kind = "random"

[[deadlines]]
kind = "stage_summary"
label = "报送阶段性工作总结"
date = 2025-06-15

[[tiers]]
key = "national"
name = "国家双随机"

[[categories]]
key = "mch"
name = "妇幼保健机构"
kinds = ["mch"]

[[draws]]
categories = ["mch"]
tier = "national"
ratio = 0.5

[[sections]]
key = "1"
title = "机构及人员资质情况"

[[sections.items]]
key = "1.1"
text = "机构取得执业资质"
basis = "《中华人民共和国母婴保健法》第三十二条"

[[sections.items]]
key = "1.2"
text = "人员取得执业资格"
basis = "《中华人民共和国母婴保健法》第三十三条"
services = ["abortion"]

[[summaries]]
key = "附表2"
title = "测试汇总表"
layout = "table"
rows = ["mch"]

[[summaries.groups]]
label = "机构及人员资质情况"

[[summaries.groups.columns]]
key = "qual"
label = "资质不符合要求单位数"
source = "items"
items = ["1.1", "1.2"]

[[summaries.groups.columns]]
key = "fines"
label = "罚没款金额（万元）"
source = "fines"
unit = "万元"
"""


def _edit(old, new):
    assert old in VALID, old
    return VALID.replace(old, new, 1)


def _line_of(text, needle):
    return text.splitlines().index(needle) + 1


def test_the_template_is_valid(vocab):
    plan = load_plan_text(VALID, "t.toml", vocab)
    assert plan.item("1.2").services == ("abortion",)


BAD_DATE = _edit("date = 2025-06-15", "date = 2025-02-30")

MALFORMED = {
    "unknown key": (
        _edit('kind = "random"', 'kind = "random"\ntitel = "错字"'),
        ["t.toml: 未知的键 “titel”"],
    ),
    "missing title": (
        _edit('title = "测试计划"\n', ""),
        ["t.toml: 缺少必填项 “title”"],
    ),
    "duplicate item key": (
        _edit('key = "1.2"', 'key = "1.1"'),
        [
            "t.toml: sections[0].items[1].key: 检查项编号 “1.1” 重复（已见于 sections[0].items[0]）",
            # the column still names 1.2, which is now gone: reported too, not hidden
            "t.toml: summaries[0].groups[0].columns[0].items: 未知的检查项 “1.2”",
        ],
    ),
    "column with no items": (
        _edit('items = ["1.1", "1.2"]', "items = []"),
        ["t.toml: summaries[0].groups[0].columns[0].items: 没有检查项计入此栏"],
    ),
    "column with an unknown item": (
        _edit('items = ["1.1", "1.2"]', 'items = ["1.1", "9.9"]'),
        ["t.toml: summaries[0].groups[0].columns[0].items: 未知的检查项 “9.9”"],
    ),
    "unknown category in item": (
        _edit('text = "机构取得执业资质"', 'text = "机构取得执业资质"\ncategories = ["xyz"]'),
        ["t.toml: sections[0].items[0].categories: 未知的单位类别 “xyz”"],
    ),
    "ratio 0": (
        _edit("ratio = 0.5", "ratio = 0"),
        ["t.toml: draws[0].ratio: 抽取比例应大于 0 且不大于 1，实为 0"],
    ),
    "ratio 1.5": (
        _edit("ratio = 0.5", "ratio = 1.5"),
        ["t.toml: draws[0].ratio: 抽取比例应大于 0 且不大于 1，实为 1.5"],
    ),
    "invalid date": (
        BAD_DATE,
        [f"t.toml: TOML 格式错误：第 {_line_of(BAD_DATE, 'date = 2025-02-30')} 行第 8 列，日期或时间无效"],
    ),
    "date written as text": (
        _edit("date = 2025-06-15", 'date = "2025-06-15"'),
        ["t.toml: deadlines[0].date: 应为日期（如 2025-06-15），实为文本"],
    ),
    "unknown deadline kind": (
        _edit('kind = "stage_summary"', 'kind = "summary"'),
        ["t.toml: deadlines[0].kind: 未知的期限类型 “summary”，应为 “stage_summary”（阶段性工作总结）、"
         "“completion”（完成全部抽查任务和数据信息填报）、“year_summary”（全年工作总结）、"
         "“report_up”（汇总表及总结上报）、“phase”（工作阶段） 之一"],
    ),
    "deadline without its meaning": (
        _edit('kind = "stage_summary"\n', ""),
        ["t.toml: deadlines[0]: 缺少必填项 “kind”"],
    ),
    "period ends before it starts": (
        _edit("[[deadlines]]", "[period]\nstart = 2025-01-01\nend = 2024-12-31\n\n[[deadlines]]"),
        ["t.toml: period.end: 计划期间的结束日期 2024-12-31 早于开始日期 2025-01-01"],
    ),
    "period end as text": (
        _edit("[[deadlines]]", '[period]\nstart = 2025-01-01\nend = "2025-12-31"\n\n[[deadlines]]'),
        ["t.toml: period.end: 应为日期（如 2025-06-15），实为文本"],
    ),
    "period of another year": (
        _edit("[[deadlines]]", "[period]\nstart = 2024-01-01\nend = 2025-12-31\n\n[[deadlines]]"),
        ["t.toml: period.start: 计划期间应从计划年度 2025 年开始，实为 2024-01-01"],
    ),
    "stage date outside the period": (
        _edit("[[deadlines]]", "[period]\nstart = 2025-01-01\nend = 2025-05-31\n\n[[deadlines]]"),
        ["t.toml: deadlines[0].date: 阶段性总结日期 2025-06-15 不在计划期间 2025-01-01 至 2025-05-31 内"],
    ),
    "unknown tier": (
        _edit('tier = "national"', 'tier = "province"'),
        ["t.toml: draws[0].tier: 未知的抽取层级 “province”"],
    ),
    "unknown kind": (
        _edit('kinds = ["mch"]', 'kinds = ["mch", "alien"]'),
        ["t.toml: categories[0].kinds: 未知的登记类别 “alien”"],
    ),
    "unknown service": (
        _edit('services = ["abortion"]', 'services = ["teleport"]'),
        ["t.toml: sections[0].items[1].services: 未知的服务项目 “teleport”"],
    ),
    "wrong type": (
        _edit("year = 2025", 'year = "2025"'),
        ["t.toml: year: 应为整数，实为文本"],
    ),
    "item in two columns": (
        _edit('key = "fines"', 'key = "qual2"\nlabel = "重复"\nsource = "items"\nitems = ["1.1"]\n'
              '[[summaries.groups.columns]]\nkey = "fines"'),
        ["t.toml: summaries[0].groups[0].columns[1].items: 检查项 “1.1” 已计入栏目 “qual”，一项只能计入一栏"],
    ),
    "money label without its unit": (
        _edit('label = "罚没款金额（万元）"', 'label = "罚没款金额"'),
        ["t.toml: summaries[0].groups[0].columns[1].unit: 栏目名称 “罚没款金额” 没有注明单位（万元）"],
    ),
    "remainder of an unknown tier": (
        _edit("ratio = 0.5", 'ratio = 0.5\nbase = "remainder:city"'),
        ["t.toml: draws[0].base: 未知的抽取层级 “city”"],
    ),
}


@pytest.mark.parametrize("text, errors", list(MALFORMED.values()), ids=list(MALFORMED))
def test_malformed_plan_fails_with_the_exact_message(vocab, text, errors):
    with pytest.raises(PlanError) as exc:
        load_plan_text(text, "t.toml", vocab)
    assert exc.value.errors == errors
    assert errors[0] in str(exc.value)


def test_period_defaults_to_the_plan_year(vocab):
    import datetime

    plan = load_plan_text(VALID, "t.toml", vocab)
    assert (plan.period.start, plan.period.end) == (datetime.date(2025, 1, 1), datetime.date(2025, 12, 31))
    assert plan.deadline("stage_summary").label == "报送阶段性工作总结"
    assert plan.deadline("completion") is None


# (seed, deadlines by kind) as the seed texts give them (issue 14 "Periods")
SEED_DEADLINES = {
    "2025-mybj-tianjin": [("completion", "2025-11-15"), ("stage_summary", "2025-06-15"), ("year_summary", "2025-11-15")],
    "2024-county-yiliao": [("stage_summary", "2024-06-10"), ("completion", "2024-10-30"), ("year_summary", "2024-10-30")],
    "2025-fzss-guangxi": [("completion", "2025-11-30"), ("report_up", "2025-12-10"), ("report_up", "2025-12-20")],
    "2025-xj-yiliao": [("completion", "2025-11-15"), ("stage_summary", "2025-06-15"), ("year_summary", "2025-11-15")],
    "2021-zhongwei-fzss": [("phase", "2021-04-30"), ("phase", "2021-08-31"), ("phase", "2021-09-30"),
                           ("report_up", "2021-09-30"), ("phase", "2021-10-31")],
}


@pytest.mark.parametrize("plan_id", PLAN_IDS)
def test_every_plan_carries_its_period_and_the_meaning_of_its_deadlines(catalog, plan_id):
    plan = catalog.get(plan_id)
    assert (plan.period.start.isoformat(), plan.period.end.isoformat()) == (f"{plan.year}-01-01", f"{plan.year}-12-31")
    assert plan.deadlines and all(d.kind_name and d.label and d.date.year == plan.year for d in plan.deadlines)
    if plan.kind == "random":
        assert plan.deadline("completion") is not None
    if plan_id in SEED_DEADLINES:
        assert [(d.kind, d.date.isoformat()) for d in plan.deadlines] == SEED_DEADLINES[plan_id]
    if plan_id == "2021-zhongwei-fzss":
        assert [d.start.isoformat() if d.start else None for d in plan.deadlines] == [
            None, "2021-05-01", "2021-09-01", "2021-09-27", "2021-10-01"]


def test_all_errors_are_reported_at_once(vocab):
    text = VALID.replace("ratio = 0.5", "ratio = 2").replace('kinds = ["mch"]', 'kinds = ["alien"]')
    text = text.replace('tier = "national"', 'tier = "province"')
    with pytest.raises(PlanError) as exc:
        load_plan_text(text, "t.toml", vocab)
    assert exc.value.errors == [
        "t.toml: categories[0].kinds: 未知的登记类别 “alien”",
        "t.toml: draws[0].tier: 未知的抽取层级 “province”",
        "t.toml: draws[0].ratio: 抽取比例应大于 0 且不大于 1，实为 2",
    ]


def test_check_reports_duplicate_ids_and_bad_files_without_raising(tmp_path):
    forms = tmp_path / "forms"
    forms.mkdir()
    shutil.copy(FORMS_DIR / "_categories.toml", forms)
    (forms / "a.toml").write_text(VALID, encoding="utf-8")
    (forms / "b.toml").write_text(VALID, encoding="utf-8")
    (forms / "c.toml").write_text(_edit("ratio = 0.5", "ratio = 0"), encoding="utf-8")
    assert check(forms) == [
        "b.toml: id: 计划编号 “t” 与 a.toml 重复",
        "c.toml: draws[0].ratio: 抽取比例应大于 0 且不大于 1，实为 0",
    ]
    with pytest.raises(PlanError):
        load_plans(forms)


def test_generated_summary_needs_short_names(vocab):
    text = VALID[: VALID.index("[[summaries]]")].replace('kind = "random"', 'kind = "random"\ngenerated_summary = true')
    with pytest.raises(PlanError) as exc:
        load_plan_text(text, "t.toml", vocab)
    assert exc.value.errors == [
        "t.toml: sections[0].items[0]: 生成汇总表需要检查项简称 “short”",
        "t.toml: sections[0].items[1]: 生成汇总表需要检查项简称 “short”",
    ]

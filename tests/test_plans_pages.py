"""Plan pages, the `plans` CLI group, the catalog cache and plan versions."""
import shutil

import pytest

from webapp.plans.catalog import catalog
from webapp.plans.headers import header_rows
from webapp.plans.loader import FORMS_DIR, load_plans

PLANS = load_plans()


@pytest.mark.parametrize("username", ["admin", "jdy1", "shr1", "fzr1"])
def test_plan_list_for_every_role(browser, org, username):
    page = browser(username).get("/plans/").get_data(as_text=True)
    for plan in PLANS.plans.values():
        assert plan.title in page


@pytest.mark.parametrize("plan_id", sorted(PLANS.plans))
def test_plan_detail_shows_everything(browser, org, plan_id):
    plan = PLANS.get(plan_id)
    resp = browser("jdy1").get(f"/plans/{plan_id}")
    assert resp.status_code == 200
    page = resp.get_data(as_text=True)
    for c in plan.categories:
        assert c.name in page
    for d in plan.deadlines:
        assert d.date.isoformat() in page
        assert f"<td>{d.kind_name}</td><td>{d.label}</td>" in page  # what the date means, in the seed's words
    assert f"计划期间：{plan.period.start.isoformat()} 至 {plan.period.end.isoformat()}" in page
    for item in plan.items:
        assert f'id="item-{item.key}"' in page
    for s in plan.summaries:
        assert s.title in page
        for col in s.columns:
            assert f">{col.label}</th>" in page
        for g in s.groups:
            if g.label:
                assert f">{g.label}</th>" in page


def test_ratios_shown_with_their_rules(browser, org):
    page = browser("jdy1").get("/plans/2024-county-yimei").get_data(as_text=True)
    assert "80%（国家双随机未抽取的剩余单位）" in page
    page = browser("jdy1").get("/plans/2024-county-mybj").get_data(as_text=True)
    assert "每个区县至少 2 家" in page


def test_unknown_plan_is_404(browser, org):
    assert browser("jdy1").get("/plans/no-such-plan").status_code == 404


def test_header_grid_spans_match_columns():
    for plan in PLANS.plans.values():
        for s in plan.summaries:
            rows = header_rows(s)
            # every header row covers the same width once rowspans are accounted for
            width = sum(c.colspan for c in rows[0])
            assert width == 1 + len(s.columns)
            leaves = [c.key for row in rows for c in row if c.key and c.key != "__corner__"]
            assert sorted(leaves) == sorted(c.key for c in s.columns)


def test_header_grid_of_mybj_has_three_levels():
    s = PLANS.get("2025-mybj-tianjin").summaries[0]
    rows = header_rows(s)
    assert len(rows) == 3
    top = [c.text for c in rows[0]]
    assert top[:3] == ["单位类别", "辖区内单位总数", "检查单位数"]
    assert "不合格情况" in top and "行政处罚情况" in top
    assert [c.text for c in rows[1]][:1] == ["机构及人员资质情况"]


def test_cli_plans_list(runner):
    result = runner.invoke(args=["plans", "list"])
    assert result.exit_code == 0
    lines = result.output.strip().splitlines()
    assert len(lines) == len(PLANS.plans)
    assert "2025-mybj-tianjin\t2025年母婴保健技术服务机构随机监督抽查计划" in lines


def _copy_forms(tmp_path):
    target = tmp_path / "forms"
    shutil.copytree(FORMS_DIR, target)
    return target


def test_cli_plans_check_ok_and_error(app, tmp_path):
    forms = _copy_forms(tmp_path)
    app.config["FORMS_DIR"] = str(forms)
    ok = app.test_cli_runner().invoke(args=["plans", "check"])
    assert ok.exit_code == 0 and "校验通过" in ok.output
    (forms / "2026-bad.toml").write_text('id = "2026-bad"\ntitle = "坏计划"\nyear = 2026\n', encoding="utf-8")
    bad = app.test_cli_runner().invoke(args=["plans", "check"])
    assert bad.exit_code == 1
    assert "2026-bad.toml" in bad.output and "计划文件有" in bad.output


def test_catalog_picks_up_a_new_plan_and_keeps_a_good_one_on_error(app, tmp_path):
    forms = _copy_forms(tmp_path)
    app.config["FORMS_DIR"] = str(forms)
    with app.app_context():
        before = catalog()
        text = (forms / "2025-mybj-tianjin.toml").read_text(encoding="utf-8")
        (forms / "2026-mybj.toml").write_text(text.replace('id = "2025-mybj-tianjin"', 'id = "2026-mybj"').replace("year = 2025", "year = 2026")
                                           .replace(" = 2025-", " = 2026-"), encoding="utf-8")  # its period and deadlines too
        after = catalog()
        assert "2026-mybj" in after.plans and "2026-mybj" not in before.plans
        (forms / "2027-broken.toml").write_text("id = ", encoding="utf-8")
        assert catalog() is after  # a broken file never replaces a good catalog


def test_old_record_keeps_its_plan_version(app, tmp_path):
    """A version is stored the first time it is used; after the file changes, the old version
    still loads with its own items, and the catalog serves the new one."""
    from webapp.plans.catalog import plan_at
    from webapp.plans.versions import PlanVersion, remember_version

    forms = _copy_forms(tmp_path)
    app.config["FORMS_DIR"] = str(forms)
    with app.app_context():
        old = catalog().get("2025-mybj-tianjin")
        remember_version(old)
        remember_version(old)  # stored once
        assert PlanVersion.select().where(PlanVersion.plan_id == old.id).count() == 1
        path = forms / "2025-mybj-tianjin.toml"
        first_item = old.items[0]
        path.write_text(path.read_text(encoding="utf-8").replace(first_item.text, "新版检查内容"), encoding="utf-8")
        new = catalog().get("2025-mybj-tianjin")
        assert new.version != old.version and new.items[0].text == "新版检查内容"
        again = plan_at(old.id, old.version)
        assert again.version == old.version and again.items[0].text == first_item.text
        assert plan_at(new.id, new.version).items[0].text == "新版检查内容"

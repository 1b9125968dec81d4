"""汇总表 periods (issue 14): a frozen summary records the period it counted and prints it, the
page's period chooser, the CLI's --period."""
import io

import openpyxl
import pytest

from webapp.org.models import Area
from webapp.plans import catalog as plan_store
from webapp.reports.figures import TOTAL, figures
from webapp.reports.models import SummaryReport

from .pdfcheck import pdf_text
from .test_reports import squash
from .test_reports_figures import make_world


def test_a_frozen_summary_records_its_period_and_prints_it(app, org, browser, tmp_path):
    """Issue 14: a submitted or approved summary records the period it counted and says it."""
    import datetime

    from webapp.reports import periods

    pid = "2025-xj-yiliao"
    with app.app_context():
        make_world(org, [pid])
        plan = plan_store.get_plan(pid)
        stage = figures(plan, plan.summaries[0], Area.get_by_id(org.d1.id), periods.stage(plan))[TOTAL]
        year = figures(plan, plan.summaries[0], Area.get_by_id(org.d1.id))[TOTAL]
    assert stage["units_checked"] < year["units_checked"]
    b = browser("jdy1")
    page = b.get(f"/reports/?plan={pid}&area={org.d1.code}&period=stage").get_data(as_text=True)
    assert 'value="stage" checked' in page and "统计期间：阶段（2025-01-01 至 2025-06-15）" in page
    resp = b.post(f"/reports/submit?plan={pid}&area={org.d1.code}&period=stage", {"phone": "0991-1234567"})
    assert resp.status_code == 303
    report = SummaryReport.select().order_by(SummaryReport.id.desc()).first()
    assert (report.period_start, report.period_end, report.period_kind) == (
        datetime.date(2025, 1, 1), datetime.date(2025, 6, 15), "stage")
    assert browser("shr1").post(f"/reports/summary/{report.id}/review").status_code == 303
    assert browser("fzr1").post(f"/reports/summary/{report.id}/approve").status_code == 303
    with app.app_context():
        from webapp.reports import workflow

        frozen = workflow.tables_of(SummaryReport.get_by_id(report.id))[0]
    cells = {c["col"]: c["value"] for c in next(r for r in frozen["rows"] if r["key"] == TOTAL)["cells"]}
    assert cells == stage  # the stage was counted, not the year
    said = "统计期间：阶段（2025-01-01 至 2025-06-15）"
    assert said in browser("city_shr").get(f"/reports/summary/{report.id}").get_data(as_text=True)
    pdf = browser("city_shr").get(f"/reports/summary/{report.id}.pdf")
    assert squash(said) in squash(pdf_text(pdf.data, tmp_path))
    wb = openpyxl.load_workbook(io.BytesIO(browser("city_shr").get(f"/reports/summary/{report.id}.xlsx").data))
    assert any(said in str(c.value) for row in wb.active.iter_rows() for c in row)
    listed = b.get(f"/reports/?plan={pid}&area={org.d1.code}").get_data(as_text=True).split('id="report-approval"', 1)[1]
    assert "<td>阶段（2025-01-01 至 2025-06-15）</td>" in listed
    # without a choice the plan year is recorded
    assert b.post(f"/reports/submit?plan={pid}&area={org.d1.code}", {}).status_code == 303
    newest = SummaryReport.select().order_by(SummaryReport.id.desc()).first()
    assert (newest.period_start, newest.period_end, newest.period_kind) == (
        datetime.date(2025, 1, 1), datetime.date(2025, 12, 31), "year")


def test_page_period_chooser_reports_mistakes_beside_the_field(app, org, browser):
    b = browser("shr1")
    resp = b.get("/reports/?plan=2021-zhongwei-fzss&period=stage")
    assert resp.status_code == 422 and "该计划没有阶段性工作总结日期，不能按阶段统计" in resp.get_data(as_text=True)
    fragment = b.get("/reports/?plan=2025-xj-yiliao&period=custom&start=2025-07-01&end=2025-06-01", htmx=True)
    # htmx swaps the fragment with the chooser in it: the message stands beside its field
    assert fragment.status_code == 422 and "<html" not in fragment.get_data(as_text=True)
    assert '<input type="date" name="end"' in fragment.get_data(as_text=True)
    page = b.get("/reports/?plan=2025-xj-yiliao&period=custom&start=2025-07-01&end=2025-06-01").get_data(as_text=True)
    assert "结束日期不能早于开始日期" in page and 'value="2025-07-01"' in page
    page = b.get("/reports/?plan=2025-xj-yiliao&period=custom&start=2025-03-01&end=2025-04-30").get_data(as_text=True)
    assert "统计期间：自定义期间（2025-03-01 至 2025-04-30）" in page and 'value="custom" checked' in page
    # the numbers link to their units over the same period
    assert "period=custom" in page and "start=2025-03-01" in page


@pytest.mark.parametrize("kind", ["xlsx", "pdf"])
def test_cli_period(app, org, runner, tmp_path, kind):
    from webapp.reports import periods

    pid = "2025-xj-yiliao"
    with app.app_context():
        make_world(org, [pid])
        plan = plan_store.get_plan(pid)
        top = Area.select().order_by(Area.level, Area.code).first()
        want = {p: figures(plan, plan.summaries[0], top, periods.parse(plan, p))[TOTAL]["units_checked"]
                for p in ("year", "stage", "2025-03-01..2025-04-30")}
    assert want["2025-03-01..2025-04-30"] < want["stage"] < want["year"]
    for text, said in [("stage", "阶段（2025-01-01 至 2025-06-15）"), ("2025-03-01..2025-04-30", "自定义期间（2025-03-01 至 2025-04-30）"),
                       (None, "计划年度（2025-01-01 至 2025-12-31）")]:
        out = tmp_path / f"{text}.{kind}"
        args = ["report", kind, "--plan", pid, "--out", str(out)] + (["--period", text] if text else [])
        result = runner.invoke(args=args)
        assert result.exit_code == 0, result.output
        assert said in result.output
        if kind == "xlsx":
            ws = openpyxl.load_workbook(io.BytesIO(out.read_bytes())).active
            assert any(said in str(c.value) for row in ws.iter_rows() for c in row)
            col = 2 + [c.key for c in plan.summaries[0].columns].index("units_checked")
            total = next(r for r in ws.iter_rows() if r[0].value == "合计")
            assert total[col - 1].value == want[text or "year"]
        else:
            assert squash(f"统计期间：{said}") in squash(pdf_text(out.read_bytes(), tmp_path))
    bad = runner.invoke(args=["report", kind, "--plan", pid, "--period", "2025-13-01..2025-12-31", "--out", str(tmp_path / "x")])
    assert bad.exit_code != 0 and "统计期间“2025-13-01..2025-12-31”：日期格式应为 2025-06-30" in bad.output
    bad = runner.invoke(args=["report", kind, "--plan", pid, "--period", "half", "--out", str(tmp_path / "x")])
    assert bad.exit_code != 0 and "应为 year、stage 或 2025-01-01..2025-06-30" in bad.output

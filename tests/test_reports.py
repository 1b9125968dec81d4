"""汇总表 on the page, in the PDF and in the workbook: the official labels verbatim and in their
groups, the figures as counted, the frozen snapshot, approval rights, the CLI."""
import html
import io
import re

import openpyxl
import pytest

from webapp.inspection.models import Answer, Record, Status
from webapp.org.models import Area
from webapp.plans import catalog as plan_store
from webapp.reports.figures import TOTAL, figures
from webapp.reports.models import SummaryReport, SummaryStatus

from .pdfcheck import pdf_text, render_first_page
from .test_plans_tables import EXPECTED, FOOTER
from .test_reports_figures import CATALOG, make_world

# official-tables.md E (seed 004): the matrix, written out here independently of forms/.
ZHONGWEI = dict(
    title="中卫市查处违法违规应用人类辅助生殖技术专项监督检查工作汇总表",
    groups=[("", ["技术准入机构(家)"]), ("非技术准入机构(家)", ["医疗机构", "其他机构", "合计"]),
            ("", ["未经批准开展人类辅助生殖技术", "非法采供精、采供卵", "非法进行性别鉴定", "实施开展“代孕”",
                  "违法违规发布相关广告", "违法违规发布相关互联网信息"])],
    rows=["检查对象数", "案件数", "责令改正数", "警告数", "罚款户次", "罚款金额（万元）", "没收违法所得（万元）",
          "吊销行政许可资质", "移送相关部门", "移送司法机关"],
    corner=["机构及案件分类", "处理情况"],
)
TABLES = sorted(EXPECTED) + [("2021-zhongwei-fzss", "附件")]


def squash(text):
    return re.sub(r"\s+", "", text)


def expected_for(plan_id, key):
    if plan_id == "2021-zhongwei-fzss":
        return ZHONGWEI
    want = EXPECTED[plan_id, key]
    groups = [(g, cols) for g, cols in want["groups"]]
    return dict(title=want["title"], groups=groups, rows=want["rows"] + ([want["total"]] if want["total"] else []),
                parent=want["parents"])


def header_rows(page, table_key):
    """The <thead> of one table on the page: rows of (text, colspan)."""
    part = page.split(f'id="table-{table_key}"', 1)[1].split("</thead>", 1)[0]
    out = []
    for tr in part.split("<tr>")[1:]:
        cells = re.findall(r'<th rowspan="(\d+)" colspan="(\d+)"[^>]*>(.*?)</th>', tr, re.S)
        out.append([(html.unescape(re.sub(r"<br>", "/", t)).strip(), int(cs)) for _, cs, t in cells])
    return out


@pytest.mark.parametrize("plan_id, key", TABLES, ids=[f"{p}-{k}" for p, k in TABLES])
def test_every_seed_table_on_page_pdf_and_workbook(app, org, browser, tmp_path, plan_id, key):
    with app.app_context():
        make_world(org, [plan_id])
        plan = plan_store.get_plan(plan_id)
        summary = plan.summary(key)
        want_figures = figures(plan, summary, org.city)
    want = expected_for(plan_id, key)
    b = browser("city_shr")
    query = f"plan={plan_id}&area={org.city.code}"

    # -- the page: labels verbatim, each group header spanning exactly its columns
    page = b.get(f"/reports/?{query}").get_data(as_text=True)
    assert html.escape(want["title"], quote=False) in page
    rows = header_rows(page, key)
    flat = [t for r in rows for t, _ in r]
    spans = {t: cs for r in rows for t, cs in r}
    for group, cols in want["groups"]:
        for col in cols:
            assert col in flat, col
        if group:
            assert spans[group] == len(cols), group
    if want.get("parent"):
        failing = sum(len(c) for g, c in want["groups"][1:-1])
        assert spans[want["parent"]] == failing
    for label in want["rows"]:
        assert f'scope="row">{html.escape(label, quote=False)}</th>' in page
    # every number is a link to the units behind it
    links = re.findall(r'<a href="(/reports/units\?[^"]+)"', page)
    assert links
    first = b.get(html.unescape(links[0]))
    assert first.status_code == 200 and "单位名称" in first.get_data(as_text=True)

    # -- the PDF: labels in content order (pdftotext -raw keeps vertical headers together)
    resp = b.get(f"/reports/export.pdf?{query}")
    assert resp.status_code == 200 and resp.mimetype == "application/pdf"
    text = squash(pdf_text(resp.data, tmp_path))
    assert squash(want["title"]) in text and "填报单位：测试市卫生监督所" in text
    pos = 0
    for group, cols in want["groups"]:  # the column labels, in the official order
        for col in cols:
            found = text.find(squash(col), pos if plan_id != "2021-zhongwei-fzss" else 0)
            assert found >= 0, col
            pos = found if plan_id != "2021-zhongwei-fzss" else 0
        if group:
            assert squash(group) in text
    for label in FOOTER + ["单位（盖章）"] + want["rows"]:
        assert squash(label) in text, label
    assert render_first_page(resp.data, tmp_path, f"reports-{plan_id}-{key}") > 0.002

    # -- the workbook: merged group headers over exactly their columns, numbers as numbers
    resp = b.get(f"/reports/export.xlsx?{query}")
    wb = openpyxl.load_workbook(io.BytesIO(resp.data))
    ws = wb[key]
    cells = {c.value: c for row in ws.iter_rows() for c in row if isinstance(c.value, str)}
    assert ws["A1"].value == want["title"]
    for group, cols in want["groups"]:
        col_cells = [cells[c] for c in cols]
        if group:
            g = cells[group]
            rng = next((r for r in ws.merged_cells.ranges if r.min_row == g.row and r.min_col == g.column), None)
            span = (rng.min_col, rng.max_col) if rng else (g.column, g.column)  # a one-column group
            assert span == (col_cells[0].column, col_cells[-1].column), group
            assert all(c.row > g.row for c in col_cells)
    assert len(ws.merged_cells.ranges) > 3  # the header is merged, not flat
    assert ws.page_setup.orientation == "landscape" and ws.print_title_rows
    body_row = cells[want["rows"][0]].row
    first_col = cells[want["groups"][0][1][0]].column
    value = ws.cell(row=body_row, column=first_col).value
    assert isinstance(value, int)
    if summary.layout == "table":
        total_row = cells[want["rows"][-1]].row if summary.total_row else None
        if total_row:
            for i, c in enumerate(summary.columns):
                got = ws.cell(row=total_row, column=2 + i).value
                assert got == pytest.approx(float(want_figures[TOTAL][c.key])), c.key


def _approve_chain(b_prep, b_rev, b_head, org, plan_id):
    resp = b_prep.post(f"/reports/submit?plan={plan_id}&area={org.d1.code}", {"phone": "0991-1234567"})
    assert resp.status_code == 303, resp.get_data(as_text=True)
    report = SummaryReport.select().order_by(SummaryReport.id.desc()).first()
    assert b_rev.post(f"/reports/summary/{report.id}/review").status_code == 303
    assert b_head.post(f"/reports/summary/{report.id}/approve").status_code == 303
    return SummaryReport.get_by_id(report.id)


def test_approved_summary_is_frozen_and_prints_the_signers(app, org, browser, tmp_path):
    pid = "2025-xj-yiliao"
    with app.app_context():
        make_world(org, [pid])
    report = _approve_chain(browser("jdy1"), browser("shr1"), browser("fzr1"), org, pid)
    assert report.state == SummaryStatus.APPROVED
    frozen = report.figures
    with app.app_context():
        plan = plan_store.get_plan(pid)
        before = figures(plan, plan.summaries[0], Area.get_by_id(org.d1.id))[TOTAL]
        # a record changes after approval: a new approved record with every item failed
        rec = Record.select().where((Record.plan_id == pid) & (Record.area == org.d1.id) & (Record.status != Status.APPROVED)).first()
        Record.update(status=int(Status.APPROVED)).where(Record.id == rec.id).execute()
        Answer.update(result="fail").where(Answer.record == rec.id).execute()
        after = figures(plan, plan.summaries[0], Area.get_by_id(org.d1.id))[TOTAL]
    assert after != before  # the live figures moved …
    assert SummaryReport.get_by_id(report.id).figures == frozen  # … the approved summary did not
    b = browser("city_shr")
    page = b.get(f"/reports/summary/{report.id}").get_data(as_text=True)
    assert "已批准" in page and "甲审核人" in page and "甲负责人" in page
    pdf = b.get(f"/reports/summary/{report.id}.pdf")
    text = squash(pdf_text(pdf.data, tmp_path))
    for piece in ("填表人：甲监督员一", "联系电话：0991-1234567", "审核人：甲审核人", "单位负责人（签字）：甲负责人", "单位（盖章）"):
        assert piece in text, piece
    assert render_first_page(pdf.data, tmp_path, "reports-approved-snapshot") > 0.002
    wb = openpyxl.load_workbook(io.BytesIO(b.get(f"/reports/summary/{report.id}.xlsx").data))
    assert any("审核人：甲审核人" in str(c.value) for row in wb.active.iter_rows() for c in row)
    # regenerating makes a new version; the approved one stays as it was
    resp = browser("jdy1").post(f"/reports/submit?plan={pid}&area={org.d1.code}", {})
    assert resp.status_code == 303
    newest = SummaryReport.select().order_by(SummaryReport.id.desc()).first()
    assert newest.number == report.number + 1 and newest.figures != frozen
    assert SummaryReport.get_by_id(report.id).state == SummaryStatus.APPROVED


@pytest.mark.parametrize("who, verb, code", [
    ("jdy1", "review", 403),     # the 填表人 cannot review their own summary
    ("fzr1", "review", 403),     # the 单位负责人 approves after the 审核人, not instead
    ("shr1", "approve", 403),    # not the reviewer's verb: who is checked before the state (webapp/workflow.py)
    ("fzr1", "approve", 409),    # the 单位负责人, but not yet reviewed: nothing to approve yet
    ("shr2", "review", 404),     # another district's reviewer: as if it did not exist
])
def test_summary_rights(app, org, browser, who, verb, code):
    pid = "2025-xj-yimei"
    with app.app_context():
        make_world(org, [pid])
    assert browser("jdy1").post(f"/reports/submit?plan={pid}&area={org.d1.code}", {}).status_code == 303
    report = SummaryReport.select().first()
    assert browser(who).post(f"/reports/summary/{report.id}/{verb}").status_code == code
    assert SummaryReport.get_by_id(report.id).state == SummaryStatus.SUBMITTED


def test_return_needs_a_reason_shown_beside_the_field(app, org, browser):
    pid = "2025-xj-yimei"
    with app.app_context():
        make_world(org, [pid])
    browser("jdy1").post(f"/reports/submit?plan={pid}&area={org.d1.code}", {})
    report = SummaryReport.select().first()
    b = browser("shr1")
    resp = b.post(f"/reports/summary/{report.id}/return", {"reason": "  "}, htmx=True)
    assert resp.status_code == 422
    body = resp.get_data(as_text=True)
    assert "退回时必须填写退回原因" in body and "<html" not in body and 'id="summary-approval"' in body
    assert b.post(f"/reports/summary/{report.id}/return", {"reason": "数字有误"}).status_code == 303
    assert SummaryReport.get_by_id(report.id).state == SummaryStatus.RETURNED


def test_only_own_area_is_reported(app, org, browser):
    b = browser("jdy3")  # 乙区
    assert b.get(f"/reports/?area={org.d1.code}").status_code == 403
    assert b.post(f"/reports/submit?plan=2025-xj-yimei&area={org.city.code}", {}).status_code == 403
    assert b.get(f"/reports/?area={org.d2.code}").status_code == 200


def test_city_sees_districts_side_by_side(app, org, browser):
    pid = "2025-xj-yiliao"
    with app.app_context():
        make_world(org, [pid])
    page = browser("city_fzr").get(f"/reports/?plan={pid}").get_data(as_text=True)
    assert "各辖区对比" in page and "甲区" in page and "乙区" in page and "测试市合计" in page
    fragment = browser("city_fzr").get(f"/reports/?plan={pid}", htmx=True).get_data(as_text=True)
    assert "<html" not in fragment and fragment.lstrip().startswith('<div id="report-tables">')


def test_bad_dates_are_reported_beside_the_field(app, org, browser):
    page = browser("shr1").get("/reports/?start=2025-13-01&end=x").get_data(as_text=True)
    assert "日期格式应为" in page and 'value="2025-13-01"' in page


@pytest.mark.parametrize("kind", ["xlsx", "pdf"])
def test_cli_exports_every_table_of_a_plan(app, org, runner, tmp_path, kind):
    with app.app_context():
        make_world(org, ["2025-xj-mybj"])
    out = tmp_path / f"out.{kind}"
    result = runner.invoke(args=["report", kind, "--plan", "2025-xj-mybj", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "测试自治区" in result.output  # no --area: the top area of the database
    data = out.read_bytes()
    if kind == "xlsx":
        wb = openpyxl.load_workbook(io.BytesIO(data))
        assert wb.sheetnames == [s.key for s in CATALOG.get("2025-xj-mybj").summaries]
    else:
        assert "母婴保健技术服务机构国家随机监督抽查汇总表" in squash(pdf_text(data, tmp_path))
    bad = runner.invoke(args=["report", kind, "--plan", "nope", "--out", str(out)])
    assert bad.exit_code != 0 and "没有带汇总表的计划" in bad.output


@pytest.mark.parametrize("pid", ["2025-xj-yiliao", "2025-mybj-tianjin"])
def test_roll_up_rows_equal_each_areas_own_table(app, org, pid):
    """The side-by-side roll-up gives each district exactly its own table's 合计, and the city's."""
    from webapp.reports import tables

    with app.app_context():
        make_world(org, [pid])
        plan = plan_store.get_plan(pid)
        summary = plan.summaries[0]
        rolled = tables.compare(plan, summary, org.city)
        by_area = {r["area"]: {c["col"]: c["value"] for c in r["cells"]} for r in rolled["rows"]}
        for area in (org.d1, org.d2, org.city):
            assert by_area[area.code] == figures(plan, summary, area)[TOTAL], area.name
        # the page passes the area's own built table instead of computing it again
        again = tables.compare(plan, summary, org.city, own=tables.build(plan, summary, org.city))
        assert again == rolled
        assert any(v for v in by_area[org.d1.code].values())  # the world has figures to compare


def test_submit_phone_must_be_a_phone_number_beside_the_field(app, org, browser):
    pid = "2025-xj-yimei"
    with app.app_context():
        make_world(org, [pid])
    resp = browser("jdy1").post(f"/reports/submit?plan={pid}&area={org.d1.code}", {"phone": "☎️ 王科长"})
    page = resp.get_data(as_text=True)
    assert resp.status_code == 422 and "联系电话只能是电话号码" in page and 'value="☎️ 王科长"' in page
    assert SummaryReport.select().count() == 0
    ok = browser("jdy1").post(f"/reports/submit?plan={pid}&area={org.d1.code}", {"phone": "０９９１－１２３４５６７"})
    assert ok.status_code == 303 and SummaryReport.get().phone == "0991-1234567"

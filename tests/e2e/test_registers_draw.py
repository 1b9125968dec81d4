"""In Chromium: search the register, import a workbook (a bad one first, then a good one), run a
draw over the imported units, confirm it and verify it."""
import io

import pytest
from openpyxl import Workbook
from playwright.sync_api import expect

from webapp.registers import creditcode
from webapp.registers.services import INSTITUTION_COLUMNS

from .conftest import ARTIFACTS, sign_in

pytestmark = pytest.mark.e2e


def _xlsx(path, rows):
    wb = Workbook()
    ws = wb.active
    ws.append([h for _, h in INSTITUTION_COLUMNS])
    for r in rows:
        ws.append(r)
    buf = io.BytesIO()
    wb.save(buf)
    path.write_bytes(buf.getvalue())
    return str(path)


def _code(n):
    return creditcode.complete(f"52650102{n:09d}")


def test_import_register_and_draw(live_server, page, tmp_path):
    sign_in(page, live_server, "admin")
    page.click("nav.mainnav >> text=检查对象名录库")
    page.wait_for_load_state("load")  # htmx (deferred) has processed the page before we type
    # active search narrows the list without a page load
    with page.expect_response(lambda r: "q=" in r.url and r.request.headers.get("hx-request") == "true"):
        page.fill("#q", "妇幼保健院")
    results = page.locator("#institution-results")
    expect(results).to_contain_text("天山区妇幼保健院")
    expect(results).not_to_contain_text("人民医院")
    assert page.url.endswith("/registers/institutions")  # no page load happened

    page.click("text=Excel 导入")
    rows = [[f"天山区新建村卫生室{i}", _code(900 + i), "", "村卫生室（所）", "650102", "", "", "", "", "在业"] for i in range(6)]
    bad = rows + [["", "123", "", "不存在", "650102", "", "", "", "", "在业"]]
    page.set_input_files("#file", _xlsx(tmp_path / "bad.xlsx", bad))
    page.click("#import-form button[type=submit]")
    errors = page.locator("#import-errors").inner_text()
    assert "单位名称" in errors and "统一社会信用代码应为18位" in errors and "未知的单位类别" in errors
    assert "未导入任何数据" in page.locator("#import-result").inner_text()

    page.set_input_files("#file", _xlsx(tmp_path / "good.xlsx", rows))
    page.click("#import-form button[type=submit]")
    assert "新增 6 家" in page.locator("#import-result").inner_text()

    page.click("nav.mainnav >> text=双随机抽取")
    page.select_option("#plan", "2025-xj-yiliao")
    page.select_option("#area", "650102")
    page.fill("#witnesses", "纪检监察室 李某")
    page.fill("#seed", "777")
    page.click("#draw-form button[type=submit]")
    page.wait_for_selector("#draw-facts")
    assert page.locator("#draw-seed").inner_text() == "777"
    assert "待确认" in page.locator("#draw-state").inner_text()
    tasks = page.locator("#draw-tasks tbody tr")
    assert tasks.count() > 0
    page.click("#confirm-draw")
    page.wait_for_selector("text=抽取结果已确认")
    assert "已确认" in page.locator("#draw-state").inner_text()
    page.click("text=复核（按种子重新抽取并比对）")
    page.wait_for_selector("#draw-verify .draw-ok")
    assert "抽取结果一致" in page.locator("#draw-verify").inner_text()
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "draw-detail.png"), full_page=True)

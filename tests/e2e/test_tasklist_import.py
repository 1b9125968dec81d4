"""In Chromium: an admin imports the city platform's list for 新市区 (the shipped example file),
maps the columns, resolves the rows that match nothing (a unit missing from the register and a
wrong credit code) inline, confirms, and the inspector named in the list sees the tasks."""
import pathlib
import re

import pytest
from playwright.sync_api import expect

from .conftest import sign_in

pytestmark = pytest.mark.e2e

EXAMPLE = pathlib.Path(__file__).resolve().parents[1] / "data" / "tasklist" / "示例任务清单-新市区.xlsx"


def test_import_a_list_resolve_rows_and_the_inspector_sees_the_tasks(live_server, page):
    base = live_server
    sign_in(page, base, "admin")
    page.click("nav.mainnav >> text=导入上级任务清单")
    expect(page.locator("#example")).to_contain_text("示例文件")
    # the demo's own import (沙依巴克区) is listed as done
    expect(page.locator("#imports")).to_contain_text("已导入")

    page.select_option("#plan", "2025-xj-yiliao")
    page.select_option("#area", page.locator("#area option", has_text="新市区").get_attribute("value"))
    page.fill("#source", "乌鲁木齐市执法平台")
    page.set_input_files("#file", str(EXAMPLE))
    page.click("#upload-form button[type=submit]")

    # the demo's import of the same source had the same headers: the mapping is already there
    page.wait_for_url(re.compile(r"/tasklist/\d+$"))
    expect(page.locator("#counts")).to_contain_text("2 行待处理")
    expect(page.locator("#confirm-form button.primary")).to_be_disabled()

    # the unit missing from the register: create it inline (htmx swaps the matching back)
    missing = page.locator("section.tl-row", has_text="新市区康乐口腔诊所")
    expect(missing).to_contain_text("名录库中找不到该单位")
    missing.locator("summary").click()
    missing.locator("input[name=kinds][value=clinic]").check()
    missing.locator("input[name=kinds][value=other_med]").uncheck()
    missing.locator("button", has_text="新建并关联").click()
    expect(page.locator("#counts")).to_contain_text("1 行待处理")

    # the wrong credit code: link it to the unit of the same name
    wrong = page.locator("section.tl-row", has_text="校验位错误")
    wrong.locator("button", has_text="关联").first.click()
    expect(page.locator("#counts")).to_contain_text("0 行待处理")
    expect(page.locator("#all-rows")).to_contain_text("新建：新市区康乐口腔诊所")

    page.click("#confirm-form button.primary")
    expect(page.locator("#result")).to_contain_text("已导入：9 项任务")
    expect(page.locator("#result")).to_contain_text("上级平台下发")
    expect(page.locator("#tasks")).to_contain_text("新市区康乐口腔诊所")
    expect(page.locator("#tasks")).to_contain_text("杨帆、吴娟")

    # the inspector named in the list finds the tasks in 我的任务
    page.click("text=退出")
    sign_in(page, base, "xs_jdy1")
    page.goto(base + "/inspection/tasks")
    expect(page.locator("main")).to_contain_text("新市区第一人民医院")

"""A whole seed-000 checklist (2025-mybj-tianjin) walked in Chromium by an inspector: an ad-hoc
check of a 妇幼保健院, the visit, every section answered by keyboard (1/3, j/↓) and mouse, two
items failed with their findings, the handling decided (罚款 in 元 → 分) and 提交审核."""
import pytest
from playwright.sync_api import expect

from webapp.inspection.models import Answer, Handling, Record, Status

from .conftest import ARTIFACTS, sign_in

pytestmark = pytest.mark.e2e

PLAN = "2025-mybj-tianjin"
FAIL = {"1.2": "两名助产人员未取得《母婴保健技术考核合格证书》", "3.1": "产前筛查登记本缺少近一个月记录"}


def test_walk_a_whole_checklist(live_server, page):
    base = live_server
    sign_in(page, base, "ts_jdy1")
    page.click("nav.mainnav >> text=我的任务")
    page.wait_for_url(base + "/inspection/tasks")
    page.click("text=发起临时检查")
    page.fill("#q", "天山区妇幼保健院")
    page.click("button:has-text('查找')")
    page.click("#candidates >> text=天山区妇幼保健院")
    page.select_option("#plan", PLAN)
    page.click("button:has-text('创建检查任务')")

    # the visit: date and place prefilled, a second inspector chosen from the register
    page.wait_for_selector("text=执法检查人员（至少两人）")
    page.check("label.check:has-text('陈静') >> input")
    page.fill("#representative", "王主任")
    page.click("button:has-text('开始逐项检查')")
    page.wait_for_selector(".overview")
    record_id = int(page.url.rstrip("/").rsplit("/", 1)[1])
    assert "已答 0/29" in page.inner_text("#record-progress")

    page.click(".overview a.progress >> nth=0")
    sections_seen = 0
    while True:
        page.wait_for_selector("article.item")
        sections_seen += 1
        ids = page.eval_on_selector_all("article.item", "els => els.map(e => e.id)")
        page.click(f"#{ids[0]} .item-text")  # the mouse puts the keyboard on the first item
        for n, iid in enumerate(ids):
            item = page.locator(f"#{iid}")
            key = item.get_attribute("data-item")
            if key in FAIL:
                item.locator("label.choice-fail").click()  # mouse: 不合格 asks for the finding first
                finding = item.locator("textarea[name=finding]")
                expect(finding).to_be_focused()
                finding.fill(FAIL[key])
                page.keyboard.press("Escape")  # leaving the field saves; the keyboard is back on the item
                page.wait_for_selector(f"#{iid}.result-fail")
            else:
                suggested = item.locator(".suggest").count() > 0
                page.keyboard.press("3" if suggested else "1")
                page.wait_for_selector(f"#{iid}.answered")
            if n + 1 < len(ids):
                page.keyboard.press("j" if n % 2 == 0 else "ArrowDown")
                expect(page.locator(f"#{ids[n + 1]}")).to_be_focused()
        progress = page.locator("nav.sections a.progress.current .progress-count").inner_text()
        assert progress == f"{len(ids)}/{len(ids)}"  # updated out of band, without a reload
        if sections_seen == 2:
            ARTIFACTS.mkdir(exist_ok=True)
            page.screenshot(path=str(ARTIFACTS / "inspection-section.png"), full_page=True)
        nxt = page.locator("a[rel=next]")
        if "去总览" in nxt.inner_text():
            nxt.click()
            break
        nxt.click()
    assert sections_seen == 5

    # the overview lists what is still missing: the handling
    page.wait_for_selector("#missing")
    assert "尚未作出处理决定" in page.inner_text("#missing")
    assert "已答 29/29" in page.inner_text("#record-progress")
    page.click("text=作出处理决定")
    page.check("input[name=penalty]")
    page.check("input[name=warning]")
    page.fill("#h-fine", "5000.5")
    page.fill("#h-fine", "5000.505")
    page.click("#save-handling")
    assert "金额最多到分" in page.inner_text(".handling-form")  # refused, input kept
    assert page.input_value("#h-fine") == "5000.505"
    page.fill("#h-fine", "5,000.50")
    page.click("#save-handling")
    page.wait_for_selector("#submit-record")
    assert "罚款 5000.50 元" in page.inner_text("#handling-summary")
    page.click("#submit-record")
    page.wait_for_selector("text=已提交审核。")
    assert "已提交" in page.inner_text(".record-head .state")

    record = Record.get_by_id(record_id)
    assert record.state == Status.SUBMITTED and record.plan_id == PLAN
    answers = {a.item_key: a for a in Answer.select().where(Answer.record == record_id)}
    assert len(answers) == 29
    assert {k for k, a in answers.items() if a.result == "fail"} == set(FAIL)
    assert answers["1.2"].finding == FAIL["1.2"]
    h = Handling.get(Handling.record == record_id)
    assert (h.fine_fen, h.penalty, h.warning, h.order_correction) == (500050, True, True, True)

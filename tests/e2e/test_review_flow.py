"""The review round trip in Chromium: the inspector submits, the reviewer (with the badge in the
navigation) returns it with a reason, the inspector sees the reason, fixes the finding and
resubmits, the reviewer approves; the record is then locked and the audit chain verifies.

The checklist is answered beforehand through the inspection services (tests/e2e/
test_walkthrough.py walks a whole checklist in the browser); everything from 提交审核 on is
clicked in the browser."""
import re

import pytest
from playwright.sync_api import expect
from werkzeug.datastructures import MultiDict

from webapp.audit import trail
from webapp.draw.models import Task
from webapp.inspection import services
from webapp.inspection.models import Answer, Record, Result, Status
from webapp.org.models import User
from webapp.registers.models import Inspector

from .conftest import ARTIFACTS, sign_in

pytestmark = pytest.mark.e2e

REASON = "第1项不合格情形未写明具体人员和科室，请补充后重新提交。"
FIXED = "妇产科两名医务人员（张某、李某）未取得执业资格，仍在门诊从事诊疗活动。"


def _answered_record(app):
    """A demo task of ts_jdy1 and ts_jdy2 in 天山区, every item answered, one failed, handling decided."""
    with app.app_context():
        jdy1 = User.get(User.username == "ts_jdy1")
        pair = [Inspector.get(Inspector.user == jdy1.id), Inspector.get(Inspector.user == User.get(User.username == "ts_jdy2").id)]
        task = next(t for t, rec in services.tasks_for(jdy1) if rec is None and t.plan_id == "2025-xj-yiliao")
        form = MultiDict([("date", "2026-11-02"), ("place", task.institution.address), ("representative", "王院长"),
                          ("representative_title", "院长"), ("inspectors", str(pair[0].id)), ("inspectors", str(pair[1].id))])
        record = services.start_record(jdy1, task, form)
        cl = services.Checklist.load(record)
        items = [i for s in cl.sections for i in s.items]
        failed = items[0]
        for item in items:
            if item is failed:
                data = {"result": Result.FAIL, "finding": "有医务人员未取得执业资格。", "note": "", "version": "0"}
            elif item.key in cl.suggest:
                data = {"result": Result.NA, "note": "本单位未开展", "finding": "", "version": "0"}
            else:
                data = {"result": Result.PASS, "note": "", "finding": "", "version": "0"}
            services.save_answer(jdy1, record, item.key, data)
        services.save_handling(jdy1, record, cl.plan, {"version": "0", "opinion": "1", "order_correction": "1"})
        return record.id, failed.key, cl.section_of(failed.key).key, task.institution.name


def _sign_out(page, base):
    page.click("text=退出")
    page.wait_for_url(base + "/login")


def test_submit_return_fix_resubmit_approve(live_server, page, app):
    base = live_server
    record_id, item_key, section_key, unit = _answered_record(app)

    # 1. the inspector submits
    sign_in(page, base, "ts_jdy1")
    page.goto(f"{base}/inspection/records/{record_id}")
    page.click("#submit-record")
    page.wait_for_selector("text=已提交审核。")
    assert Record.get_by_id(record_id).state == Status.SUBMITTED
    _sign_out(page, base)

    # 2. the reviewer finds it in the queue (badge in the navigation) and returns it with a reason
    sign_in(page, base, "ts_shr")
    badge = page.locator("nav.mainnav a:has-text('审核') .badge")
    waiting = int(badge.inner_text())
    assert waiting >= 1
    page.click("nav.mainnav >> text=审核")
    page.wait_for_url(re.compile(r".*/review/$"))
    row = page.locator(f"#queue-row-{record_id}")
    expect(row).to_contain_text(unit)
    expect(row.locator("td.num").last).to_have_text("1")  # one failed item: no bulk checkbox
    assert row.locator("input.bulk-pick").count() == 0
    row.locator("a:has-text('审核')").click()
    page.wait_for_selector("#review-decision")
    # failures and handling come first
    expect(page.locator("#failures")).to_contain_text("有医务人员未取得执业资格")
    expect(page.locator("#handling")).to_contain_text("责令改正")
    page.click("#return-button")  # no reason: refused beside the field, nothing changes
    expect(page.locator("#return-reason-input-err")).to_contain_text("必须填写原因")
    assert Record.get_by_id(record_id).state == Status.SUBMITTED
    page.fill("#return-reason-input", REASON)
    page.click("#return-button")
    page.wait_for_selector("text=已退回，退回原因已显示给检查人员。")
    expect(page.locator("#record-state")).to_have_text("已退回")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "review-returned.png"), full_page=True)
    _sign_out(page, base)

    # 3. the inspector sees the reason, fixes the finding and resubmits
    sign_in(page, base, "ts_jdy1")
    page.goto(f"{base}/inspection/records/{record_id}")
    expect(page.locator(".record-head")).to_contain_text(REASON)
    page.goto(f"{base}/inspection/records/{record_id}/sections/{section_key}")
    iid = services.dom_id(item_key)
    finding = page.locator(f"#{iid}-finding")
    finding.fill(FIXED)
    finding.press("Tab")  # leaving the field saves it
    expect(page.locator(f"#{iid}-finding")).to_have_value(FIXED)
    for _ in range(50):
        if Answer.get((Answer.record == record_id) & (Answer.item_key == item_key)).finding == FIXED:
            break
        page.wait_for_timeout(100)
    assert Answer.get((Answer.record == record_id) & (Answer.item_key == item_key)).finding == FIXED
    page.goto(f"{base}/inspection/records/{record_id}")
    page.click("#submit-record")
    page.wait_for_selector("text=已提交审核。")
    _sign_out(page, base)

    # 4. the reviewer sees the fix and approves (htmx action)
    sign_in(page, base, "ts_shr")
    page.goto(f"{base}/review/records/{record_id}")
    expect(page.locator("#failures")).to_contain_text(FIXED)
    expect(page.locator("#return-reason")).to_contain_text(REASON)  # what was asked, until approved
    page.click("#approve-button")
    page.wait_for_selector("text=已审核通过，记录已锁定。")
    expect(page.locator("#record-state")).to_have_text("已通过")
    assert page.locator("#withdraw-button").count() == 1
    page.screenshot(path=str(ARTIFACTS / "review-approved.png"), full_page=True)

    # the history page tells the whole story
    page.click("text=本记录变更历史")
    history = page.locator("#audit-entries").inner_text()
    for label in ("提交审核", "退回", "审核通过"):
        assert label in history
    assert REASON in history
    _sign_out(page, base)

    rec = Record.get_by_id(record_id)
    assert rec.state == Status.APPROVED and rec.return_reason == ""
    actions = [e.action for e in trail.record_history(record_id) if e.action.startswith("record.")]
    assert actions[-4:] == ["record.submit", "record.return", "record.submit", "record.approve"]
    assert trail.verify()[2] == ""

    # 5. the approved record is read-only for the inspector
    sign_in(page, base, "ts_jdy1")
    page.goto(f"{base}/inspection/records/{record_id}")
    expect(page.locator(".record-head")).to_contain_text("锁定")
    assert page.locator("#submit-record").count() == 0

"""In Chromium, every form that can refuse input: the refusal's Chinese message is VISIBLE beside
the field it concerns (inside the same .field as the field), and what was typed is still there.
This is what the one error convention of webapp/errors.py promises: 422 + the form, swapped in
place by htmx (or the whole page for a plain POST); other errors in the message box, over
nothing. One server with the demo data serves every case (the refusals write nothing)."""
import datetime
import pathlib
import shutil
import threading
from types import SimpleNamespace

import pytest
from openpyxl import Workbook
from playwright.sync_api import expect
from werkzeug.datastructures import MultiDict
from werkzeug.serving import make_server

from webapp import create_app, demo
from webapp.db import db
from webapp.documents.models import FollowUp, Opinion, OpinionStatus
from webapp.draw.models import Task, TaskInspector
from webapp.inspection import services as inspection
from webapp.inspection.models import Record, Status
from webapp.org.models import Area, User
from webapp.registers.models import Inspector, Institution
from webapp.plans import catalog as plan_store
from webapp.reports import workflow as report_workflow

from .conftest import sign_in

pytestmark = pytest.mark.e2e

EXAMPLE = pathlib.Path(__file__).resolve().parents[1] / "data" / "tasklist" / "示例任务清单-新市区.xlsx"


@pytest.fixture(scope="module")
def site(sqlite_template, tmp_path_factory):
    """One live server over one demo database for the whole file, and the ids the cases use."""
    folder = tmp_path_factory.mktemp("refusing-forms")
    shutil.copy(sqlite_template, folder / "test.db")
    mp = pytest.MonkeyPatch()
    mp.setenv("SUIJIAN_INSTANCE", str(folder / "instance"))
    app = create_app({"DATABASE_URL": f"sqlite:///{folder / 'test.db'}", "SECRET_KEY": "test-secret"})
    db.connect(reuse_if_open=True)
    with app.app_context():
        demo.load()
        ids = _pick(folder)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield SimpleNamespace(base=f"http://127.0.0.1:{server.server_port}", ids=ids, app=app)
    server.shutdown()
    thread.join(5)
    server.server_close()
    if not db.is_closed():
        db.close()
    mp.undo()


def _pick(folder):
    """The demo rows each case works on (and a submitted 汇总表 for the return case)."""
    area = Area.get(Area.code == "650102")
    users = {u.username: u for u in User.select()}
    me = Inspector.get(Inspector.user == users["ts_jdy1"])
    started = Record.select(Record.task).where(Record.task.is_null(False))
    task = (Task.select().join(TaskInspector).where((TaskInspector.inspector == me.id) & ~(Task.id.in_(started)))
            .order_by(Task.id).first())
    drafts = list(Record.select().where((Record.area == area) & (Record.status == int(Status.DRAFT))
                                        & (Record.created_by == users["ts_jdy1"])).order_by(Record.id))
    submitted = Record.select().where((Record.area == area) & (Record.status == int(Status.SUBMITTED))).order_by(Record.id).first()
    issued = (Opinion.select().where((Opinion.area == area) & (Opinion.status == int(OpinionStatus.ISSUED))
                                     & (Opinion.deadline >= datetime.date.today())
                                     & ~(Opinion.id.in_(FollowUp.select(FollowUp.opinion)))).order_by(Opinion.id).first())
    report = report_workflow.submit(users["ts_jdy1"], plan_store.get_plan("2025-xj-yiliao"), area)
    wb = Workbook()  # a list whose headers no source has used yet: it opens on the mapping page
    wb.active.append(["机构", "代码", "监督员"])
    wb.active.append(["天山区某诊所", "", "刘洋"])
    wb.save(folder / "new-headers.xlsx")
    assert task and len(drafts) >= 2 and submitted and issued
    return {"task": task.id, "answer": drafts[0].id, "handling": drafts[1].id, "locked": drafts[0].id,
            "submitted": submitted.id, "opinion": issued.id, "report": report.id,
            "institution": Institution.select().where(Institution.area == area).order_by(Institution.id).first().id,
            "new_headers": str(folder / "new-headers.xlsx")}


def beside(page, field, message):
    """The message is visible inside the field's own .field box (beside it, not at the page top)."""
    target = page.locator(field) if isinstance(field, str) else field
    box = target.locator("xpath=ancestor::*[contains(concat(' ', normalize-space(@class), ' '), ' field ')][1]")
    error = box.locator(".field-error")
    expect(error).to_be_visible()
    expect(error).to_contain_text(message)
    return error


# ---- the cases: (who signs in, what they do) -----------------------------------------------------

CASES = []


def case(username):
    def register(fn):
        fn.username = username
        CASES.append(fn)
        return fn
    return register


@case(None)
def sign_in_form(page, base, ids):
    page.goto(base + "/login")
    page.fill("#username", "ts_jdy1")
    page.fill("#password", "not-the-password")
    page.click("button[type=submit]")
    beside(page, "#password", "用户名或密码错误")
    expect(page.locator("#username")).to_have_value("ts_jdy1")


@case("ts_jdy1")
def visit_start(page, base, ids):
    page.goto(f"{base}/inspection/tasks/{ids['task']}/start")
    page.fill("#date", "")
    page.fill("#place", "门诊楼二层")
    page.fill("#representative_title", "副院长")
    expect(page.locator("#place ~ .counter")).to_have_text("5/255")  # the limit shows as one types
    page.click(".visit-form button[type=submit]")
    beside(page, "#date", "请填写检查日期")
    expect(page.locator("#date")).to_have_value("")  # not reset to today while saying it is missing
    expect(page.locator("#place")).to_have_value("门诊楼二层")
    expect(page.locator("#representative_title")).to_have_value("副院长")


def _first_item(page, base, record_id):
    page.goto(f"{base}/inspection/records/{record_id}/sections/1")
    page.wait_for_load_state("load")
    return page.locator("article.item").first


@case("ts_jdy1")
def answer_finding(page, base, ids):
    item = _first_item(page, base, ids["answer"])
    item_id = item.get_attribute("id")
    item.locator("label.choice-fail").click()  # no request yet: the finding is asked for first
    item.locator("textarea[name=finding]").fill("消毒记录不全")
    page.locator("h2#section-title").click()
    expect(page.locator(f"#{item_id} .save-state.ok")).to_be_visible()
    page.locator(f"#{item_id} textarea[name=note]").fill("已拍照")
    page.locator(f"#{item_id} textarea[name=finding]").fill("")
    page.locator("h2#section-title").click()  # leaving the field saves it: 不合格 without a finding
    finding = page.locator(f"#{item_id} textarea[name=finding]")
    beside(page, finding, "必须填写发现的问题")
    expect(page.locator(f"#{item_id} input[value=fail]")).to_be_checked()
    expect(page.locator(f"#{item_id} textarea[name=note]")).to_have_value("已拍照")


@case("ts_jdy1")
def answer_note(page, base, ids):
    item = _first_item(page, base, ids["answer"])
    item_id = item.get_attribute("id")
    note = page.locator(f"#{item_id} textarea[name=note]")
    expect(page.locator(f"#{item_id}-note-count")).to_have_text(f"{len(note.input_value())}/2000")
    # a page older than the limit (or a paste around it): the server refuses it the same way
    note.evaluate("el => el.removeAttribute('maxlength')")
    note.fill("备" * 2001)
    page.locator("h2#section-title").click()
    beside(page, f"#{item_id} textarea[name=note]", "备注不能超过 2000 字")
    expect(page.locator(f"#{item_id} textarea[name=note]")).to_have_value("备" * 2001)


@case("ts_jdy1")
def handling_decision(page, base, ids):
    page.goto(f"{base}/inspection/records/{ids['handling']}/handling")
    page.locator("input[name=penalty]").uncheck()
    page.fill("#h-fine", "abc")
    page.locator("input[name=opinion]").check()
    page.fill("#h-note", "现场已口头告知")
    page.click("#save-handling")
    beside(page, "#h-fine", "请填写以元为单位的金额数字")
    expect(page.locator("#h-fine")).to_have_value("abc")
    expect(page.locator("input[name=opinion]")).to_be_checked()
    expect(page.locator("#h-note")).to_have_value("现场已口头告知")


@case("admin")
def register_create(page, base, ids):
    page.goto(base + "/registers/institutions/new")
    page.fill("#address", "解放南路 8 号")
    page.click("#institution-form button[type=submit]")
    beside(page, "#name", "请填写单位名称")
    expect(page.locator("#address")).to_have_value("解放南路 8 号")


@case("admin")
def register_edit(page, base, ids):
    page.goto(f"{base}/registers/institutions/{ids['institution']}/edit")
    page.fill("#name", "")
    page.fill("#legal_rep", "新负责人")
    page.click("#institution-form button[type=submit]")
    beside(page, "#name", "请填写单位名称")
    expect(page.locator("#legal_rep")).to_have_value("新负责人")


@case("admin")
def inspector_create(page, base, ids):
    page.goto(base + "/registers/inspectors/new")
    page.fill("#cert_no", "650102000099")
    page.fill("#specialties", "医疗、母婴")
    page.click("#inspector-form button[type=submit]")
    beside(page, "#name", "请填写姓名")
    expect(page.locator("#cert_no")).to_have_value("650102000099")
    expect(page.locator("#specialties")).to_have_value("医疗、母婴")


@case("admin")
def register_import(page, base, ids):
    page.goto(base + "/registers/institutions/import")
    page.click("#import-form button[type=submit]")
    beside(page, "#file", "请选择要导入的 Excel（.xlsx）或 CSV 文件")


@case("admin")
def draw_run(page, base, ids):
    page.goto(base + "/draw/")
    page.select_option("#plan", "2025-xj-yiliao")
    page.select_option("#area", "650102")
    page.fill("#seed", "20250601")
    page.click("#draw-form button[type=submit]")
    beside(page, "#witnesses", "请填写监督见证人")
    expect(page.locator("#seed")).to_have_value("20250601")
    expect(page.locator("#plan")).to_have_value("2025-xj-yiliao")


@case("admin")
def tasklist_upload(page, base, ids):
    page.goto(base + "/tasklist/")
    page.select_option("#plan", "2025-xj-yiliao")
    page.fill("#source", "区级平台")
    page.click("#upload-form button[type=submit]")
    beside(page, "#file", "请选择")
    expect(page.locator("#source")).to_have_value("区级平台")
    expect(page.locator("#plan")).to_have_value("2025-xj-yiliao")


@case("admin")
def tasklist_mapping(page, base, ids):
    page.goto(base + "/tasklist/")
    page.select_option("#plan", "2025-xj-yiliao")
    page.select_option("#area", page.locator("#area option", has_text="天山区").get_attribute("value"))
    page.fill("#source", "区级平台")
    page.set_input_files("#file", ids["new_headers"])
    page.click("#upload-form button[type=submit]")
    page.wait_for_selector("#mapping-form")
    page.select_option("#map-name", "")
    page.select_option("#map-credit_code", "")
    page.select_option("#map-inspectors", "监督员")
    page.click("#mapping-form button[type=submit]")
    beside(page, "#map-name", "请至少指定“单位名称”或“统一社会信用代码”所在的列")
    expect(page.locator("#map-inspectors")).to_have_value("监督员")


@case("admin")
def tasklist_row(page, base, ids):
    page.goto(base + "/tasklist/")
    page.select_option("#plan", "2025-xj-yiliao")
    page.select_option("#area", page.locator("#area option", has_text="新市区").get_attribute("value"))
    page.fill("#source", "乌鲁木齐市执法平台")  # the demo's source: its mapping is reused
    page.set_input_files("#file", str(EXAMPLE))
    page.click("#upload-form button[type=submit]")
    row = page.locator("section.tl-row", has_text="新市区康乐口腔诊所")
    row.locator("summary").click()
    row.locator("input[name=name]").fill("")
    row.locator("input[name=address]").fill("北京中路 100 号")
    row.locator("button", has_text="新建并关联").click()  # htmx: the matching comes back as 422
    row = page.locator("section.tl-row", has_text="名录库中找不到该单位").first
    beside(page, row.locator("input[name=name]"), "请填写单位名称")
    expect(row.locator("input[name=address]")).to_have_value("北京中路 100 号")


@case("ts_jdy1")
def opinion_compose(page, base, ids):
    page.goto(base + "/documents/?tab=pending")
    page.click("#op-list >> text=制作意见书 >> nth=0")
    page.fill("#op-subject", "")
    body = page.locator("#op-body").input_value() + "\n请于期限届满前送达整改报告。"
    page.fill("#op-body", body)
    page.click("#op-form button[value=save]")
    beside(page, "#op-subject", "请填写被监督人")
    expect(page.locator("#op-body")).to_have_value(body)


@case("ts_jdy1")
def follow_up(page, base, ids):
    page.goto(f"{base}/documents/{ids['opinion']}")
    page.select_option("#fu-result", "partial")
    page.click("#op-followups button[type=submit]")  # htmx, multipart
    beside(page, "#fu-note", "部分整改或未整改时请说明情况")
    expect(page.locator("#fu-result")).to_have_value("partial")


@case("ts_jdy1")
def opinion_void(page, base, ids):
    page.goto(f"{base}/documents/{ids['opinion']}")
    page.click("summary:has-text('作废 / 更正')")
    page.fill("#op-reason", " ")
    page.click("button:has-text('作废')")
    beside(page, "#op-reason", "作废时必须填写原因")
    expect(page.locator("#op-reason")).to_have_value(" ")


@case("ts_shr")
def record_return(page, base, ids):
    page.goto(f"{base}/review/records/{ids['submitted']}")
    page.fill("#return-reason-input", "   ")
    page.click("#return-button")  # htmx: the decision fragment comes back as 422
    beside(page, "#return-reason-input", "退回时必须填写原因")
    expect(page.locator("#return-reason-input")).to_have_value("   ")
    expect(page.locator("#record-state")).to_have_text("已提交")


@case("ts_shr")
def summary_return(page, base, ids):
    page.goto(f"{base}/reports/summary/{ids['report']}")
    expect(page.locator("#reason ~ .counter")).to_have_text(f"0/{report_workflow.RETURN_REASON_MAX}")
    page.fill("#reason", " ")
    page.click("#summary-approval button:has-text('退回')")  # htmx: 422 with the approval fragment
    beside(page, "#reason", "退回时必须填写退回原因")
    expect(page.locator("#global-error")).to_be_hidden()  # not the old "提交的内容无效或页面已过期"
    expect(page.locator("#reason")).to_have_value(" ")


@pytest.mark.parametrize("form", CASES, ids=[f.__name__ for f in CASES])
def test_the_refusal_is_shown_beside_the_field_and_keeps_what_was_typed(site, page, form):
    base, ids = site.base, site.ids
    if form.username:
        sign_in(page, base, form.username)
    form(page, base, ids)
    expect(page.locator("#global-error")).to_be_hidden()


# ---- errors that belong to no field: the message box, over nothing -------------------------------


def test_a_locked_record_and_a_server_error_show_a_message_and_keep_the_typing(site, page):
    base, ids = site.base, site.ids
    sign_in(page, base, "ts_jdy1")
    item = _first_item(page, base, ids["locked"])
    item_id = item.get_attribute("id")
    note = page.locator(f"#{item_id} textarea[name=note]")
    # someone submits the record meanwhile: the save is refused with 409, shown in the box
    Record.update(status=int(Status.SUBMITTED)).where(Record.id == ids["locked"]).execute()
    try:
        note.fill("现场另见消毒记录不全")
        page.locator("h2#section-title").click()
        box = page.locator("#global-error")
        expect(box).to_be_visible()
        expect(box).to_contain_text("审核期间不能修改")
        expect(note).to_have_value("现场另见消毒记录不全")
    finally:
        Record.update(status=int(Status.DRAFT)).where(Record.id == ids["locked"]).execute()
    # a crash (or a proxy) answering 500 with its own page: nothing is swapped, a Chinese message
    page.route("**/items/**", lambda route: route.fulfill(status=500, body="<html><body>Internal Server Error</body></html>",
                                                         content_type="text/html") if route.request.method == "POST" else route.continue_())
    note.fill("现场另见消毒记录不全，已拍照")
    page.locator("h2#section-title").click()
    expect(page.locator("#global-error")).to_contain_text("保存失败（500），您填写的内容仍在页面上")
    expect(note).to_have_value("现场另见消毒记录不全，已拍照")
    expect(page.locator(f"#{item_id}")).to_be_visible()


def test_a_conflict_screen_is_swapped_in_place_with_both_versions(site, page):
    base, ids = site.base, site.ids
    sign_in(page, base, "ts_jdy1")
    page.goto(f"{base}/inspection/records/{ids['handling']}/sections/1")
    page.wait_for_load_state("load")
    item = page.locator("article.item").nth(1)
    item_id, key = item.get_attribute("id"), item.get_attribute("data-item")
    seen = item.locator("input[name=version]").input_value()
    with site.app.app_context():  # 陈静 saves the same item first, from her own tablet
        record = Record.get_by_id(ids["handling"])
        inspection.save_answer(User.get(User.username == "ts_jdy2"), record, key,
                               MultiDict({"result": "na", "note": "对方的备注", "finding": "", "version": seen}))
    note = page.locator(f"#{item_id} textarea[name=note]")
    note.fill("我的备注")
    page.locator("h2#section-title").click()
    conflict = page.locator(f"#{item_id} .conflict")
    expect(conflict).to_be_visible()
    expect(conflict).to_contain_text("保存冲突")
    expect(conflict).to_contain_text("对方的备注")
    expect(page.locator(f"#{item_id} textarea[name=note]")).to_have_value("我的备注")
    expect(page.locator("#global-error")).to_be_hidden()

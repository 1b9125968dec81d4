"""The inspection walk-through: tasks, starting a visit, the checklist (fragments and pages),
autosaved answers, conflicts, required fields, evidence, handling money, submitting, locking."""
import datetime
import hashlib
import io
import os
import re

import pytest

from webapp import uploads
from webapp.audit.models import AuditEntry
from webapp.draw.models import Task
from webapp.inspection import services
from webapp.db import db
from webapp.inspection.models import Answer, Evidence, Handling, Record, Status, Visit, VisitInspector
from webapp.plans.loader import load_plans
from webapp.plans.versions import PlanVersion
from webapp.inspection import workflow

from . import factories
from .write_endpoints import INSPECTION_WRITES

PLAN = "2025-mybj-tianjin"  # seed 000: 29 items in 5 sections
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@pytest.fixture
def rec(app, org):
    """A started seed-000 record in 甲区, inspected by jdy1 and jdy2."""
    with app.app_context():
        inst = factories.make_institution(org.d1, "甲区妇幼保健院", kinds=("mch",), services=("abortion",))
        task = factories.make_task(inst, [org.users.insp1, org.users.insp2], PLAN)
        return factories.start_inspection(task, [org.users.insp1, org.users.insp2])


def answer_url(record, key):
    return f"/inspection/records/{record.id}/items/{key}"


def plan():
    return load_plans().get(PLAN)


# ---- tasks and starting ------------------------------------------------------------------------


def test_task_list_is_mine_by_deadline(app, org, browser):
    with app.app_context():
        a = factories.make_institution(org.d1, "甲区妇幼保健院", kinds=("mch",))
        b = factories.make_institution(org.d1, "甲区安琪儿妇产医院", kinds=("mch_other", "hospital"))
        c = factories.make_institution(org.d1, "甲区不相干医院", kinds=("mch",))
        factories.make_task(a, [org.users.insp1], deadline=datetime.date(2025, 11, 15))
        factories.make_task(b, [org.users.insp1], deadline=datetime.date(2025, 6, 15))
        factories.make_task(c, [org.users.insp2])  # not mine
    page = browser("jdy1").get("/inspection/tasks").get_data(as_text=True)
    assert "<html" in page and "我的任务" in page
    assert page.index("甲区安琪儿妇产医院") < page.index("甲区妇幼保健院")
    assert "甲区不相干医院" not in page
    assert "开始检查" in page


def test_adhoc_check_of_any_unit_in_my_area(app, org, browser):
    with app.app_context():
        inst = factories.make_institution(org.d1, "甲区妇幼保健院", kinds=("mch",))
        factories.register_inspector(org.users.insp1)
        other = factories.make_institution(org.d2, "乙区妇幼保健院", kinds=("mch",))
    b = browser("jdy1")
    listing = b.get("/inspection/adhoc?q=妇幼").get_data(as_text=True)
    assert "甲区妇幼保健院" in listing and "乙区妇幼保健院" not in listing
    choose = b.get(f"/inspection/adhoc?institution={inst.id}").get_data(as_text=True)
    assert PLAN in choose
    resp = b.post("/inspection/adhoc", {"institution": inst.id, "plan": PLAN})
    assert resp.status_code == 303
    task = Task.get(Task.institution == inst.id)
    assert task.draw_id is None and task.category == "mch" and resp.headers["Location"].endswith(f"/tasks/{task.id}/start")
    refused = b.post("/inspection/adhoc", {"institution": other.id, "plan": PLAN})
    assert refused.status_code == 422 and "请选择本辖区内的检查对象" in refused.get_data(as_text=True)
    wrong_plan = b.post("/inspection/adhoc", {"institution": inst.id, "plan": "2025-xj-xueye"})
    assert wrong_plan.status_code == 422 and "不属于该计划的检查对象类别" in wrong_plan.get_data(as_text=True)


def test_start_needs_two_inspectors_and_the_representative(app, org, browser):
    with app.app_context():
        inst = factories.make_institution(org.d1, "甲区妇幼保健院", kinds=("mch",))
        task = factories.make_task(inst, [org.users.insp1, org.users.insp2])
        me, other = factories.register_inspector(org.users.insp1), factories.register_inspector(org.users.insp2)
    b = browser("jdy1")
    form = b.get(f"/inspection/tasks/{task.id}/start").get_data(as_text=True)
    assert "执法检查人员（至少两人）" in form
    bad = b.post(f"/inspection/tasks/{task.id}/start", {"date": "2025-06-01", "place": "院内", "representative": "",
                                                        "inspectors": [str(me.id)]})
    text = bad.get_data(as_text=True)
    assert bad.status_code == 422
    assert "请至少选择两人" in text and "请填写被检查单位在场人员姓名" in text
    assert 'value="院内"' in text  # what was typed stays
    assert Record.select().count() == 0
    ok = b.post(f"/inspection/tasks/{task.id}/start", {"date": "2025-06-01", "place": "院内", "representative": "李主任",
                                                       "representative_title": "院长", "inspectors": [str(me.id), str(other.id)]})
    assert ok.status_code == 303
    record = Record.get(Record.task == task.id)
    p = plan()
    assert record.plan_version == p.version and record.category == "mch" and record.state == Status.DRAFT
    assert PlanVersion.select().where((PlanVersion.plan_id == PLAN) & (PlanVersion.version == p.version)).exists()
    visit = Visit.get_by_id(record.visit_id)
    assert visit.representative == "李主任" and visit.date == datetime.date(2025, 6, 1)
    assert VisitInspector.select().where(VisitInspector.visit == visit.id).count() == 2
    assert AuditEntry.select().where(AuditEntry.action == "record.start").count() == 1
    # starting again goes to the same record
    again = b.get(f"/inspection/tasks/{task.id}/start")
    assert again.status_code == 303 and again.headers["Location"].endswith(f"/records/{record.id}")


def test_recused_inspector_cannot_join(app, org, browser):
    from webapp.registers.models import Recusal

    with app.app_context():
        inst = factories.make_institution(org.d1, "甲区妇幼保健院", kinds=("mch",))
        task = factories.make_task(inst, [org.users.insp1, org.users.insp2])
        me, other = factories.register_inspector(org.users.insp1), factories.register_inspector(org.users.insp2)
        Recusal.create(inspector=other, institution=inst, reason="亲属")
    resp = browser("jdy1").post(f"/inspection/tasks/{task.id}/start", {
        "date": "2025-06-01", "place": "院内", "representative": "李", "inspectors": [str(me.id), str(other.id)]})
    assert resp.status_code == 422 and "已对该单位申报回避" in resp.get_data(as_text=True)


# ---- the checklist: pages and fragments ------------------------------------------------------


def test_overview_and_section_are_full_pages(rec, browser):
    b = browser("jdy1")
    overview = b.get(f"/inspection/records/{rec.id}").get_data(as_text=True)
    assert "<html" in overview and "甲区妇幼保健院" in overview
    for s in plan().sections:
        assert f"{s.key}. {s.title}" in overview
    page = b.get(f"/inspection/records/{rec.id}/sections/2").get_data(as_text=True)
    assert "<html" in page and 'id="progress-2"' in page
    assert page.count('<article ') == 12
    assert "《中华人民共和国母婴保健法》第三十二条" in page  # the legal basis is shown
    assert "js/inspection.js" in page and "<noscript><button type=\"submit\">保存此项</button></noscript>" in page


def test_htmx_answer_returns_the_item_and_progress_out_of_band(rec, browser):
    b = browser("jdy1")
    resp = b.post(answer_url(rec, "2.1"), {"result": "pass", "note": "", "finding": "", "version": "0"}, htmx=True)
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200 and "<html" not in html
    assert html.lstrip().startswith('<article id="item-2-1"') and "已保存" in html
    assert re.search(r'id="progress-2"[^>]*hx-swap-oob="true"', html)
    assert "1/12" in html
    plain_item = b.get(answer_url(rec, "2.1"))  # without htmx the item URL goes to its page
    assert plain_item.status_code == 303 and plain_item.headers["Location"].endswith("/sections/2#item-2-1")
    frag = b.get(answer_url(rec, "2.1"), htmx=True).get_data(as_text=True)
    assert "<html" not in frag and 'value="pass" checked' in frag


@pytest.mark.parametrize("result,finding", [("pass", ""), ("fail", "未取得执业许可"), ("na", "")])
def test_each_answer_persists(rec, browser, result, finding):
    b = browser("jdy1")
    resp = b.post(answer_url(rec, "1.1"), {"result": result, "note": "现场查看", "finding": finding, "version": "0"})
    assert resp.status_code == 303  # plain POST: back to the section page at the item
    assert resp.headers["Location"].endswith("/sections/1#item-1-1")
    a = Answer.get((Answer.record == rec.id) & (Answer.item_key == "1.1"))
    assert (a.result, a.note, a.finding, a.version) == (result, "现场查看", finding, 1)
    assert Record.get_by_id(rec.id).version == rec.version + 1
    entry = AuditEntry.select().where(AuditEntry.action == "answer.save").get()
    assert result in entry.after and entry.entity_id == str(rec.id)
    page = b.get(f"/inspection/records/{rec.id}/sections/1").get_data(as_text=True)
    assert f'value="{result}" checked' in page
    # a second change bumps the version; the same values again make no new version
    b.post(answer_url(rec, "1.1"), {"result": "pass", "note": "", "finding": "", "version": "1"})
    b.post(answer_url(rec, "1.1"), {"result": "pass", "note": "", "finding": "", "version": "2"})
    assert Answer.get((Answer.record == rec.id) & (Answer.item_key == "1.1")).version == 2


def test_fail_requires_a_finding_and_keeps_the_input(rec, browser):
    b = browser("jdy1")
    resp = b.post(answer_url(rec, "1.2"), {"result": "fail", "note": "我的备注", "finding": "  ", "version": "0"}, htmx=True)
    html = resp.get_data(as_text=True)
    assert resp.status_code == 422
    assert "<html" not in html and "必须填写发现的问题" in html and "未保存" in html
    assert 'value="fail" checked' in html and "我的备注" in html
    assert not Answer.select().where(Answer.record == rec.id).exists()
    plain = b.post(answer_url(rec, "1.2"), {"result": "fail", "note": "我的备注", "finding": "", "version": "0"})
    text = plain.get_data(as_text=True)
    assert plain.status_code == 422 and "<html" in text and "必须填写发现的问题" in text and "我的备注" in text
    none = b.post(answer_url(rec, "1.2"), {"result": "", "version": "0"}, htmx=True)
    assert none.status_code == 422 and "请选择 合格、不合格 或 合理缺项" in none.get_data(as_text=True)


def test_conflict_is_shown_and_resolved_by_choice(rec, browser):
    one, two = browser("jdy1"), browser("jdy2")
    assert one.post(answer_url(rec, "2.2"), {"result": "pass", "note": "一号的说明", "version": "0"}, htmx=True).status_code == 200
    # jdy2's page still showed version 0: told plainly what jdy1 saved, nothing overwritten
    resp = two.post(answer_url(rec, "2.2"), {"result": "fail", "finding": "二号发现的问题", "version": "0"}, htmx=True)
    html = resp.get_data(as_text=True)
    assert resp.status_code == 409
    assert "保存冲突" in html and "甲监督员一" in html and "<b>合格</b>" in html and "一号的说明" in html
    assert "保留对方的" in html and "用我的覆盖" in html
    assert "二号发现的问题" in html  # jdy2's own input is still there
    assert 'name="version" value="1"' in html
    a = Answer.get((Answer.record == rec.id) & (Answer.item_key == "2.2"))
    assert (a.result, a.version) == ("pass", 1)
    # "保留对方的" reloads the stored item
    keep = two.get(answer_url(rec, "2.2"), htmx=True).get_data(as_text=True)
    assert 'value="pass" checked' in keep and "保存冲突" not in keep
    # "用我的覆盖" resends with the version now seen
    over = two.post(answer_url(rec, "2.2"), {"result": "fail", "finding": "二号发现的问题", "version": "1"}, htmx=True)
    assert over.status_code == 200
    a = Answer.get_by_id(a.id)
    assert (a.result, a.finding, a.version) == ("fail", "二号发现的问题", 2)
    # and the plain form gets the same choice as a whole page
    stale = one.post(answer_url(rec, "2.2"), {"result": "pass", "version": "1"})
    assert stale.status_code == 409 and "<html" in stale.get_data(as_text=True) and "保存冲突" in stale.get_data(as_text=True)


def test_items_of_other_categories_are_hidden(app, org, browser):
    with app.app_context():
        inst = factories.make_institution(org.d1, "甲区某村卫生室", kinds=("village",))
        task = factories.make_task(inst, [org.users.insp1, org.users.insp2], "2025-xj-yiliao")
        record = factories.start_inspection(task, [org.users.insp1, org.users.insp2])
        cl = services.Checklist.load(record)
    assert [i.key for s in cl.sections for i in s.items] == ["5.1"]  # 村卫生室仅抽查处方管理
    page = browser("jdy1").get(f"/inspection/records/{record.id}").get_data(as_text=True)
    assert "已答 0/1" in page
    hidden = browser("jdy1").post(answer_url(record, "1.1"), {"result": "pass", "version": "0"})
    assert hidden.status_code == 404


def test_omission_suggested_where_the_unit_lacks_the_service(rec, browser):
    page = browser("jdy1").get(f"/inspection/records/{rec.id}/sections/2").get_data(as_text=True)
    item = lambda key: page[page.index(f'id="item-{key}"'):].split("</article>")[0]  # noqa: E731
    assert "建议“合理缺项”" in item("2-4")  # needs nipt: not offered
    assert "建议“合理缺项”" not in item("2-3")  # needs abortion: offered


def test_an_old_record_renders_with_its_own_plan_version(rec, app, browser):
    p = plan()
    with open(os.path.join(app.config["FORMS_DIR"], p.source), encoding="utf-8") as fh:
        text = fh.read().replace("机构按照批准的业务范围和服务项目执业", "旧版本的检查项文字")
    old = hashlib.sha256(text.encode()).hexdigest()[:16]
    with open(os.path.join(app.config["FORMS_DIR"], "_categories.toml"), encoding="utf-8") as fh:
        PlanVersion.create(plan_id=PLAN, version=old, content=text, vocabulary=fh.read())
    Record.update(plan_version=old).where(Record.id == rec.id).execute()
    page = browser("jdy1").get(f"/inspection/records/{rec.id}/sections/2").get_data(as_text=True)
    assert "旧版本的检查项文字" in page and "机构按照批准的业务范围和服务项目执业" not in page


# ---- evidence --------------------------------------------------------------------------------


def upload(b, record, key, data, name, htmx=True):
    return b.post(f"/inspection/records/{record.id}/items/{key}/evidence",
                  {"file": (io.BytesIO(data), name)}, htmx=htmx, content_type="multipart/form-data")


def test_evidence_is_stored_by_content_hash(rec, app, browser):
    b = browser("jdy1")
    resp = upload(b, rec, "1.1", PNG, "现场.png")
    assert resp.status_code == 200 and "现场.png" in resp.get_data(as_text=True)
    sha = hashlib.sha256(PNG).hexdigest()
    path = os.path.join(app.instance_path, "evidence", sha[:2], sha)
    with open(path, "rb") as fh:
        assert fh.read() == PNG
    ev = Evidence.get(Evidence.record == rec.id)
    assert (ev.sha256, ev.mime, ev.size, ev.item_key) == (sha, "image/png", len(PNG), "1.1")
    assert upload(b, rec, "1.1", PNG, "again.png").status_code == 200  # same file twice: one row
    assert Evidence.select().count() == 1
    got = b.get(f"/inspection/evidence/{ev.id}")
    assert got.status_code == 200 and got.data == PNG and got.mimetype == "image/png"
    got.close()
    assert browser("jdy3").get(f"/inspection/evidence/{ev.id}").status_code == 404  # another district
    pdf = upload(b, rec, "1.2", b"%PDF-1.7\n" + b"x" * 100, "记录.pdf", htmx=False)
    assert pdf.status_code == 303
    removed = b.post(f"/inspection/records/{rec.id}/evidence/{ev.id}/remove", {}, htmx=True)
    assert removed.status_code == 200 and "现场.png" not in removed.get_data(as_text=True)


@pytest.mark.parametrize("data,name,message", [
    (b"MZ\x90\x00" + b"\x00" * 60, "photo.jpg", "不是允许的类型"),  # a program named like a photo
    (b"GIF89a" + b"\x00" * 60, "x.gif", "不是允许的类型"),
    (b"", "empty.png", "是空的"),
])
def test_evidence_refused_by_type(rec, browser, data, name, message):
    resp = upload(browser("jdy1"), rec, "1.1", data, name)
    html = resp.get_data(as_text=True)
    assert resp.status_code == 422 and message in html and "<html" not in html
    assert not Evidence.select().exists()


def test_evidence_refused_over_the_size_limit(rec, app, browser):
    app.config["EVIDENCE_MAX_BYTES"] = 1024
    resp = upload(browser("jdy1"), rec, "1.1", PNG + b"\x00" * 2000, "大图.png")
    assert resp.status_code == 422 and "超过 0" in resp.get_data(as_text=True) and "大小上限" in resp.get_data(as_text=True)
    assert not Evidence.select().exists()
    plain = upload(browser("jdy1"), rec, "1.1", PNG + b"\x00" * 2000, "大图.png", htmx=False)
    assert plain.status_code == 422 and "<html" in plain.get_data(as_text=True) and "大小上限" in plain.get_data(as_text=True)


@pytest.mark.parametrize("head,mime", [
    (b"\xff\xd8\xff\xe0\x00\x10JFIF", "image/jpeg"), (PNG[:16], "image/png"), (b"RIFF\x00\x00\x00\x00WEBPVP8 ", "image/webp"),
    (b"\x00\x00\x00\x18ftypheic\x00\x00", "image/heic"), (b"%PDF-1.4\n", "application/pdf"), (b"<html>", None)])
def test_sniff_by_magic_bytes(head, mime):
    assert uploads.sniff(head) == mime


# ---- handling and money ----------------------------------------------------------------------


@pytest.mark.parametrize("text,fen", [
    ("", 0), ("0", 0), ("5000", 500000), ("5,000.50元", 500050), ("0.1", 10), ("0.01", 1), (" 12345.67 ", 1234567),
    ("19999999.99", 1999999999), ("1，000", 100000)])
def test_money_is_exact(text, fen):
    assert services.parse_money(text) == fen
    assert isinstance(services.parse_money(text), int)


@pytest.mark.parametrize("text,message", [
    ("1.005", "最多到分"), ("-5", "不能为负数"), ("abc", "金额数字"), ("1e3", "金额数字"), ("NaN", "金额数字"),
    ("100000000000", "金额过大")])
def test_money_refused_with_a_chinese_message(text, message):
    with pytest.raises(ValueError, match=message):
        services.parse_money(text)


def test_format_money():
    assert services.format_money(500050) == "5000.50" and services.format_money(7) == "0.07"


def fail_two(b, record):
    for key in ("1.1", "2.1"):
        assert b.post(answer_url(record, key), {"result": "fail", "finding": f"{key} 的问题", "version": "0"}).status_code == 303


def test_handling_saves_money_in_fen(rec, browser):
    b = browser("jdy1")
    fail_two(b, rec)
    page = b.get(f"/inspection/records/{rec.id}/handling").get_data(as_text=True)
    assert "行政处罚" in page and "监督意见书" in page and "报告业务主管科室" in page and "移交" in page
    bad = b.post(f"/inspection/records/{rec.id}/handling", {"penalty": "1", "fine": "5000.505", "confiscation": "-1",
                                                           "warning": "1", "version": "0"})
    text = bad.get_data(as_text=True)
    assert bad.status_code == 422 and "最多到分" in text and "不能为负数" in text and 'value="5000.505"' in text
    assert not Handling.select().exists()
    need_penalty = b.post(f"/inspection/records/{rec.id}/handling", {"fine": "100", "version": "0"})
    assert need_penalty.status_code == 422 and "请同时勾选“行政处罚”" in need_penalty.get_data(as_text=True)
    nothing = b.post(f"/inspection/records/{rec.id}/handling", {"version": "0"})
    assert nothing.status_code == 422 and "请至少选择一种处理方式" in nothing.get_data(as_text=True)
    ok = b.post(f"/inspection/records/{rec.id}/handling", {"penalty": "1", "case_filed": "1", "warning": "1",
                                                          "fine": "5,000.50", "confiscation": "0.07", "version": "0"})
    assert ok.status_code == 303
    h = Handling.get(Handling.record == rec.id)
    assert (h.fine_fen, h.confiscation_fen, h.penalty, h.warning, h.order_correction) == (500050, 7, True, True, True)
    assert isinstance(h.fine_fen, int)
    again = b.get(f"/inspection/records/{rec.id}/handling").get_data(as_text=True)
    assert 'value="5000.50"' in again and 'value="0.07"' in again
    # a second browser with the old version is told, not overwritten
    stale = browser("jdy2").post(f"/inspection/records/{rec.id}/handling", {"opinion": "1", "version": "0"})
    assert stale.status_code == 409 and "保存冲突" in stale.get_data(as_text=True) and "罚款 5000.50 元" in stale.get_data(as_text=True)
    assert Handling.get_by_id(h.id).opinion is False


def test_case_kinds_offered_when_the_plan_has_them(app, org, browser):
    with app.app_context():
        inst = factories.make_institution(org.d1, "甲区生殖中心", kinds=("art",))
        task = factories.make_task(inst, [org.users.insp1, org.users.insp2], "2021-zhongwei-fzss")
        record = factories.start_inspection(task, [org.users.insp1, org.users.insp2])
    b = browser("jdy1")
    page = b.get(f"/inspection/records/{record.id}/handling").get_data(as_text=True)
    assert "实施开展“代孕”" in page
    assert b.post(f"/inspection/records/{record.id}/handling", {"penalty": "1", "case_kind": "surrogacy", "version": "0"}).status_code == 303
    assert Handling.get(Handling.record == record.id).case_kind == "surrogacy"
    assert b.post(f"/inspection/records/{record.id}/handling", {"penalty": "1", "case_kind": "nope", "version": "1"}).status_code == 422


# ---- submitting and locking ------------------------------------------------------------------


def test_submit_lists_what_is_missing_then_submits(rec, browser):
    b = browser("jdy1")
    fail_two(b, rec)
    overview = b.get(f"/inspection/records/{rec.id}").get_data(as_text=True)
    assert "以下 28 项完成后才能提交审核" in overview  # 27 unanswered + the handling
    assert f'href="/inspection/records/{rec.id}/sections/1#item-1-2"' in overview
    assert f'href="/inspection/records/{rec.id}/handling"' in overview and "尚未作出处理决定" in overview
    assert "submit-record" not in overview
    refused = b.post(f"/inspection/records/{rec.id}/submit")
    assert refused.status_code == 422 and "不能提交审核" in refused.get_data(as_text=True)
    assert Record.get_by_id(rec.id).state == Status.DRAFT
    for item in plan().items:
        if item.key not in ("1.1", "2.1"):
            b.post(answer_url(rec, item.key), {"result": "pass", "version": "0"}, htmx=True)
    b.post(f"/inspection/records/{rec.id}/handling", {"opinion": "1", "order_correction": "1", "version": "0"})
    ready = b.get(f"/inspection/records/{rec.id}").get_data(as_text=True)
    assert "submit-record" in ready and "以下" not in ready
    done = b.post(f"/inspection/records/{rec.id}/submit")
    assert done.status_code == 303
    assert Record.get_by_id(rec.id).state == Status.SUBMITTED
    assert AuditEntry.select().where(AuditEntry.action == "record.submit").exists()


def test_write_endpoints_match_their_routes(rec, app):
    adapter = app.url_map.bind("localhost")
    with app.test_request_context():
        for endpoint, build in INSPECTION_WRITES:
            url, data = build(rec)
            assert adapter.match(url, method="POST")[0] == endpoint


@pytest.mark.parametrize("status", [Status.SUBMITTED, Status.APPROVED])
@pytest.mark.parametrize("endpoint", [e for e, _ in INSPECTION_WRITES])
def test_locked_records_refuse_every_write(rec, app, browser, status, endpoint):
    b = browser("jdy1")
    upload(b, rec, "1.1", PNG, "x.png")
    Record.update(status=int(status)).where(Record.id == rec.id).execute()
    build = dict(INSPECTION_WRITES)[endpoint]
    with app.test_request_context():
        url, data = build(Record.get_by_id(rec.id))
    resp = b.post(url, data)
    assert resp.status_code == 409
    assert workflow.LOCK_MESSAGES[status] in resp.get_data(as_text=True)
    page = b.get(f"/inspection/records/{rec.id}/sections/1").get_data(as_text=True)
    assert "保存此项" not in page and "disabled" in page


def test_returned_record_is_editable_and_shows_the_reason(rec, browser):
    Record.update(status=int(Status.RETURNED), return_reason="第2.1项描述不清").where(Record.id == rec.id).execute()
    b = browser("jdy1")
    assert "审核退回：第2.1项描述不清" in b.get(f"/inspection/records/{rec.id}").get_data(as_text=True)
    assert b.post(answer_url(rec, "2.1"), {"result": "pass", "version": "0"}, htmx=True).status_code == 200


@pytest.mark.parametrize("username,view,write", [
    ("jdy1", 200, 200), ("jdy2", 200, 200), ("admin", 200, 200),
    ("shr1", 200, 403),  # reviewer of the area: reads, does not answer
    ("fzr1", 200, 403), ("jdy3", 404, 404), ("shr2", 404, 404)])  # another district: not even seen
def test_access(rec, browser, username, view, write):
    b = browser(username)
    assert b.get(f"/inspection/records/{rec.id}/sections/1").status_code == view
    assert b.post(answer_url(rec, "1.1"), {"result": "pass", "version": "0"}, htmx=True).status_code == write


def test_task_list_only_for_inspectors(org, browser):
    assert browser("shr1").get("/inspection/tasks").status_code == 403
    home = browser("jdy1").get("/").get_data(as_text=True)
    assert "我的任务" in home


def test_record_page_offers_the_opinion_when_handling_chose_it(rec, browser):
    b = browser("jdy1")
    fail_two(b, rec)
    assert "制作卫生监督意见书" not in b.get(f"/inspection/records/{rec.id}").get_data(as_text=True)
    assert b.post(f"/inspection/records/{rec.id}/handling", {"opinion": "1", "version": "0"}).status_code == 303
    page = b.get(f"/inspection/records/{rec.id}").get_data(as_text=True)
    assert f'href="/documents/compose/{rec.id}"' in page
    assert b.get(f"/documents/compose/{rec.id}").status_code == 200


def test_task_list_shows_the_return_reason(rec, app, org, browser):
    from webapp.inspection import workflow

    b = browser("jdy1")
    assert "退回原因" not in b.get("/inspection/tasks").get_data(as_text=True)
    with app.app_context():
        Record.update(status=int(Status.SUBMITTED)).where(Record.id == rec.id).execute()
        workflow.return_(org.users.reviewer1, Record.get_by_id(rec.id), "第 2.1 项未写明不合格情形")
    page = b.get("/inspection/tasks").get_data(as_text=True)
    assert "退回原因：第 2.1 项未写明不合格情形" in page


@pytest.mark.parametrize("name,stored", [
    ("现场\x00照片.png", "现场照片.png"),  # was stored with the NUL and could never be downloaded again (500)
    ("../../../etc/现场.png", "现场.png"),
    ("\u202egnp.exe", "gnp.exe"),  # the right-to-left override that shows it as 'exe.png'
    ("\t现场\x7f\x1b[31m.png", "现场[31m.png"),
    ("...", "文件"),
    ("长" * 300 + ".png", "长" * 116 + ".png"),
])
def test_evidence_names_are_cleaned_once_before_storing_and_sending(rec, browser, name, stored):
    from urllib.parse import quote

    b = browser("jdy1")
    resp = upload(b, rec, "1.1", PNG, name)
    assert resp.status_code == 200
    ev = Evidence.get(Evidence.record == rec.id)
    assert ev.filename == stored
    got = b.get(f"/inspection/evidence/{ev.id}")
    try:
        assert got.status_code == 200 and got.data == PNG
        disposition = got.headers["Content-Disposition"]
        assert disposition.startswith("attachment; filename=\"") and f"filename*=UTF-8''{quote(stored, safe='')}" in disposition
        assert got.headers["X-Content-Type-Options"] == "nosniff"
    finally:
        got.close()


def test_a_stored_name_with_a_nul_byte_still_downloads(rec, browser, backend):
    """Rows written before the rule (SQLite kept the NUL) are cleaned when sent."""
    b = browser("jdy1")
    assert upload(b, rec, "1.1", PNG, "现场.png").status_code == 200
    ev = Evidence.get(Evidence.record == rec.id)
    if backend == "sqlite":  # PostgreSQL never stored one
        # raw SQL: the data layer now refuses a NUL, as the old code did not
        db.execute_sql("UPDATE evidence SET filename = ? WHERE id = ?", ("现场\x00\r\n.png", ev.id))
    got = b.get(f"/inspection/evidence/{ev.id}")
    try:
        assert got.status_code == 200 and got.data == PNG
        assert "\x00" not in got.headers["Content-Disposition"] and "%E7%8E%B0%E5%9C%BA" in got.headers["Content-Disposition"]
    finally:
        got.close()

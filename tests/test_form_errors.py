"""The one error convention (webapp/errors.py) and the form defects of issue 12: field errors
answer 422 with the form (fragment for htmx), each message beside its field, everything typed
kept; bare errors for htmx are the message box; length limits shown and checked alike."""
import datetime
import html
import json
import pathlib
import re

import pytest

from webapp.inspection import services
from webapp.inspection.models import Answer, Handling, Record, Status
from webapp.reports import workflow as report_workflow
from webapp.reports.models import SummaryReport

from . import factories
from .test_inspection import answer_url, fail_two, rec  # noqa: F401  (fixture)
from .test_reports_figures import make_world


def _text(resp):
    return resp.get_data(as_text=True)


def _field_error(page, field_id):
    """The message shown beside a field: the .field-error the field's aria-describedby names."""
    m = re.search(rf'<(?:input|textarea|select)[^>]*\bid="{re.escape(field_id)}"[^>]*>', page)
    assert m, f"no field #{field_id}"
    tag = m.group(0)
    assert 'aria-invalid="true"' in tag, f"#{field_id} is not marked invalid"
    err = re.search(rf'<p class="field-error[^"]*" id="{re.escape(field_id)}-err">(.*?)</p>', page, re.S)
    assert err, f"no message beside #{field_id}"
    return html.unescape(err.group(1))


# ---- the convention ----------------------------------------------------------------------------


def test_htmx_is_configured_once_to_swap_422_and_409_only(browser, org):
    page = _text(browser("jdy1").get("/"))
    meta = re.search(r"<meta name=\"htmx-config\" content='([^']+)'>", page).group(1)
    rules = json.loads(meta)["responseHandling"]

    def rule(status):  # htmx 2 takes the first rule whose code (a regex) matches
        return next(r for r in rules if re.search(r["code"], str(status)))

    assert rule(422)["swap"] and not rule(422).get("error")
    assert rule(409)["swap"]
    assert rule(200)["swap"] and not rule(204)["swap"]
    for status in (400, 403, 404, 413, 500, 503):
        assert not rule(status)["swap"] and rule(status)["error"], status
    assert 'id="global-error"' in page  # the message box app.js and the 409 box fill


ROOT = pathlib.Path(__file__).resolve().parents[1]


def test_no_feature_decides_on_its_own_what_htmx_swaps():
    """The response handling lives in base.html alone: no script overrides a swap decision, no
    view marks its error responses with a header of its own (the old X-*-Fragment headers)."""
    for js in (ROOT / "static" / "js").glob("*.js"):
        text = js.read_text(encoding="utf-8")
        assert "shouldSwap" not in text and "isError" not in text, js.name
    for py in (ROOT / "webapp").rglob("*.py"):
        text = py.read_text(encoding="utf-8")
        assert not re.search(r"X-[A-Za-z]+-Fragment", text), py
        if py.name != "htmx.py":
            assert not re.search(r"""headers\[["']HX-""", text), py


def test_a_bare_error_for_htmx_is_the_message_box(rec, app, browser):  # noqa: F811
    with app.app_context():
        Record.update(status=int(Status.SUBMITTED)).where(Record.id == rec.id).execute()
    b = browser("jdy1")
    resp = b.post(answer_url(rec, "1.1"), {"result": "pass", "version": "0"}, htmx=True)
    body = _text(resp)
    assert resp.status_code == 409 and "<html" not in body
    assert resp.headers["HX-Retarget"] == "#global-error" and resp.headers["HX-Reswap"] == "outerHTML"
    assert 'id="global-error"' in body and "审核期间不能修改" in body
    plain = b.post(answer_url(rec, "1.1"), {"result": "pass", "version": "0"})
    assert plain.status_code == 409 and "<html" in _text(plain) and "HX-Retarget" not in plain.headers
    missing = b.get("/inspection/records/999999", htmx=True)
    assert missing.status_code == 404 and "页面不存在" in _text(missing) and "<html" not in _text(missing)


# ---- 处理决定: a bad amount with 行政处罚 unticked ------------------------------------------


@pytest.mark.parametrize("fine,message", [("-500", "金额不能为负数"), ("abc", "请填写以元为单位的金额数字")])
@pytest.mark.parametrize("htmx", [True, False])
def test_handling_bad_fine_without_penalty_is_refused_beside_the_field(rec, browser, fine, message, htmx):  # noqa: F811
    b = browser("jdy1")
    fail_two(b, rec)
    form = {"fine": fine, "opinion": "1", "note": "现场已口头告知", "version": "0"}
    resp = b.post(f"/inspection/records/{rec.id}/handling", form, htmx=htmx)
    page = _text(resp)
    assert resp.status_code == 422
    assert ("<html" in page) is not htmx
    assert message in _field_error(page, "h-fine")
    assert "请同时勾选“行政处罚”" in page  # a typed amount is penalty content, even unparsed
    assert f'value="{fine}"' in page and "现场已口头告知" in page  # everything typed is kept
    assert re.search(r'name="opinion" value="1" checked', page) and not re.search(r'name="penalty" value="1" checked', page)
    assert not Handling.select().exists()


def test_handling_note_over_its_limit_is_refused_not_cut(rec, browser):  # noqa: F811
    b = browser("jdy1")
    fail_two(b, rec)
    limit = services.TEXT_MAX["handling_note"]
    resp = b.post(f"/inspection/records/{rec.id}/handling", {"opinion": "1", "note": "说" * (limit + 1), "version": "0"})
    assert resp.status_code == 422
    assert f"说明不能超过 {limit} 字" in _field_error(_text(resp), "h-note")
    assert not Handling.select().exists()


# ---- the answer: a long 不合格情形 ------------------------------------------------------------


def test_a_too_long_finding_is_refused_under_the_finding_and_names_it(rec, browser):  # noqa: F811
    b = browser("jdy1")
    resp = b.post(answer_url(rec, "1.2"), {"result": "fail", "finding": "查" * 10000, "note": "备注内容", "version": "0"},
                  htmx=True)
    page = _text(resp)
    assert resp.status_code == 422 and "<html" not in page
    assert "不合格情形不能超过 2000 字" in _field_error(page, "item-1-2-finding")
    assert 'id="item-1-2-note-err"' not in page and "说明不能超过" not in page
    assert "查" * 10000 in page and "备注内容" in page
    assert not Answer.select().exists()
    long_note = b.post(answer_url(rec, "1.2"), {"result": "pass", "note": "备" * 2001, "version": "0"}, htmx=True)
    assert long_note.status_code == 422 and "备注不能超过 2000 字" in _field_error(_text(long_note), "item-1-2-note")


def test_the_limit_is_on_the_field_before_typing(rec, browser):  # noqa: F811
    page = _text(browser("jdy1").get(f"/inspection/records/{rec.id}/items/1.2", htmx=True))
    finding = re.search(r'<textarea[^>]*id="item-1-2-finding"[^>]*>', page).group(0)
    assert f'maxlength="{services.TEXT_MAX["finding"]}"' in finding and 'data-counter="item-1-2-finding-count"' in finding
    assert re.search(r'<small class="counter" id="item-1-2-finding-count">0/2000</small>', page)
    assert re.search(r'<small class="counter" id="item-1-2-note-count">0/2000</small>', page)


def test_the_counter_counts_like_the_server(app):
    """A line break is one character for the counter (the browser's value) and for the server
    (the form sends CRLF)."""
    from webapp.errors import too_long

    assert too_long("说明", "一\r\n二", 3) is None
    assert too_long("说明", "一\r\n二三", 3) == "说明不能超过 3 字（现为 4 字）。"
    with app.test_request_context():
        macro = app.jinja_env.get_template("macros/forms.html").module.counted
        out = str(macro("note", "一\r\n二", 3, "n", rows=2))
    assert '<small class="counter" id="n-count">3/3</small>' in out and 'maxlength="3"' in out


# ---- the visit start page --------------------------------------------------------------------


def test_start_page_keeps_an_emptied_date_and_says_so(app, org, browser):
    with app.app_context():
        inst = factories.make_institution(org.d1, "甲区妇幼保健院", kinds=("mch",))
        task = factories.make_task(inst, [org.users.insp1, org.users.insp2])
        me, other = factories.register_inspector(org.users.insp1), factories.register_inspector(org.users.insp2)
    b = browser("jdy1")
    fresh = _text(b.get(f"/inspection/tasks/{task.id}/start"))
    assert f'value="{datetime.date.today().isoformat()}"' in fresh  # today is only the first suggestion
    resp = b.post(f"/inspection/tasks/{task.id}/start", {"date": "", "place": "院内", "representative": "李主任",
                                                         "representative_title": "院长", "inspectors": [str(me.id), str(other.id)]})
    page = _text(resp)
    assert resp.status_code == 422 and "请填写检查日期" in _field_error(page, "date")
    assert re.search(r'<input type="date" id="date" name="date" value=""', page)
    assert 'value="院内"' in page and 'value="李主任"' in page and 'value="院长"' in page
    typed = _text(b.post(f"/inspection/tasks/{task.id}/start", {"date": "2025-06-01", "place": "", "representative": "李主任",
                                                                "inspectors": [str(me.id), str(other.id)]}))
    assert 'value="2025-06-01"' in typed and "请填写检查地点" in _field_error(typed, "place")
    too_long = _text(b.post(f"/inspection/tasks/{task.id}/start", {"date": "2025-06-01", "place": "院" * 256,
                                                                   "representative": "李主任",
                                                                   "inspectors": [str(me.id), str(other.id)]}))
    assert "检查地点不能超过 255 字" in _field_error(too_long, "place")
    assert not Record.select().exists()


# ---- 汇总表 退回 -------------------------------------------------------------------------------


@pytest.mark.parametrize("reason,message", [("  ", "退回时必须填写退回原因"), ("长" * 501, "退回原因不能超过 500 字")])
def test_summary_return_reason_is_a_422_fragment_beside_the_field(app, org, browser, reason, message):
    pid = "2025-xj-yimei"
    with app.app_context():
        make_world(org, [pid])
    browser("jdy1").post(f"/reports/submit?plan={pid}&area={org.d1.code}", {})
    report = SummaryReport.select().first()
    b = browser("shr1")
    shown = _text(b.get(f"/reports/summary/{report.id}"))
    assert f'maxlength="{report_workflow.RETURN_REASON_MAX}"' in shown and f'<small class="counter" id="reason-count">0/{report_workflow.RETURN_REASON_MAX}</small>' in shown
    resp = b.post(f"/reports/summary/{report.id}/return", {"reason": reason}, htmx=True)
    page = _text(resp)
    assert resp.status_code == 422 and "<html" not in page and page.lstrip().startswith(("{", "<section"))
    assert message in _field_error(page, "reason")
    assert SummaryReport.get_by_id(report.id).status == report.status


# ---- reasons and names that were cut silently: refused, and their limit shown --------------------


def test_draw_witnesses_and_swap_reason_over_their_limit_are_refused(app, org, browser):
    from webapp.draw.models import Draw, InspectorSwap, Task
    from webapp.registers.models import Inspector

    with app.app_context():
        for i in range(25):
            factories.make_institution(org.d1, f"甲区第{i:02d}医院")
        for i in range(4):
            Inspector.create(name=f"甲执法员{i}", cert_no=f"650102{i:04d}", unit=org.units.d1)
    b = browser("admin")
    assert '<small class="counter" id="witnesses-count">0/255</small>' in _text(b.get("/draw/"))
    long = b.post("/draw/run", {"plan": "2024-county-yiliao", "area": "650102", "witnesses": "王" * 256, "seed": "9"})
    assert long.status_code == 422 and "监督见证人不能超过 255 字" in _field_error(_text(long), "witnesses")
    assert "王" * 256 in _text(long) and 'value="9"' in _text(long) and not Draw.select().exists()
    b.post("/draw/run", {"plan": "2024-county-yiliao", "area": "650102", "witnesses": "王某", "seed": "9"})
    draw = Draw.get()
    task = Task.select().where(Task.draw == draw).first()
    team = [r.inspector_id for r in task.inspector_rows]
    other = Inspector.select().where(Inspector.id.not_in(team)).first().id
    b.post(f"/draw/{draw.id}/confirm", {})
    resp = b.post(f"/draw/tasks/{task.id}/swap", {"old": team[0], "new": other, "reason": "病" * 256}, htmx=True)
    assert resp.status_code == 422 and "<html" not in _text(resp)  # htmx swaps the 422 fragment in place
    assert "调换原因不能超过 255 字" in _field_error(_text(resp), "reason")
    assert not InspectorSwap.select().exists()


def test_recusal_reason_over_its_limit_is_a_422_fragment(app, org, browser):
    from webapp.registers.models import Inspector, Recusal

    with app.app_context():
        inst = factories.make_institution(org.d1, "甲区人民医院")
        insp = Inspector.create(name="甲监督员一", cert_no="650102001", unit=org.units.d1)
    b = browser("admin")
    assert '<small class="counter" id="rec_reason-count">0/255</small>' in _text(b.get(f"/registers/inspectors/{insp.id}"))
    resp = b.post(f"/registers/inspectors/{insp.id}/recusals", {"credit_code": inst.credit_code, "reason": "亲" * 256}, htmx=True)
    assert resp.status_code == 422 and "<html" not in _text(resp)
    assert "回避理由不能超过 255 字" in _field_error(_text(resp), "rec_reason")
    assert not Recusal.select().exists()


def test_inspector_form_shows_and_checks_the_model_limits(app, org, browser):
    from webapp.registers.models import Inspector

    b = browser("admin")
    form = _text(b.get("/registers/inspectors/new"))
    assert '<small class="counter" id="name-count">0/64</small>' in form and 'id="specialties-count">0/255<' in form
    resp = b.post("/registers/inspectors/new", {"name": "", "cert_no": "6501020099", "unit": str(org.units.d1.id),
                                                "specialties": "医疗、" * 100, "active": "1"})
    page = _text(resp)
    assert resp.status_code == 422 and "请填写姓名" in _field_error(page, "name")
    assert "专业不能超过 255 字" in _field_error(page, "specialties") and 'value="6501020099"' in page
    assert not Inspector.select().exists()

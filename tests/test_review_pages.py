"""The review pages: queue with counts and filters, the whole-record page, approve / return /
withdraw over htmx and plain POST, bulk approval, history pages, the audit log."""
import pytest

from webapp.audit import trail
from webapp.audit.models import AuditEntry
from webapp.inspection.models import Evidence, Record, Status
from webapp.inspection.workflow import TRANSITIONS

from . import factories


def _text(resp):
    return resp.get_data(as_text=True)


@pytest.fixture
def records(app, org):
    with app.app_context():
        clean = factories.make_record(org, status=Status.SUBMITTED, submitted_days_ago=10)
        dirty = factories.make_record(org, status=Status.SUBMITTED, fails=2)
        draft = factories.make_record(org, status=Status.DRAFT)
        other_area = factories.make_record(org, status=Status.SUBMITTED, inspectors=[org.users.insp3], area=org.d2)
        Evidence.create(record=dirty, item_key=factories.load_item_keys(dirty)[0], sha256="a" * 64, filename="现场照片.jpg",
                        mime="image/jpeg", size=2048, uploaded_by=org.users.insp1)
    return clean, dirty, draft, other_area


def test_queue_lists_reviewable_records_with_counts(browser, records, org):
    clean, dirty, draft, other_area = records
    b = browser("shr1")
    page = _text(b.get("/review/"))
    assert "<html" in page and "待审核" in page
    assert f"queue-row-{clean.id}" in page and f"queue-row-{dirty.id}" in page
    assert f"queue-row-{draft.id}" not in page and f"queue-row-{other_area.id}" not in page
    assert 'id="queue-total">2<' in page
    assert 'data-badge="2"' in page  # the navigation badge
    # a clean record can be ticked for bulk approval, one with failures cannot
    assert f'name="record" value="{clean.id}"' in page and f'name="record" value="{dirty.id}"' not in page
    # the city reviewer sees both districts
    assert 'data-badge="3"' in _text(browser("city_shr").get("/review/"))


def test_queue_filters_and_fragment(browser, records, org, app):
    clean, dirty, *_ = records
    b = browser("city_shr")
    frag = _text(b.get(f"/review/?area={org.d1.id}", htmx=True))
    assert "<html" not in frag and 'id="review-queue"' in frag
    assert f"queue-row-{clean.id}" in frag and f"queue-row-{dirty.id}" in frag
    aged = _text(b.get("/review/?age=7", htmx=True))
    assert f"queue-row-{clean.id}" in aged and f"queue-row-{dirty.id}" not in aged
    with app.app_context():
        insp3 = factories.inspector_for(org.users.insp3)
    by_inspector = _text(b.get(f"/review/?inspector={insp3.id}", htmx=True))
    assert f"queue-row-{clean.id}" not in by_inspector and "queue-row-" in by_inspector
    none = _text(b.get("/review/?plan=2024-county-yimei", htmx=True))
    assert "没有符合筛选条件的待审核记录" in none


def test_queue_is_for_reviewers_only(browser, records):
    assert browser("jdy1").get("/review/").status_code == 403
    assert browser("admin").get("/review/").status_code == 403


def test_review_page_shows_failures_and_handling_first(browser, records):
    _, dirty, *_ = records
    page = _text(browser("shr1").get(f"/review/records/{dirty.id}"))
    assert page.index('id="failures"') < page.index('id="handling"') < page.index('id="other-items"')
    assert "现场发现问题" in page and "责令改正" in page
    ev = Evidence.get(Evidence.record == dirty.id)
    assert f"/inspection/evidence/{ev.id}" in page and 'class="thumb"' in page
    assert 'id="approve-button"' in page and 'id="return-button"' in page


def test_review_page_scoped_by_area(browser, records):
    *_, other_area = records
    assert browser("shr1").get(f"/review/records/{other_area.id}").status_code == 404
    assert browser("shr2").get(f"/review/records/{other_area.id}").status_code == 200


def test_self_inspected_record_shows_no_buttons(browser, app, org):
    with app.app_context():
        me = factories.make_user("shr_jdy", org.units.d1, "reviewer", "inspector", name="兼任")
        rec = factories.make_record(org, inspectors=[me], status=Status.SUBMITTED)
    b = browser("shr_jdy")
    page = _text(b.get(f"/review/records/{rec.id}"))
    assert 'id="approve-button"' not in page and "不能审核本记录" in page
    resp = b.post(f"/review/records/{rec.id}/approve", htmx=True)
    assert resp.status_code == 403 and "不能审核自己参与检查的记录" in _text(resp)
    assert Record.get_by_id(rec.id).state == Status.SUBMITTED
    assert f"queue-row-{rec.id}" not in _text(b.get("/review/"))


def test_approve_htmx_and_plain(browser, records):
    clean, dirty, *_ = records
    b = browser("shr1")
    resp = b.post(f"/review/records/{clean.id}/approve", htmx=True)
    assert resp.status_code == 204 and resp.headers["HX-Redirect"] == f"/review/records/{clean.id}"
    assert Record.get_by_id(clean.id).state == Status.APPROVED
    resp = b.post(f"/review/records/{dirty.id}/approve")
    assert resp.status_code == 303
    page = _text(b.get(f"/review/records/{dirty.id}"))
    assert "已审核通过，记录已锁定" in page and 'id="withdraw-button"' in page
    # approving again is a conflict, explained in Chinese inside the fragment
    again = b.post(f"/review/records/{dirty.id}/approve", htmx=True)
    assert again.status_code == 409
    assert "<html" not in _text(again) and "不能审核通过" in _text(again)


def test_return_requires_reason_and_keeps_input(browser, records):
    _, dirty, *_ = records
    b = browser("shr1")
    resp = b.post(f"/review/records/{dirty.id}/return", {"reason": "  "}, htmx=True)
    assert resp.status_code == 422
    assert 'id="return-reason-input-err"' in _text(resp) and "必须填写原因" in _text(resp)
    plain = b.post(f"/review/records/{dirty.id}/return", {"reason": ""})
    assert plain.status_code == 422 and "<html" in _text(plain) and "必须填写原因" in _text(plain)
    too_long = b.post(f"/review/records/{dirty.id}/return", {"reason": "长" * 600}, htmx=True)
    assert too_long.status_code == 422 and "长" * 600 in _text(too_long)
    ok = b.post(f"/review/records/{dirty.id}/return", {"reason": "罚款金额与处理意见不一致"}, htmx=True)
    assert ok.status_code == 204
    rec = Record.get_by_id(dirty.id)
    assert rec.state == Status.RETURNED and rec.return_reason == "罚款金额与处理意见不一致"
    # the inspectors see the reason on the record
    insp_page = _text(browser("jdy2").get(f"/review/records/{dirty.id}"))
    assert "审核退回原因" in insp_page and "罚款金额与处理意见不一致" in insp_page


def test_withdraw_by_reviewer_with_reason(browser, app, org):
    with app.app_context():
        rec = factories.make_record(org, status=Status.APPROVED)
    assert browser("jdy1").post(f"/review/records/{rec.id}/withdraw", {"reason": "x"}, htmx=True).status_code == 403
    b = browser("city_shr")
    assert b.post(f"/review/records/{rec.id}/withdraw", {"reason": ""}, htmx=True).status_code == 422
    resp = b.post(f"/review/records/{rec.id}/withdraw", {"reason": "处罚依据引用错误，需更正"})
    assert resp.status_code == 303
    assert Record.get_by_id(rec.id).state == Status.SUBMITTED
    page = _text(b.get(f"/review/records/{rec.id}"))
    assert "已撤回审核" in page and "处罚依据引用错误，需更正" in page and 'id="approve-button"' in page


@pytest.mark.parametrize("state", list(Status), ids=lambda s: s.name)
@pytest.mark.parametrize("verb", ["approve", "return", "withdraw"])
@pytest.mark.parametrize("username,may", [("shr1", True), ("city_shr", True), ("shr2", None), ("jdy1", False),
                                          ("jdy2", False), ("fzr1", False), ("admin", False)])
def test_routes_every_state_verb_role(browser, app, org, state, verb, username, may):
    """Over HTTP: allowed → 204 and the new state; refused → 403/404/409 and nothing changes."""
    with app.app_context():
        rec = factories.make_record(org, status=state)
    resp = browser(username).post(f"/review/records/{rec.id}/{verb}", {"reason": "原因"}, htmx=True)
    if may is None:
        expected = 404  # outside the user's area: the record is not disclosed
    elif not may:
        expected = 403
    else:
        expected = 204 if (verb, state) in TRANSITIONS else 409
    assert resp.status_code == expected, _text(resp)
    after = Record.get_by_id(rec.id).state
    assert after == (TRANSITIONS[(verb, state)] if expected == 204 else state)
    if expected in (403, 409):
        assert "<html" not in _text(resp) and not _text(resp).isascii()


def test_bulk_approve_from_queue(browser, records, app, org):
    clean, dirty, draft, _ = records
    with app.app_context():
        clean2 = factories.make_record(org, status=Status.SUBMITTED)
    b = browser("shr1")
    resp = b.post("/review/bulk-approve?age=", {"record": [str(clean.id), str(clean2.id), str(dirty.id), str(draft.id)]})
    assert resp.status_code == 303
    assert Record.get_by_id(clean.id).state == Status.APPROVED and Record.get_by_id(clean2.id).state == Status.APPROVED
    assert Record.get_by_id(dirty.id).state == Status.SUBMITTED and Record.get_by_id(draft.id).state == Status.DRAFT
    assert AuditEntry.select().where(AuditEntry.action == "record.approve").count() == 2
    page = _text(b.get("/review/"))
    assert "已批量审核通过 2 条记录" in page and "有不合格项，须逐条审核" in page
    htmx_resp = b.post("/review/bulk-approve", {}, htmx=True)
    assert htmx_resp.status_code == 204 and "请先勾选" in _text(b.get("/review/"))


def test_history_pages(browser, records, app, org):
    clean, *_ = records
    b = browser("shr1")
    b.post(f"/review/records/{clean.id}/return", {"reason": "补充照片"})
    with app.app_context():
        trail.record(org.users.admin, "institution.edit", "institution", clean.institution_id,
                     before={"电话": "1"}, after={"电话": "2"})
    page = _text(b.get(f"/audit/records/{clean.id}"))
    assert "退回" in page and "补充照片" in page and "甲审核人" in page
    inst = _text(b.get(f"/audit/institutions/{clean.institution_id}"))
    assert "修改检查对象" in inst and "退回" in inst
    assert browser("shr2").get(f"/audit/institutions/{clean.institution_id}").status_code == 404


def test_audit_log_for_admin_only(browser, records):
    clean, *_ = records
    browser("shr1").post(f"/review/records/{clean.id}/approve")
    admin = browser("admin")
    page = _text(admin.get("/audit/"))
    assert "审计日志" in page and "审核通过" in page
    assert "审计日志" in _text(admin.get("/"))  # in the navigation
    frag = _text(admin.get("/audit/verify", htmx=True))
    assert "<html" not in frag and "审计链完整：共 1 条记录" in frag
    assert browser("shr1").get("/audit/").status_code == 403
    assert browser("jdy1").get("/audit/verify").status_code == 403


def test_submitted_age_shown(browser, records):
    clean, *_ = records
    page = _text(browser("shr1").get("/review/"))
    assert 'class="num overdue">10<' in page

"""The lock: a submitted or approved record is refused by every write endpoint on the server
(409 with a Chinese message) and nothing changes — no row, no version, no audit entry.

The write endpoints are listed in tests/write_endpoints.py (answers, evidence, handling, submit;
approve, return, withdraw), each `(endpoint, build(record) -> (path, form data))`. A test below
makes sure no POST route that takes a record escapes the list.
"""
import pytest

from webapp.audit.models import AuditEntry
from webapp.inspection.models import Answer, Evidence, Handling, Record, Status
from webapp.inspection.workflow import LOCK_MESSAGES, TRANSITIONS

from . import factories

from .write_endpoints import INSPECTION_WRITES, REVIEW_WRITES
ALL_WRITES = list(INSPECTION_WRITES) + list(REVIEW_WRITES)
LOCKED = [Status.SUBMITTED, Status.APPROVED]


def _snapshot(record_id):
    rec = Record.get_by_id(record_id)
    answers = sorted((a.item_key, a.result, a.note, a.finding, a.version) for a in Answer.select().where(Answer.record == record_id))
    handling = [(h.version, h.note, h.fine_fen) for h in Handling.select().where(Handling.record == record_id)]
    evidence = sorted(e.id for e in Evidence.select().where(Evidence.record == record_id))
    return rec.status, rec.version, answers, handling, evidence, AuditEntry.select().count()


def _locked_record(app, org, state):
    with app.app_context():
        rec = factories.make_record(org, status=state, fails=1)
        Evidence.create(record=rec, item_key=factories.load_item_keys(rec)[0], sha256="b" * 64, filename="照片.jpg",
                        mime="image/jpeg", size=100, uploaded_by=org.users.insp1)
    return rec


def test_write_endpoints_known():
    assert INSPECTION_WRITES and REVIEW_WRITES
    names = [name for name, _ in ALL_WRITES]
    assert len(names) == len(set(n + str(i) for i, n in enumerate(names)))


def test_every_record_write_route_is_listed(app):
    """Every POST route taking a record id (inspection, review) is in a WRITE_ENDPOINTS list."""
    listed = {name for name, _ in ALL_WRITES}
    for rule in app.url_map.iter_rules():
        if "POST" in rule.methods and "record_id" in rule.arguments and rule.endpoint.split(".")[0] in ("inspection", "review"):
            assert rule.endpoint in listed, f"{rule.rule} ({rule.endpoint}) is a record write path missing from tests/write_endpoints.py"


@pytest.mark.parametrize("entry", INSPECTION_WRITES, ids=[n for n, _ in INSPECTION_WRITES])
@pytest.mark.parametrize("state", LOCKED, ids=lambda s: s.name)
@pytest.mark.parametrize("htmx", [False, True], ids=["plain", "htmx"])
def test_inspection_writes_refused_when_locked(app, org, browser, entry, state, htmx):
    name, build = entry
    rec = _locked_record(app, org, state)
    with app.app_context():
        path, data = build(rec)
    with app.test_request_context():
        adapter = app.url_map.bind("localhost")
        assert adapter.match(path, method="POST")[0] == name
    before = _snapshot(rec.id)
    resp = browser("jdy1").post(path, data, htmx=htmx)  # jdy1 inspected the record
    assert resp.status_code == 409, resp.get_data(as_text=True)[:500]
    assert LOCK_MESSAGES[state] in resp.get_data(as_text=True)
    assert _snapshot(rec.id) == before


@pytest.mark.parametrize("entry", REVIEW_WRITES, ids=[n + ":" + b(type("R", (), {"id": 0}))[0].rsplit("/", 1)[1] for n, b in REVIEW_WRITES])
@pytest.mark.parametrize("state", list(Status), ids=lambda s: s.name)
def test_review_writes_refused_out_of_turn(app, org, browser, entry, state):
    """An approved record takes only 撤回审核; every other decision out of turn is 409."""
    name, build = entry
    rec = _locked_record(app, org, state)
    path, data = build(rec)
    verb = path.rsplit("/", 1)[1]
    before = _snapshot(rec.id)
    resp = browser("shr1").post(path, data, htmx=True)
    if (verb, state) in TRANSITIONS:
        assert resp.status_code == 204
        return
    assert resp.status_code == 409
    assert f"记录当前状态为“{state.label}”" in resp.get_data(as_text=True)
    assert _snapshot(rec.id) == before


def test_approved_record_changes_only_through_withdraw(app, org, browser):
    """Corrections after approval: 撤回审核 (audited), then 退回, then the inspectors may edit."""
    rec = _locked_record(app, org, Status.APPROVED)
    reviewer = browser("shr1")
    assert reviewer.post(f"/review/records/{rec.id}/withdraw", {"reason": "处罚金额需更正"}).status_code == 303
    assert reviewer.post(f"/review/records/{rec.id}/return", {"reason": "请更正罚款金额"}).status_code == 303
    assert Record.get_by_id(rec.id).state == Status.RETURNED
    if INSPECTION_WRITES:
        build = dict(INSPECTION_WRITES)["inspection.handling"]
        with app.app_context():
            path, data = build(Record.get_by_id(rec.id))
        data["version"] = str(Handling.get(Handling.record == rec.id).version)
        resp = browser("jdy1").post(path, data)
        assert resp.status_code in (200, 204, 303), resp.get_data(as_text=True)[:500]
        assert not any(m in resp.get_data(as_text=True) for m in LOCK_MESSAGES.values())
    actions = [e.action for e in AuditEntry.select().where(AuditEntry.record_id == rec.id).order_by(AuditEntry.id)]
    assert actions[:2] == ["record.withdraw", "record.return"]

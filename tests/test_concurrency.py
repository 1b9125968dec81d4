"""Writes that hold under concurrency, tried through a real server (gunicorn with `make run`'s
workers and threads, tests/liveserver.py) on SQLite and, with TEST_DATABASE_URL, PostgreSQL:

- 20 inspectors saving at once, each on their own record: 0 errors, every acknowledged save
  present exactly once (answers and audit entries);
- a save racing 提交审核 (one inspector, two sessions): never an answer on a submitted record;
- two first saves of one item at the same moment: one 200 and one 409 conflict screen;
- a write that cannot get the lock in time: retried, then a Chinese 503 "请稍后重试", nothing
  written (in-process: another connection holds the lock).
Never a 500 anywhere. The crash test (kill -9 mid-load) is in test_crash.py, marked `long`.
"""
import sqlite3
import threading
import time

import pytest

from webapp import create_app
from webapp.audit.models import AuditEntry
from webapp.db import BUSY_MESSAGE, db, make_database
from webapp.inspection.models import Answer, Record, Status
from webapp.inspection.services import Checklist
from webapp.org.models import Role
from webapp.plans.loader import load_plans
from webapp.inspection.workflow import LOCK_MESSAGES

from . import factories, liveserver
from .conftest import Browser

ROUNDS = 30


def _items(record):
    return [it.key for s in Checklist.load(record).sections for it in s.items]


def _together(*calls):
    """Run the calls in threads released at the same instant; their results in order."""
    barrier = threading.Barrier(len(calls))
    out = [None] * len(calls)

    def run(i, fn):
        barrier.wait()
        out[i] = fn()

    threads = [threading.Thread(target=run, args=(i, fn)) for i, fn in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    return out


def test_twenty_inspectors_save_at_once(app, org, database_url, tmp_path):
    with app.app_context():
        inspectors = liveserver.make_inspectors(org, 20)
    with liveserver.Server(database_url, tmp_path / "server") as server:
        results = liveserver.save_load(server.base, inspectors, seconds=4)
        log = server.log()
    errors = [e for r in results for e in r.errors]
    assert errors == [], f"{len(errors)} failed saves, e.g. {errors[:3]}\n{log}"
    with app.app_context():
        summary = liveserver.check_saves(results)
    assert summary["acked"] >= 40, summary  # the load did happen (however busy the machine)
    assert (summary["lost"], summary["duplicated"], summary["unexpected"]) == (0, 0, 0), summary
    assert all(r.acked for r in results), "every session saved"


def test_save_racing_submit_never_lands_on_a_submitted_record(app, org, database_url, tmp_path):
    """The same inspector in two tabs: one saves an answer while the other submits."""
    with app.app_context():
        user = factories.make_user("race1", org.units.d1, Role.INSPECTOR, name="赛跑监督员")
        plan = load_plans().get(factories.REVIEW_PLAN_ID)
        record = factories.make_record(org, inspectors=[user], passes=len(plan.items))
        items = _items(record)
    outcomes = []
    with liveserver.Server(database_url, tmp_path / "server") as server:
        tab1 = liveserver.Client(server.base).login("race1", factories.PASSWORD)
        tab2 = liveserver.Client(server.base).login("race1", factories.PASSWORD)
        for n in range(ROUNDS):
            item = items[n % len(items)]
            with app.app_context():
                version = Answer.get((Answer.record == record.id) & (Answer.item_key == item)).version
            save, submit = _together(
                lambda: tab1.post(f"/inspection/records/{record.id}/items/{item}",
                                  {"result": "pass", "note": f"第{n}轮", "finding": "", "version": str(version)}),
                lambda: tab2.post(f"/inspection/records/{record.id}/submit"))
            assert submit.status == 204, (n, submit.status, submit.text[:300])
            assert save.status in (200, 409), (n, save.status, save.text[:300])
            if save.status == 409:
                assert LOCK_MESSAGES[Status.SUBMITTED] in save.text
            outcomes.append(save.status)
            with app.app_context():
                entries = list(AuditEntry.select().where(AuditEntry.record_id == record.id).order_by(AuditEntry.id))
                actions = [e.action for e in entries]
                last_submit = len(actions) - 1 - actions[::-1].index("record.submit")
                assert "answer.save" not in actions[last_submit:], f"round {n}: an answer saved after 提交审核"
                stored = Answer.get((Answer.record == record.id) & (Answer.item_key == item))
                assert (stored.note == f"第{n}轮") == (save.status == 200), n
                assert Record.get_by_id(record.id).status == Status.SUBMITTED
                # back to the inspectors for the next round (as 退回 would)
                Record.update(status=int(Status.RETURNED)).where(Record.id == record.id).execute()
    print("save/submit race:", {s: outcomes.count(s) for s in set(outcomes)})


def test_two_first_saves_of_one_item(app, org, database_url, tmp_path):
    """Both inspectors answer the same unanswered item at the same moment: one is saved, the
    other gets the conflict screen (409 fragment) — never a 500."""
    with app.app_context():
        record = factories.make_record(org, passes=0)  # jdy1 and jdy2
        items = _items(record)
    statuses = []
    with liveserver.Server(database_url, tmp_path / "server") as server:
        one = liveserver.Client(server.base).login("jdy1", factories.PASSWORD)
        two = liveserver.Client(server.base).login("jdy2", factories.PASSWORD)
        for n in range(min(ROUNDS, len(items))):
            path = f"/inspection/records/{record.id}/items/{items[n]}"
            a, b = _together(lambda: one.post(path, {"result": "pass", "note": "甲", "finding": "", "version": "0"}),
                             lambda: two.post(path, {"result": "na", "note": "乙", "finding": "", "version": "0"}))
            assert sorted([a.status, b.status]) == [200, 409], (n, a.status, a.text[:300], b.status, b.text[:300])
            loser = a if a.status == 409 else b
            assert 'class="conflict"' in loser.text and "<html" not in loser.text  # the item with the conflict choice
            statuses.append((a.status, b.status))
            with app.app_context():
                rows = list(Answer.select().where((Answer.record == record.id) & (Answer.item_key == items[n])))
                assert len(rows) == 1 and rows[0].version == 1
                assert rows[0].note == ("甲" if a.status == 200 else "乙")
    assert len(statuses) == min(ROUNDS, len(items))


@pytest.fixture
def short_busy_app(app, org, database_url, tmp_path):
    """The app with a 300 ms lock wait (DB_BUSY_TIMEOUT_MS), bound to the same database."""
    if not db.is_closed():
        db.close()  # the connection of the database object create_app replaces
    fast = create_app({"DATABASE_URL": database_url, "SECRET_KEY": "test-secret", "DB_BUSY_TIMEOUT_MS": 300})
    db.connect(reuse_if_open=True)
    yield fast
    if not db.is_closed():
        db.close()


def _hold_lock(backend, database_url, record_id):
    """Another connection that takes the lock a save needs: SQLite's write lock, or the record's
    row lock on PostgreSQL. Returns a function that releases it."""
    if backend == "sqlite":
        conn = sqlite3.connect(database_url.split("///", 1)[1], isolation_level=None)
        conn.execute("BEGIN IMMEDIATE")

        def release():
            conn.execute("ROLLBACK")
            conn.close()
        return release
    other = make_database(database_url, ".")
    other.connect()
    other.execute_sql("BEGIN")
    other.execute_sql("SELECT id FROM record WHERE id = %s FOR UPDATE", (record_id,))

    def release():
        other.execute_sql("ROLLBACK")
        other.close()
    return release


def test_a_write_that_cannot_get_the_lock_is_a_chinese_503(short_busy_app, org, backend, database_url):
    with short_busy_app.app_context():
        record = factories.make_record(org, passes=0)
        item = _items(record)[0]
        audit_before = AuditEntry.select().count()
    tab = Browser(short_busy_app)
    assert tab.login("jdy1").status_code == 302
    tab.refresh_token()
    form = {"result": "pass", "note": "锁等待", "finding": "", "version": "0"}
    path = f"/inspection/records/{record.id}/items/{item}"
    release = _hold_lock(backend, database_url, record.id)
    try:
        began = time.monotonic()
        resp = tab.post(path, form, htmx=True)
        waited = time.monotonic() - began
    finally:
        release()
    assert resp.status_code == 503
    assert "请稍后重试" in resp.get_data(as_text=True) and BUSY_MESSAGE in resp.get_data(as_text=True)
    assert resp.headers.get("Retry-After")
    assert 3 * 0.3 <= waited < 5  # tried three times, each waiting DB_BUSY_TIMEOUT_MS (not the 5 s default)
    with short_busy_app.app_context():
        assert not Answer.select().where(Answer.record == record.id).exists()
        assert AuditEntry.select().count() == audit_before
    # the lock gone, the same form (kept on the page) saves
    again = tab.post(path, form, htmx=True)
    assert again.status_code == 200, again.get_data(as_text=True)[:300]
    with short_busy_app.app_context():
        assert Answer.get((Answer.record == record.id) & (Answer.item_key == item)).note == "锁等待"

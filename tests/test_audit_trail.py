"""The hash-chained audit trail and `flask --app webapp audit verify`: an intact chain, then
each kind of tampering found at the right entry; concurrent writers never fork the chain."""
import re
import threading

from webapp.audit import trail
from webapp.audit.models import AuditEntry, AuditHead
from webapp.db import db
from webapp.inspection.models import Answer, Status
from webapp.inspection import workflow

from . import factories


def _fill(org, n=5):
    inst = factories.make_institution(org.d1, "审计医院")
    entries = []
    for i in range(n):
        entries.append(trail.record(org.users.admin, "institution.edit", "institution", inst.id,
                                    before={"phone": f"0991-{i}"}, after={"phone": f"0991-{i + 1}", "备注": "电话变更"}))
    return inst, entries


def _verify(runner):
    result = runner.invoke(args=["audit", "verify"])
    return result.exit_code, result.output.strip()


def test_empty_chain_is_intact(runner, org):
    assert _verify(runner) == (0, "审计链完整：共 0 条记录")


def test_intact_chain(runner, app, org):
    with app.app_context():
        _fill(org, 5)
    assert _verify(runner) == (0, "审计链完整：共 5 条记录")


def test_modified_after_text_is_found(runner, app, org):
    with app.app_context():
        _, entries = _fill(org, 5)
    target = entries[2]
    db.execute_sql(f"UPDATE audit_entry SET after = {db.param} WHERE id = {db.param}",
                   ('{"phone": "0991-9999"}', target.id))
    code, out = _verify(runner)
    assert code == 1
    assert out == f"审计链断裂：第 3 条（id={target.id}）：内容哈希不符（该条记录被修改）"


def test_modified_actor_or_time_is_found(runner, app, org):
    with app.app_context():
        _, entries = _fill(org, 3)
    db.execute_sql(f"UPDATE audit_entry SET actor_id = {db.param} WHERE id = {db.param}", (org.users.insp1.id, entries[0].id))
    code, out = _verify(runner)
    assert code == 1 and out.startswith(f"审计链断裂：第 1 条（id={entries[0].id}）")


def test_deleted_middle_row_is_found(runner, app, org):
    with app.app_context():
        _, entries = _fill(org, 5)
    db.execute_sql(f"DELETE FROM audit_entry WHERE id = {db.param}", (entries[2].id,))
    code, out = _verify(runner)
    assert code == 1
    # the row after the gap no longer links to its predecessor
    assert out == f"审计链断裂：第 3 条（id={entries[3].id}）：上一条哈希不符（前面的记录被删除、插入或改动）"


def test_deleted_last_row_is_found(runner, app, org):
    with app.app_context():
        _, entries = _fill(org, 5)
    db.execute_sql(f"DELETE FROM audit_entry WHERE id = {db.param}", (entries[-1].id,))
    code, out = _verify(runner)
    assert code == 1
    assert out == "审计链断裂：第 5 条（链尾）：链尾哈希不符（最后的记录被删除）"


def test_rehashed_row_still_breaks_the_next_link(runner, app, org):
    """Rewriting a row and its own hash is found by the next entry's prev_hash."""
    with app.app_context():
        _, entries = _fill(org, 4)
        e = AuditEntry.get_by_id(entries[1].id)
        e.after = '{"phone": "伪造"}'
        e.hash = trail._entry_digest(e)
        e.save()
    code, out = _verify(runner)
    assert code == 1 and out.startswith(f"审计链断裂：第 3 条（id={entries[2].id}）")


def test_entries_know_their_record_and_institution(app, org):
    with app.app_context():
        record = factories.make_record(org, fails=1)
        answer = Answer.get(Answer.record == record)
        trail.record(org.users.insp1, "answer.save", "answer", answer.id, before={"result": "pass"}, after={"result": "fail"})
        trail.record(org.users.admin, "institution.edit", "institution", record.institution_id, after={"name": "新名称"})
        workflow.submit(org.users.insp1, record)
        rec_hist = [e.action for e in trail.record_history(record.id)]
        inst_hist = [e.action for e in trail.institution_history(record.institution_id)]
        assert rec_hist == ["answer.save", "record.submit"]
        assert inst_hist == ["answer.save", "institution.edit", "record.submit"]
        assert trail.verify() == (3, None, "")


def test_a_rolled_back_change_leaves_no_entry(app, org):
    with app.app_context():
        _fill(org, 2)
        try:
            with db.atomic():
                trail.record(org.users.admin, "x.y", "institution", 1, after={"a": 1})
                raise RuntimeError("abort")
        except RuntimeError:
            pass
        assert trail.verify() == (2, None, "")
        assert AuditHead.get_by_id(1).seq == 2


def test_concurrent_writers_keep_one_chain(app, org):
    """Eight threads write at once (each its own connection); the chain stays linear."""
    with app.app_context():
        inst = factories.make_institution(org.d1, "并发医院")
    if not db.is_closed():
        db.close()
    errors = []
    barrier = threading.Barrier(8)

    def write(n):
        try:
            barrier.wait(5)
            for i in range(5):
                with db.atomic("IMMEDIATE") if not _pg() else db.atomic():
                    trail.record(org.users.admin, "institution.edit", "institution", inst.id, after={"n": n, "i": i})
        except Exception as e:  # noqa: BLE001
            errors.append(repr(e))
        finally:
            if not db.is_closed():
                db.close()

    threads = [threading.Thread(target=write, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == []
    db.connect(reuse_if_open=True)
    assert trail.verify() == (40, None, "")


def _pg():
    from webapp.db import is_postgres

    return is_postgres()


def test_demo_chain_verifies(runner, app):
    """The demo data (with every feature's step) leaves an intact chain."""
    assert runner.invoke(args=["demo"]).exit_code == 0
    code, out = _verify(runner)
    assert code == 0 and re.fullmatch(r"审计链完整：共 \d+ 条记录", out), out


def test_state_changes_verify_after_review(runner, app, org):
    with app.app_context():
        record = factories.make_record(org, status=Status.SUBMITTED)
        workflow.approve(org.users.reviewer1, record)
    assert _verify(runner) == (0, "审计链完整：共 1 条记录")

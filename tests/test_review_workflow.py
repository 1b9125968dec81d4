"""The record state machine: every (state, verb, role) combination, allowed and refused;
self-approval; reasons; bulk approval; two reviewers approving at once."""
import threading

import pytest

from webapp.audit import trail
from webapp.audit.models import AuditEntry
from webapp.db import db
from webapp.inspection.models import Record, Status
from webapp.org.models import Role
from webapp.inspection import workflow
from webapp.inspection.workflow import TRANSITIONS, TransitionError

from . import factories

# Roles as seen from one record of 甲区 inspected by jdy1 and by `self_reviewer` (a 审核人 who
# also inspects): who they are, and whether they may act on it at all as inspector / reviewer.
ROLES = {
    # role: (user maker, may submit, may review)
    "inspector": (lambda o, s: o.users.insp1, True, False),
    "other_inspector_same_area": (lambda o, s: o.users.insp2, False, False),
    "inspector_other_area": (lambda o, s: o.users.insp3, False, False),
    "reviewer": (lambda o, s: o.users.reviewer1, False, True),
    "city_reviewer": (lambda o, s: o.users.city_reviewer, False, True),
    "reviewer_other_area": (lambda o, s: o.users.reviewer2, False, False),
    "self_reviewer": (lambda o, s: s, True, False),
    "head": (lambda o, s: o.users.head1, False, False),
    "admin": (lambda o, s: o.users.admin, False, False),
}


def _self_reviewer(org):
    user = factories.make_user("shr_jdy", org.units.d1, Role.REVIEWER, Role.INSPECTOR, name="甲审核兼监督员")
    return user


def _expected(state, verb, role):
    _, may_submit, may_review = ROLES[role]
    actor_ok = may_submit if verb == "submit" else may_review
    if not actor_ok:
        return 403
    return 200 if (verb, state) in TRANSITIONS else 409


@pytest.mark.parametrize("state", list(Status), ids=lambda s: s.name)
@pytest.mark.parametrize("verb", workflow.VERBS)
@pytest.mark.parametrize("role", sorted(ROLES))
def test_every_state_verb_role(app, org, state, verb, role):
    with app.app_context():
        me = _self_reviewer(org)
        record = factories.make_record(org, inspectors=[org.users.insp1, me], status=state)
        user = ROLES[role][0](org, me)
        expected = _expected(state, verb, role)
        assert workflow.allowed(user, record, verb) is (expected == 200)
        before_entries = AuditEntry.select().count()
        if expected == 200:
            after = workflow.apply(user, record, verb, reason="请补充现场照片")
            assert after.state == TRANSITIONS[(verb, state)]
            assert after.version == record.version + 1
            entry = AuditEntry.select().order_by(AuditEntry.id.desc()).first()
            assert (entry.action, entry.actor_id, entry.record_id) == (f"record.{verb}", user.id, record.id)
            assert trail.decoded(entry.before)["status"] == state.label
            assert trail.decoded(entry.after)["status"] == after.state.label
            assert entry.institution_id == record.institution_id
        else:
            with pytest.raises(TransitionError) as e:
                workflow.apply(user, record, verb, reason="请补充现场照片")
            assert e.value.code == expected
            assert e.value.message and not e.value.message.isascii()
            assert Record.get_by_id(record.id).status == int(state)
            assert AuditEntry.select().count() == before_entries
        assert trail.verify()[2] == ""


def test_self_approval_refused(app, org):
    with app.app_context():
        me = _self_reviewer(org)
        record = factories.make_record(org, inspectors=[me], status=Status.SUBMITTED)
        with pytest.raises(TransitionError) as e:
            workflow.approve(me, record)
        assert e.value.code == 403 and "自己参与检查" in e.value.message
        assert not workflow.can_review(me, record)
        # the author of a record counts as one of its inspectors even off the visit's list
        other = factories.make_record(org, inspectors=[org.users.insp1], status=Status.SUBMITTED)
        Record.update(created_by=me).where(Record.id == other.id).execute()
        with pytest.raises(TransitionError):
            workflow.return_(me, Record.get_by_id(other.id), "理由")
        assert Record.get_by_id(other.id).status == Status.SUBMITTED


@pytest.mark.parametrize("verb", ["return", "withdraw"])
@pytest.mark.parametrize("reason", ["", "   ", "长" * 501])
def test_reason_required_and_bounded(app, org, verb, reason):
    with app.app_context():
        state = Status.SUBMITTED if verb == "return" else Status.APPROVED
        record = factories.make_record(org, status=state)
        with pytest.raises(TransitionError) as e:
            workflow.apply(org.users.reviewer1, record, verb, reason=reason)
        assert e.value.code == 422 and e.value.field == "reason"
        assert Record.get_by_id(record.id).status == int(state)


def test_return_reason_shown_until_approved_and_withdraw_keeps_it_out(app, org):
    with app.app_context():
        rev, insp = org.users.reviewer1, org.users.insp1
        record = factories.make_record(org, status=Status.SUBMITTED)
        record = workflow.return_(rev, record, "  处理意见缺少整改期限  ")
        assert record.state == Status.RETURNED and record.return_reason == "处理意见缺少整改期限"
        record = workflow.submit(insp, record)
        assert record.return_reason == "处理意见缺少整改期限"  # the reviewer still sees what was asked
        record = workflow.approve(rev, record)
        assert record.return_reason == "" and record.reviewed_by_id == rev.id
        record = workflow.withdraw(org.users.city_reviewer, record, "复核发现处罚金额有误")
        assert record.state == Status.SUBMITTED and record.return_reason == ""
        last = AuditEntry.select().order_by(AuditEntry.id.desc()).first()
        assert trail.decoded(last.after)["reason"] == "复核发现处罚金额有误"
        actions = [e.action for e in trail.record_history(record.id)]
        assert actions == ["record.return", "record.submit", "record.approve", "record.withdraw"]


def test_submit_check_can_refuse(app, org):
    with app.app_context():
        record = factories.make_record(org)

        def missing(r):
            raise TransitionError("还有 3 项未检查。", 422)

        with pytest.raises(TransitionError) as e:
            workflow.submit(org.users.insp1, record, check=missing)
        assert e.value.code == 422 and Record.get_by_id(record.id).state == Status.DRAFT


def test_bulk_approve_only_clean_records_each_audited(app, org):
    with app.app_context():
        clean = [factories.make_record(org, status=Status.SUBMITTED) for _ in range(3)]
        dirty = factories.make_record(org, status=Status.SUBMITTED, fails=2)
        draft = factories.make_record(org, status=Status.DRAFT)
        elsewhere = factories.make_record(org, status=Status.SUBMITTED, inspectors=[org.users.insp3], area=org.d2)
        ids = [r.id for r in clean] + [dirty.id, draft.id, elsewhere.id, 999999]
        done, refused = workflow.bulk_approve(org.users.reviewer1, ids)
        assert sorted(r.id for r in done) == sorted(r.id for r in clean)
        assert len(refused) == 4
        assert all(Record.get_by_id(r.id).state == Status.APPROVED for r in clean)
        assert Record.get_by_id(dirty.id).state == Status.SUBMITTED
        assert Record.get_by_id(elsewhere.id).state == Status.SUBMITTED
        approvals = AuditEntry.select().where(AuditEntry.action == "record.approve")
        assert sorted(e.record_id for e in approvals) == sorted(r.id for r in clean)


def test_two_reviewers_approve_at_once_one_wins(app, org):
    """Two threads (two connections) approve the same record; exactly one succeeds."""
    with app.app_context():
        record = factories.make_record(org, status=Status.SUBMITTED)
    reviewers = [org.users.reviewer1, org.users.city_reviewer]
    if not db.is_closed():
        db.close()
    barrier = threading.Barrier(2)
    results = {}

    def act(user):
        try:
            with app.app_context():
                r = Record.get_by_id(record.id)
                barrier.wait(5)
                workflow.approve(user, r)
                results[user.username] = "ok"
        except TransitionError as e:
            results[user.username] = e.code
        except Exception as e:  # noqa: BLE001 - reported by the assertion below
            results[user.username] = repr(e)
        finally:
            if not db.is_closed():
                db.close()

    threads = [threading.Thread(target=act, args=(u,)) for u in reviewers]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert sorted(map(str, results.values())) == ["409", "ok"], results
    db.connect(reuse_if_open=True)
    assert Record.get_by_id(record.id).state == Status.APPROVED
    assert AuditEntry.select().where(AuditEntry.action == "record.approve").count() == 1
    assert trail.verify()[2] == ""

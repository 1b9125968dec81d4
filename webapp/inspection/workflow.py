"""Record states and their transitions: one table, one function per verb.

"审核通过即完成任务": a record counts only once a 审核人 approves it. The table and the actor rules
are data run by the shared mechanism (webapp/workflow.py, MACHINE below): each verb checks the
actor and the transition, compare-and-sets the state and writes the audit entry in one transaction.
Writes to a record's content call check_editable(record), which raises Locked (409).

Order of the checks (the tests in tests/test_review_workflow.py pin it): first who may use the
verb at all on this record (403), then whether the record's state allows it (409). A reviewer
who inspected the record gets a 403 that says so.
"""
import datetime

from .. import workflow as machine
from .models import Answer, Record, Result, Status, VisitInspector
from ..org.models import Role
from ..registers.models import Inspector

# (verb, from state) -> to state. Anything not listed is refused with 409.
TRANSITIONS = {
    ("submit", Status.DRAFT): Status.SUBMITTED,
    ("submit", Status.RETURNED): Status.SUBMITTED,
    ("approve", Status.SUBMITTED): Status.APPROVED,
    ("return", Status.SUBMITTED): Status.RETURNED,
    # 撤回审核: the only way to correct an approved record. It goes back to the queue (已提交),
    # where the reviewer approves it again or returns it to the inspectors with a reason.
    ("withdraw", Status.APPROVED): Status.SUBMITTED,
}

VERBS = ("submit", "approve", "return", "withdraw")
VERB_LABELS = {"submit": "提交审核", "approve": "审核通过", "return": "退回", "withdraw": "撤回审核"}
# Verbs whose actor is a reviewer (the others belong to the record's inspectors).
REVIEW_VERBS = {"approve", "return", "withdraw"}
# Verbs that need a reason (shown to the inspectors for 退回, kept in the audit trail for both).
NEEDS_REASON = {"return", "withdraw"}
REASON_MAX = Record.return_reason.max_length  # the column is the limit (webapp.inputs.limit)

# States in which inspectors may change answers, handling and evidence.
EDITABLE = {Status.DRAFT, Status.RETURNED}

LOCK_MESSAGES = {
    Status.SUBMITTED: "该记录已提交审核，审核期间不能修改；如需修改请联系审核人退回。",
    Status.APPROVED: "该记录已审核通过并锁定，不能修改；如需更正，须由审核人执行“撤回审核”。",
}


class TransitionError(machine.Refused):
    """A refused record transition: `message` is Chinese and meant for the user; `code` the HTTP status."""


class Locked(TransitionError):
    """A write to a record that is submitted or approved (409, with LOCK_MESSAGES' text)."""


def inspector_user_ids(record):
    """Users who inspected this record (the visit's inspectors) plus its author."""
    rows = Inspector.select(Inspector.user).join(VisitInspector).where(VisitInspector.visit == record.visit_id)
    return {r.user_id for r in rows if r.user_id} | {record.created_by_id}


def inspected_by(user):
    """SQL condition on Record: the user inspected or wrote it (the query form of
    inspector_user_ids, for lists)."""
    mine = VisitInspector.select(VisitInspector.visit).join(Inspector).where(Inspector.user == user.id)
    return (Record.created_by == user.id) | Record.visit.in_(mine)


def is_editable(record):
    return Status(record.status) in EDITABLE


def check_editable(record):
    """Every write path to a record's answers, evidence and handling calls this (inside its
    transaction, on the row it locked): a submitted or approved record raises Locked (409)."""
    if not is_editable(record):
        raise Locked(LOCK_MESSAGES[Status(record.status)], 409)


# The older name: it raises Locked now (the app answers it with 409 and the message, as before).
ensure_editable = check_editable


def awaiting_review(record):
    """已提交: waiting in the reviewers' queue (the state 审核通过 and 退回 start from)."""
    return MACHINE.state_refusal(record, "approve") is None


def is_approved(record):
    """审核通过: locked; only 撤回审核 leads out of it."""
    return Status(record.status) == Status.APPROVED


def can_edit(user, record):
    return is_editable(record) and (user.id in inspector_user_ids(record) or user.has_role(Role.ADMIN)) and record.area.is_within(user.area)


def can_see(user, record):
    """Anyone whose area covers the record's area may read it (scope rule)."""
    return record.area.is_within(user.area)


def can_review(user, record):
    """A 审核人 of the record's area or an area above, who did not inspect it."""
    return (user.has_role(Role.REVIEWER) and record.area.is_within(user.area)
            and user.id not in inspector_user_ids(record))


def _inspector_refusal(user, record):
    if user.id in inspector_user_ids(record) and record.area.is_within(user.area):
        return None
    return f"只有参与检查的监督员才能{VERB_LABELS['submit']}。"


def _reviewer_rule(verb):
    def refusal(user, record):
        if not user.has_role(Role.REVIEWER):
            return f"只有审核人（科室负责人）才能{VERB_LABELS[verb]}。"
        if not record.area.is_within(user.area):
            return "该记录不在您的辖区内，不能审核。"
        if user.id in inspector_user_ids(record):
            return "不能审核自己参与检查的记录。"
        return None

    return refusal


MACHINE = machine.Machine(
    Record, Status, TRANSITIONS, VERB_LABELS, noun="记录", entity="record", action="record", error=TransitionError,
    actors={"submit": _inspector_refusal, **{v: _reviewer_rule(v) for v in REVIEW_VERBS}},
    context=lambda r: {"record": r.id, "institution": r.institution_id})


def _actor_refusal(user, record, verb):
    """Why user may not use verb on this record whatever its state, or None."""
    return MACHINE.actor_refusal(user, record, verb)


def allowed(user, record, verb):
    """Whether user may apply verb to record now (templates ask this to show buttons)."""
    return MACHINE.allowed(user, record, verb)


can_submit, can_approve, can_return, can_withdraw = (MACHINE.asks(v) for v in ("submit", "approve", "return", "withdraw"))


def failure_count(record):
    return Answer.select().where((Answer.record == record.id) & (Answer.result == Result.FAIL)).count()


def is_clean(record):
    """No item answered 不合格: such records may be approved in bulk from the queue."""
    return failure_count(record) == 0


def _apply(user, record, verb, reason="", check=None):
    MACHINE.check(user, record, verb)  # who (403), then state (409), before the reason (400)
    if verb in NEEDS_REASON:
        reason = _reason(reason, verb)
    if check is not None:
        check(record)
    now = datetime.datetime.now()
    changes = {Record.version: Record.version + 1, Record.updated_at: now}
    if verb == "submit":
        changes[Record.submitted_at] = now
    if verb in REVIEW_VERBS:
        changes[Record.reviewed_by] = user.id
        changes[Record.reviewed_at] = now
    if verb == "return":
        changes[Record.return_reason] = reason  # shown to the inspectors until the record is approved
    if verb == "approve":
        changes[Record.return_reason] = ""
    return MACHINE.apply(user, record, verb, changes, after={"reason": reason} if reason else None,
                         conflict="记录状态已被他人更改，请刷新后重试。")


def _reason(reason, verb):
    text = (reason or "").strip()
    if not text:
        raise TransitionError(f"{VERB_LABELS[verb]}时必须填写原因。", 422, field="reason")
    if len(text) > REASON_MAX:
        raise TransitionError(f"原因不能超过 {REASON_MAX} 字。", 422, field="reason")
    return text


def submit(user, record, check=None):
    """提交审核; check(record) may raise TransitionError listing what is missing."""
    return _apply(user, record, "submit", check=check)


def approve(user, record):
    """审核通过: the record is locked from now on."""
    return _apply(user, record, "approve")


def return_(user, record, reason):
    """退回 with a reason the inspectors see on the record and in their task list."""
    return _apply(user, record, "return", reason)


def withdraw(user, record, reason):
    """撤回审核: an approved record goes back to 已提交; the reason stays in the audit trail."""
    return _apply(user, record, "withdraw", reason)


def apply(user, record, verb, reason=""):
    """Dispatch by verb name (routes and tests use the verb table, not four code paths)."""
    if verb == "approve":
        return approve(user, record)
    if verb == "return":
        return return_(user, record, reason)
    if verb == "withdraw":
        return withdraw(user, record, reason)
    if verb == "submit":
        return submit(user, record)
    raise ValueError(verb)


def bulk_approve(user, record_ids):
    """Approve each clean record separately (each its own transaction and audit entry).

    Returns (approved records, [(record or id, message)] refused). A record with failures is
    refused here: its handling must be looked at on its own review page.
    """
    done, refused = [], []
    for rid in dict.fromkeys(record_ids):
        record = Record.get_or_none(Record.id == rid)
        if record is None or not can_see(user, record):
            refused.append((rid, "记录不存在或不在您的辖区内。"))
            continue
        if not is_clean(record):
            refused.append((record, "有不合格项，须逐条审核。"))
            continue
        try:
            done.append(approve(user, record))
        except TransitionError as e:
            refused.append((record, e.message))
    return done, refused

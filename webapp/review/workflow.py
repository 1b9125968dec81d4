"""Record states and their transitions: one table, one function per verb.

"审核通过即完成任务": a record counts only once a 审核人 approves it. Each verb checks the
transition and the actor, changes the state and writes the audit entry in one transaction.
"""
import datetime

from flask import abort

from ..audit import trail
from ..db import db
from ..inspection.models import Record, Status, VisitInspector
from ..org.models import Role
from ..registers.models import Inspector

# (verb, from state) -> to state. Anything not listed is refused.
TRANSITIONS = {
    ("submit", Status.DRAFT): Status.SUBMITTED,
    ("submit", Status.RETURNED): Status.SUBMITTED,
    ("approve", Status.SUBMITTED): Status.APPROVED,
    ("return", Status.SUBMITTED): Status.RETURNED,
    ("withdraw", Status.APPROVED): Status.SUBMITTED,  # 撤回审核: the only way to correct an approved record
}

VERB_LABELS = {"submit": "提交审核", "approve": "审核通过", "return": "退回", "withdraw": "撤回审核"}

# States in which inspectors may change answers, handling and evidence.
EDITABLE = {Status.DRAFT, Status.RETURNED}

LOCK_MESSAGES = {
    Status.SUBMITTED: "该记录已提交审核，审核期间不能修改；如需修改请联系审核人退回。",
    Status.APPROVED: "该记录已审核通过并锁定，不能修改；如需更正，须由审核人执行“撤回审核”。",
}


class TransitionError(Exception):
    def __init__(self, message, code=409):
        super().__init__(message)
        self.message = message
        self.code = code


def inspector_user_ids(record):
    """Users who inspected this record (the visit's inspectors) plus its author."""
    rows = (Inspector.select(Inspector.user).join(VisitInspector).where(VisitInspector.visit == record.visit_id))
    return {r.user_id for r in rows if r.user_id} | {record.created_by_id}


def is_editable(record):
    return Status(record.status) in EDITABLE


def ensure_editable(record):
    """Every write path calls this: a locked record is refused on the server with 409."""
    if not is_editable(record):
        abort(409, LOCK_MESSAGES[Status(record.status)])


def can_edit(user, record):
    return is_editable(record) and (user.id in inspector_user_ids(record) or user.has_role(Role.ADMIN)) and record.area.is_within(user.area)


def can_review(user, record):
    """A 审核人 of the record's area or an area above, who did not inspect it."""
    return (user.has_role(Role.REVIEWER) and record.area.is_within(user.area)
            and user.id not in inspector_user_ids(record))


def allowed(user, record, verb):
    """Whether user may apply verb to record now (templates ask this to show buttons)."""
    if (verb, Status(record.status)) not in TRANSITIONS:
        return False
    if verb == "submit":
        return user.id in inspector_user_ids(record) and record.area.is_within(user.area)
    return can_review(user, record)


def _apply(user, record, verb, reason="", check=None):
    current = Status(record.status)
    target = TRANSITIONS.get((verb, current))
    if target is None:
        raise TransitionError(f"记录当前状态为“{current.label}”，不能{VERB_LABELS[verb]}。")
    if not allowed(user, record, verb):
        if verb != "submit" and user.id in inspector_user_ids(record):
            raise TransitionError("不能审核自己参与检查的记录。", 403)
        raise TransitionError(f"您无权对该记录执行“{VERB_LABELS[verb]}”。", 403)
    if check is not None:
        check(record)
    now = datetime.datetime.now()
    with db.atomic():
        # Compare-and-set on the state: two reviewers clicking at once cannot both succeed.
        changes = {Record.status: int(target), Record.version: Record.version + 1, Record.updated_at: now}
        if verb == "submit":
            changes[Record.submitted_at] = now
        if verb in ("approve", "return", "withdraw"):
            changes[Record.reviewed_by] = user.id
            changes[Record.reviewed_at] = now
        if verb == "return" or verb == "withdraw":
            changes[Record.return_reason] = reason
        if verb == "approve":
            changes[Record.return_reason] = ""
        n = Record.update(changes).where((Record.id == record.id) & (Record.status == int(current))).execute()
        if n != 1:
            raise TransitionError("记录状态已被他人更改，请刷新后重试。")
        trail.record(user, f"record.{verb}", "record", record.id,
                     before={"status": current.label}, after={"status": target.label, **({"reason": reason} if reason else {})})
    return Record.get_by_id(record.id)


def submit(user, record, check=None):
    """提交审核; check(record) may raise TransitionError listing what is missing."""
    return _apply(user, record, "submit", check=check)


def approve(user, record):
    return _apply(user, record, "approve")


def return_(user, record, reason):
    if not (reason or "").strip():
        raise TransitionError("退回时必须填写退回原因。", 400)
    return _apply(user, record, "return", reason.strip())


def withdraw(user, record, reason):
    if not (reason or "").strip():
        raise TransitionError("撤回审核时必须填写原因。", 400)
    return _apply(user, record, "withdraw", reason.strip())

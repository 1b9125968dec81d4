"""Routes of the review (load → check → act → render).

Errors follow webapp/errors.py: a refused decision answers the decision fragment with the
reason and the typed text (422: reason missing or too long; 409: the state changed meanwhile),
which htmx swaps in place; a decision this user may not take is a 403 in the message box.
"""
from flask import abort, flash, g, make_response, render_template, request, url_for

from .. import htmx, inputs
from ..inspection.models import Record, Status
from ..org.models import Role
from ..scope import load
from ..security import roles_required
from ..inspection import workflow
from . import bp
from . import queue as rq

def _record(record_id):
    return load(Record, record_id, g.user)


def _decision_context(record, error=None, reason=""):
    return dict(record=record, error=error, reason=reason, reason_max=workflow.REASON_MAX, verbs={v: workflow.allowed(g.user, record, v) for v in workflow.VERBS},
                self_inspected=g.user.id in workflow.inspector_user_ids(record), withdrawal=rq.last_withdrawal(record),
                awaiting=workflow.awaiting_review(record), approved=workflow.is_approved(record))


def _page(record, status=200, **extra):
    """The review page, or its decision fragment alone for htmx."""
    ctx = dict(_decision_context(record, **extra), view=rq.record_view(record))
    return make_response(htmx.render("review/record.html", "review/_decision.html", **ctx), status)


@bp.route("/")
@roles_required(Role.REVIEWER)
def queue():
    """待审核: submitted records this reviewer may decide, with filters and bulk approval."""
    filters = rq.Filters.from_args(request.args)
    q = rq.build_queue(g.user, filters)
    return htmx.render("review/queue.html", "review/_queue.html", q=q, f=filters)


@bp.route("/bulk-approve", methods=["POST"])
@roles_required(Role.REVIEWER)
def bulk_approve():
    """Approve the ticked clean records, each in its own audited transaction."""
    ids = inputs.to_ids(request.form.getlist("record"))
    if not ids:
        flash("请先勾选要批量通过的记录。", "error")
    else:
        done, refused = workflow.bulk_approve(g.user, ids)
        if done:
            flash(f"已批量审核通过 {len(done)} 条记录。", "success")
        for rec, why in refused:
            name = rec.institution.name if isinstance(rec, Record) else f"记录 {rec}"
            flash(f"{name}：{why}", "error")
    return htmx.redirect(url_for(".queue", **{k: v for k, v in request.args.items() if k in ("plan", "area", "inspector", "age")}))


@bp.route("/records/<int:record_id>")
def record(record_id):
    """The whole record: failures and handling first, evidence inline; the decision buttons."""
    rec = _record(record_id)
    return render_template("review/record.html", **_decision_context(rec), view=rq.record_view(rec))


@bp.route("/records/<int:record_id>/<any(approve, return, withdraw):verb>", methods=["POST"])
def decide(record_id, verb):
    """审核通过 / 退回 / 撤回审核 (htmx or plain POST)."""
    rec = _record(record_id)
    reason = request.form.get("reason", "")
    try:
        rec = workflow.apply(g.user, rec, verb, reason=reason)
    except workflow.TransitionError as e:
        if e.code not in (409, 422):
            abort(e.code, e.message)
        return _page(Record.get_by_id(rec.id), e.code, error=e, reason=reason)
    flash(DONE_MESSAGES[verb], "success")
    if verb == "approve" and g.user.has_role(Role.REVIEWER) and request.form.get("next") == "queue":
        return htmx.redirect(url_for(".queue"))
    return htmx.redirect(url_for(".record", record_id=rec.id))


DONE_MESSAGES = {
    "approve": "已审核通过，记录已锁定。",
    "return": "已退回，退回原因已显示给检查人员。",
    "withdraw": "已撤回审核，记录回到待审核状态。",
}


@bp.app_template_filter("record_status")
def _record_status(value):
    return Status(value).label


# Templates ask the workflow about a record's state instead of comparing status numbers.
@bp.app_template_global("record_editable")
def _record_editable(record):
    return workflow.is_editable(record)


@bp.app_template_global("record_locked")
def _record_locked(record):
    return not workflow.is_editable(record)

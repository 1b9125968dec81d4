"""Routes of the review (load → check → act → render).

htmx and 4xx: htmx 2 does not swap 4xx responses. A refused decision (400: reason missing,
403, 409: the state changed meanwhile) still returns the decision fragment with the reason and
the typed text, marked by the X-Review-Fragment header; static/js/review.js swaps exactly those.
"""
from flask import abort, flash, g, make_response, render_template, request, url_for

from .. import htmx, inputs
from ..audit import trail
from ..inspection.models import Record, Status
from ..org.models import Role
from ..security import roles_required
from . import bp, workflow
from . import queue as rq

FRAGMENT_HEADER = "X-Review-Fragment"


def _record(record_id):
    """The record if the user's area covers it (404 otherwise: its existence is not disclosed)."""
    record = Record.get_or_none(Record.id == record_id)
    if record is None or not workflow.can_see(g.user, record):
        abort(404)
    return record


def _decision_context(record, error=None, reason=""):
    return dict(record=record, error=error, reason=reason, verbs={v: workflow.allowed(g.user, record, v) for v in workflow.VERBS},
                self_inspected=g.user.id in workflow.inspector_user_ids(record), withdrawal=rq.last_withdrawal(record))


def _page(record, status=200, **extra):
    """The review page, or its decision fragment alone for htmx."""
    ctx = dict(_decision_context(record, **extra), view=rq.record_view(record))
    resp = make_response(htmx.render("review/record.html", "review/_decision.html", **ctx), status)
    if status >= 400:
        resp.headers[FRAGMENT_HEADER] = "1"
    return resp


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


@bp.route("/records/<int:record_id>/history")
def history(record_id):
    """Every audited change of one record, oldest first."""
    rec = _record(record_id)
    entries = list(trail.record_history(rec.id))
    return render_template("review/history.html", record=rec, entries=entries, labels=ACTION_LABELS,
                           decoded=trail.decoded, plan_title=rq.plan_titles().get(rec.plan_id, rec.plan_id))


ACTION_LABELS = {
    "record.submit": "提交审核", "record.approve": "审核通过", "record.return": "退回", "record.withdraw": "撤回审核",
}


@bp.app_template_filter("record_status")
def _record_status(value):
    return Status(value).label


# The review's own write endpoints, in the shape of inspection.views.WRITE_ENDPOINTS: how to
# build a request for a record. tests/test_locking.py posts them to locked records.
def _decide_req(verb):
    def build(record):
        return f"/review/records/{record.id}/{verb}", {"reason": "测试原因"}

    return build


WRITE_ENDPOINTS = [("review.decide", _decide_req(v)) for v in ("approve", "return", "withdraw")]

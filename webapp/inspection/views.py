"""Routes of the inspection walk-through (load → check → act → render).

Errors follow the one convention of webapp/errors.py: a failed answer save answers the item
fragment with the reason and the user's input (422: a required field; 409: someone else saved
first), which htmx swaps in place; a locked record is a bare 409 shown in the message box.
"""
import datetime

from flask import abort, flash, g, make_response, redirect, render_template, request, url_for

from .. import downloads, htmx
from ..errors import render_error
from ..draw.models import Task, TaskInspector
from ..org.models import Role
from ..plans.catalog import plan_for
from ..registers.models import Inspector, Institution
from ..registers import panels
from ..scope import load
from ..security import require, roles_required
from . import bp, services, workflow
from .models import Evidence, Record, Result, Status, Visit, VisitInspector
from ..errors import Invalid
from .services import Checklist, Conflict

def _record(record_id):
    return load(Record, record_id, g.user)


def _editable(record):
    """Every write path: a locked record is 409 (workflow), then only its inspectors or admin."""
    workflow.ensure_editable(record)
    require(workflow.can_edit(g.user, record))


@bp.errorhandler(services.Locked)
def _locked(e):
    """The record was submitted or approved while this write waited (found under the row lock):
    the same 409 and message as the early check in _editable."""
    return render_error(409, e.message)


def _task(task_id):
    """The task if it exists for the user: in their area, and not of a draw still pending (its
    tasks reach the inspectors once the draw is confirmed)."""
    task = load(Task, task_id, g.user)
    if not task.is_released:
        abort(404)
    return task


def _assigned(user, task):
    rows = TaskInspector.select().join(Inspector).where((TaskInspector.task == task.id) & (Inspector.user == user.id))
    return user.has_role(Role.ADMIN) or rows.exists()


def _fragment(template, status=200, **ctx):
    return make_response(render_template(template, **ctx), status)


# ---- tasks -------------------------------------------------------------------------------------


@bp.route("/tasks")
@roles_required(Role.INSPECTOR, Role.ADMIN)
def tasks():
    """我的任务: assigned tasks and ad-hoc checks, soonest deadline first."""
    return render_template("inspection/tasks.html", rows=services.tasks_for(g.user), Status=Status)


@bp.route("/adhoc", methods=["GET", "POST"])
@roles_required(Role.INSPECTOR)
def adhoc():
    """临时检查: pick any unit of the area and a plan that covers it."""
    errors = {}
    inst = Institution.get_or_none(Institution.id == services._int(request.values.get("institution"), 0))
    if inst is not None and not inst.area.is_within(g.user.area):
        inst = None
    if request.method == "POST":
        try:
            task = services.start_adhoc(g.user, inst, request.form.get("plan"))
            return redirect(url_for(".start", task_id=task.id), 303)
        except Invalid as e:
            errors = e.errors
    q = (request.args.get("q") or "").strip()
    return render_template("inspection/adhoc.html", q=q, institution=inst, errors=errors,
                           candidates=services.adhoc_candidates(g.user, q) if inst is None else [],
                           plans=services.plans_for(inst) if inst is not None else []), 422 if errors else 200


@bp.route("/tasks/<int:task_id>/start", methods=["GET", "POST"])
@roles_required(Role.INSPECTOR, Role.ADMIN)
def start(task_id):
    """Record the visit (date, place, inspectors, representative) and open the checklist."""
    task = _task(task_id)
    require(_assigned(g.user, task))
    existing = Record.get_or_none(Record.task == task.id)
    if existing is not None:
        return redirect(url_for(".record", record_id=existing.id), 303)
    errors, form = {}, request.form
    if request.method == "POST":
        try:
            record = services.start_record(g.user, task, request.form)
            return redirect(url_for(".record", record_id=record.id), 303)
        except Invalid as e:
            errors = e.errors
    return render_template("inspection/start.html", task=task, plan=plan_for(task), errors=errors, form=form,
                           today=datetime.date.today().isoformat(), limits=services.TEXT_MAX,
                           choices=services.inspector_choices(g.user, task),
                           preset={r.inspector_id for r in task.inspector_rows} | _own_inspector_ids()), 422 if errors else 200


def _own_inspector_ids():
    mine = services.my_inspector(g.user)
    return {mine.id} if mine else set()


# ---- the checklist -----------------------------------------------------------------------------


def _page_context(record, cl):
    return dict(record=record, cl=cl, editable=workflow.can_edit(g.user, record), services=services,
                rec_url=url_for("inspection.record", record_id=record.id),
                Result=Result, dom_id=services.dom_id, inspectors=_visit_inspectors(record))


def _visit_inspectors(record):
    return [r.inspector for r in VisitInspector.select().where(VisitInspector.visit == record.visit_id).order_by(VisitInspector.position)]


@bp.route("/records/<int:record_id>")
def record(record_id):
    """Overview: the visit, every section's progress, what is missing, handling, 提交审核."""
    record = _record(record_id)
    cl = Checklist.load(record)
    return render_template("inspection/record.html", **_page_context(record, cl), submit_error=None,
                           can_submit=workflow.allowed(g.user, record, "submit"))


@bp.route("/records/<int:record_id>/sections/<section_key>")
def section(record_id, section_key):
    """One section's items, each answered on change."""
    record = _record(record_id)
    cl = Checklist.load(record)
    sec = cl.section(section_key) or abort(404)
    return render_template("inspection/section.html", **_page_context(record, cl), sec=sec, overrides={})


@bp.route("/records/<int:record_id>/items/<item_key>")
def item(record_id, item_key):
    """One item as stored (the "保留对方的" choice after a conflict reloads it)."""
    record = _record(record_id)
    cl = Checklist.load(record)
    it = cl.item(item_key) or abort(404)
    if not htmx.is_partial():
        return redirect(url_for(".section", record_id=record.id, section_key=cl.section_of(item_key).key)
                        + "#" + services.dom_id(item_key), 303)
    return _fragment("inspection/_item.html", **_page_context(record, cl), item=it)


@bp.route("/records/<int:record_id>/items/<item_key>", methods=["POST"])
def answer(record_id, item_key):
    """Save one answer: the item comes back (and the section's progress out of band)."""
    record = _record(record_id)
    _editable(record)
    cl = Checklist.load(record)
    it = cl.item(item_key) or abort(404)
    try:
        services.save_answer(g.user, record, item_key, request.form)
    except Invalid as e:
        return _item_response(record, cl, it, 422, form=request.form, errors=e.errors)
    except Conflict as c:
        return _item_response(record, cl, it, 409, form=request.form, theirs=c.theirs or "gone")
    cl.refresh(item_key)
    if not htmx.is_partial():
        return redirect(url_for(".section", record_id=record.id, section_key=cl.section_of(item_key).key)
                        + "#" + services.dom_id(item_key), 303)
    return _fragment("inspection/_answer_response.html", **_page_context(record, cl), item=it,
                     sec=cl.section_of(item_key), saved=True)


def _item_response(record, cl, it, status, **state):
    """The item with the user's input kept and the reason shown: a fragment or the whole page."""
    ctx = _page_context(record, cl)
    if htmx.is_partial():
        return _fragment("inspection/_item.html", status, **ctx, item=it, **state)
    return make_response(render_template("inspection/section.html", **ctx, sec=cl.section_of(it.key),
                                         overrides={it.key: state}), status)


@bp.route("/records/<int:record_id>/items/<item_key>/evidence", methods=["POST"])
def evidence_add(record_id, item_key):
    """Attach a photo or PDF to an item."""
    record = _record(record_id)
    _editable(record)
    it = Checklist.load(record).item(item_key) or abort(404)
    status, state = 200, {}
    try:
        services.add_evidence(g.user, record, item_key, request.files.get("file"))
    except Invalid as e:
        status, state = 422, {"evidence_error": e.errors["evidence"]}
    cl = Checklist.load(record)
    if status == 200 and not htmx.is_partial():
        return redirect(url_for(".section", record_id=record.id, section_key=cl.section_of(item_key).key)
                        + "#" + services.dom_id(item_key), 303)
    return _item_response(record, cl, it, status, **state)


@bp.route("/records/<int:record_id>/evidence/<int:evidence_id>/remove", methods=["POST"])
def evidence_remove(record_id, evidence_id):
    """Detach a file from its item."""
    record = _record(record_id)
    _editable(record)
    ev = Evidence.get_or_none((Evidence.id == evidence_id) & (Evidence.record == record.id)) or abort(404)
    services.remove_evidence(g.user, record, ev)
    cl = Checklist.load(record)
    it = cl.item(ev.item_key)
    if it is None or not htmx.is_partial():
        sec = cl.section_of(ev.item_key)
        return redirect(url_for(".section", record_id=record.id, section_key=sec.key) if sec else url_for(".record", record_id=record.id), 303)
    return _fragment("inspection/_item.html", **_page_context(record, cl), item=it)


@bp.route("/evidence/<int:evidence_id>")
def evidence_file(evidence_id):
    """The stored file, to those who may see its record."""
    ev = Evidence.get_or_none(Evidence.id == evidence_id) or abort(404)
    _record(ev.record_id)
    return downloads.send_stored(ev.sha256, ev.filename, ev.mime)


# ---- handling and submitting -------------------------------------------------------------------


@bp.route("/records/<int:record_id>/handling", methods=["GET", "POST"])
def handling(record_id):
    """处理: the decision for a record with failed items."""
    record = _record(record_id)
    cl = Checklist.load(record)
    ctx = dict(_page_context(record, cl), form=None, errors={}, theirs=None)
    if request.method == "POST":
        _editable(record)
        try:
            services.save_handling(g.user, record, cl.plan, request.form)
            flash("处理决定已保存。", "success")
            return htmx.redirect(url_for(".record", record_id=record.id))
        except Invalid as e:
            ctx.update(form=request.form, errors=e.errors)
            status = 422
        except Conflict as c:
            ctx.update(form=request.form, theirs=c.theirs or "gone")
            status = 409
        return htmx.render("inspection/handling.html", "inspection/_handling.html", **ctx), status
    return htmx.render("inspection/handling.html", "inspection/_handling.html", **ctx)


@bp.route("/records/<int:record_id>/submit", methods=["POST"])
def submit(record_id):
    """提交审核 (only when nothing is missing: otherwise the overview lists what is)."""
    record = _record(record_id)
    workflow.ensure_editable(record)
    try:
        services.submit(g.user, record)
    except workflow.TransitionError as e:
        cl = Checklist.load(record)
        return render_template("inspection/record.html", **_page_context(record, cl), submit_error=e.message,
                               can_submit=workflow.allowed(g.user, record, "submit")), e.code
    flash("已提交审核。审核期间记录锁定，不能修改。", "success")
    return htmx.redirect(url_for(".record", record_id=record.id))


@panels.panel(order=10)
def _institution_records(inst, user):
    """The unit's inspection records, newest first, on its register page."""
    records = list(Record.select(Record, Visit).join(Visit).where(Record.institution == inst.id)
                   .order_by(Visit.date.desc(), Record.id.desc()))
    return render_template("inspection/_institution_records.html", records=records)


@bp.app_template_global("my_inspector")
def _my_inspector(user):
    """The signed-in user's entry in the inspectors register (or None), for the pages that ask."""
    return services.my_inspector(user)

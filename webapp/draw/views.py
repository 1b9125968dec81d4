"""Draw pages (load → check → act → render): run, review, confirm, verify, print, swap."""

from flask import abort, flash, g, render_template, request, url_for
from peewee import fn

from .. import downloads, htmx, inputs
from ..errors import too_long
from ..org.models import Area, Role
from ..plans.catalog import catalog, plan_for
from ..registers import panels
from ..scope import areas_of, can_see_area, load, visible
from ..security import roles_required
from . import bp, services
from .models import Draw, InspectorSwap, Task


def _draw(draw_id):
    return load(Draw, draw_id, g.user)


def _index(form=None, errors=None, status=200):
    plans = [p for p in catalog().plans.values() if p.kind == "random"]
    plans.sort(key=lambda p: (-p.year, p.id))
    draws = list(visible(Draw.select(Draw, Area).join(Area), Draw.area, g.user).order_by(Draw.id.desc()).limit(100))
    titles = {p.id: p.title for p in catalog().plans.values()}
    counts = dict(Task.select(Task.draw, fn.COUNT(Task.id)).where(Task.draw.in_([d.id for d in draws] or [0])).group_by(Task.draw).tuples())
    areas = areas_of(g.user)
    return render_template("draw/index.html", plans=plans, draws=draws, titles=titles, counts=counts, areas=areas,
                           form=form or {"area": g.user.area.code}, errors=errors or {},
                           witnesses_max=Draw.witnesses.max_length), status


@bp.route("/")
@roles_required(Role.ADMIN)
def index():
    """The draws of the user's areas and the form to make a new one."""
    return _index()


@bp.route("/run", methods=["POST"])
@roles_required(Role.ADMIN)
def run():
    """Run a draw; the result waits for confirmation on its own page."""
    form = {k: request.form.get(k, "").strip() for k in ("plan", "area", "seed", "witnesses")}
    errors = {}
    plan = catalog().get(form["plan"])
    if plan is None or plan.kind != "random":
        errors["plan"] = "请选择随机抽查计划"
    area = Area.get_or_none(Area.code == form["area"])
    if area is None or not can_see_area(g.user, area):
        errors["area"] = "请选择您辖区内的地区"
    seed = inputs.to_int(form["seed"], hi=10**15 - 1)
    if form["seed"] and seed is None:
        errors["seed"] = "随机种子应为不超过15位的非负整数，或留空由系统生成"
    if not form["witnesses"]:
        errors["witnesses"] = "请填写监督见证人"
    elif too_long("监督见证人", form["witnesses"], Draw.witnesses.max_length):
        errors["witnesses"] = too_long("监督见证人", form["witnesses"], Draw.witnesses.max_length)
    if not errors:
        try:
            draw = services.run_draw(plan, area, g.user, seed=seed, witnesses=form["witnesses"])
            return htmx.redirect(url_for("draw.detail", draw_id=draw.id))
        except services.DrawError as e:
            errors["form"] = str(e)
    return _index(form, errors, 422)


def _detail_ctx(draw, **extra):
    plan = plan_for(draw)
    rows = services.draw_rows(draw, plan)
    ctx = dict(draw=draw, plan=plan, rows=rows, summary=services.summary(draw, plan, rows), cap=services.swap_cap(draw),
               used=services.swaps_used(draw), verify=None)
    ctx.update(extra)
    return ctx


@bp.route("/<int:draw_id>")
@roles_required(Role.ADMIN)
def detail(draw_id):
    """A draw: how it was made (seed, hashes, people) and its list of units and inspectors."""
    return render_template("draw/detail.html", **_detail_ctx(_draw(draw_id)))


@bp.route("/<int:draw_id>/confirm", methods=["POST"])
@roles_required(Role.ADMIN)
def confirm(draw_id):
    """Confirm the result: from now on the draw never changes (swaps are recorded apart)."""
    draw = _draw(draw_id)
    try:
        services.confirm(draw, g.user)
        flash("抽取结果已确认，检查任务已下达。", "success")
    except services.DrawError as e:
        flash(str(e), "error")
    return htmx.redirect(url_for("draw.detail", draw_id=draw.id))


@bp.route("/<int:draw_id>/discard", methods=["POST"])
@roles_required(Role.ADMIN)
def discard(draw_id):
    """Throw away an unconfirmed draw (its run stays in the audit trail)."""
    draw = _draw(draw_id)
    try:
        services.discard(draw, g.user)
        flash("未确认的抽取已作废。", "success")
        return htmx.redirect(url_for("draw.index"))
    except services.DrawError as e:
        flash(str(e), "error")
        return htmx.redirect(url_for("draw.detail", draw_id=draw.id))


@bp.route("/<int:draw_id>/verify", methods=["POST"])
@roles_required(Role.ADMIN)
def verify(draw_id):
    """Re-run the draw from its seed and snapshot and compare."""
    draw = _draw(draw_id)
    ok, lines = services.verify(draw)
    result = {"ok": ok, "lines": lines, "changed": services.register_changed(draw) if ok else None}
    if htmx.is_partial():
        return render_template("draw/_verify.html", verify=result)
    return render_template("draw/detail.html", **_detail_ctx(draw, verify=result))


@bp.route("/<int:draw_id>/record.pdf")
@roles_required(Role.ADMIN)
def record_pdf(draw_id):
    """The printable 抽取记录."""
    from ..printing import render_pdf

    draw = _draw(draw_id)
    pdf = render_pdf("print/draw_record.html", **services.record_context(draw, plan_for(draw)))
    return downloads.send(pdf, f"抽取记录-{draw.id}.pdf", downloads.PDF, inline=True, fallback=f"draw-{draw.id}.pdf")


@bp.route("/<int:draw_id>/tasks.xlsx")
@roles_required(Role.ADMIN)
def tasks_xlsx(draw_id):
    """The task list as a workbook."""
    draw = _draw(draw_id)
    return downloads.send(services.task_workbook(draw, plan_for(draw)), f"检查任务清单-{draw.id}.xlsx", downloads.XLSX,
                          fallback=f"tasks-{draw.id}.xlsx")


def _swap_form(task, form, errors, status=200):
    ctx = dict(task=task, draw=task.draw, team=[r.inspector for r in task.inspector_rows], candidates=services.swap_candidates(task),
               form=form, errors=errors, cap=services.swap_cap(task.draw), used=services.swaps_used(task.draw),
               reason_max=InspectorSwap.reason.max_length)
    return htmx.render("draw/swap.html", "draw/_swap.html", **ctx), status


@bp.route("/tasks/<int:task_id>/swap", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def swap(task_id):
    """Replace one inspector of a confirmed draw's task, with a reason (capped)."""
    task = Task.get_or_none(Task.id == task_id) or abort(404)
    draw = _draw(task.draw_id)
    if request.method == "GET":
        return _swap_form(task, {}, {})
    form = {k: request.form.get(k, "") for k in ("old", "new", "reason")}
    errors = services.swap(task, request.form.get("old", type=int), form["new"], form["reason"], g.user)
    if errors:
        return _swap_form(task, form, errors, 422)
    flash("已调换执法人员，调换已记录。", "success")
    return htmx.redirect(url_for("draw.detail", draw_id=draw.id))


@panels.panel(order=20)
def _institution_tasks(inst, user):
    """The unit's drawn tasks on its register page; a pending draw's tasks only for the admin who
    confirms it (for the others they do not exist yet)."""
    tasks = Task.select().where(Task.institution == inst.id)
    if not user.has_role(Role.ADMIN):
        tasks = tasks.where(Task.released())
    return render_template("draw/_institution_tasks.html", tasks=list(tasks.order_by(Task.id.desc()).limit(50)))

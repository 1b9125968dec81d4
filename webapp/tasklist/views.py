"""Import pages (load → check → act → render): upload, column mapping, matching and
resolution row by row, the all-or-nothing confirmation, the result."""
from flask import abort, flash, g, render_template, request, url_for

from .. import downloads, htmx
from ..errors import Invalid
from ..org.models import Area, Role
from ..registers.services import kind_names
from ..scope import can_see_area
from ..security import require, roles_required
from . import bp, example, services
from .matching import FIELD_LABELS

def _batch(batch_id):
    return services.get_batch(batch_id, g.user) or abort(404)


def _index(form=None, errors=None, status=200, message=""):
    areas = services.areas_for(g.user)
    default_area = next((a for a in areas if a.level >= 3), areas[0] if areas else None)
    return render_template("tasklist/index.html", plans=services.import_plans(), areas=areas, batches=services.batches_for(g.user),
                           form=form or {"area": str(default_area.id) if default_area else ""}, errors=errors or {},
                           message=message, example_area=default_area), status


@bp.route("/")
@roles_required(Role.ADMIN)
def index():
    """The upload form and the imports of the user's areas."""
    return _index()


@bp.route("/", methods=["POST"])
@roles_required(Role.ADMIN)
def upload():
    """Store the file and open its import: to the mapping, or straight to matching when pre-mapped."""
    form = {k: request.form.get(k, "").strip() for k in ("plan", "area", "source")}
    try:
        batch, note = services.start(g.user, form, request.files.get("file"))
    except Invalid as e:
        return _index(form, e.errors, 422)
    except services.AlreadyImported as e:
        return _index(form, {}, 200, message=str(e))
    if note:
        flash(note, "info")
    target = "tasklist.batch" if batch.mapping else "tasklist.mapping"
    return htmx.redirect(url_for(target, batch_id=batch.id))


@bp.route("/example.xlsx")
@roles_required(Role.ADMIN)
def example_file():
    """示例文件: a list made from the chosen area's register (with two rows to resolve)."""
    area = Area.get_or_none(Area.id == request.args.get("area", type=int)) or abort(404)
    require(can_see_area(g.user, area))
    plan = services.catalog().get(request.args.get("plan", "")) or example.best_plan(services.import_plans(), area) or abort(404)
    return downloads.send(example.workbook(plan, area), downloads.file_name("示例任务清单", area.name, ext="xlsx"), downloads.XLSX,
                          fallback=f"example-tasks-{area.code}.xlsx")


@bp.route("/<int:batch_id>/mapping", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def mapping(batch_id):
    """Which column of the file is which field; saved for the source on success."""
    batch = _batch(batch_id)
    if batch.done:
        return htmx.redirect(url_for("tasklist.batch", batch_id=batch.id))
    errors, form = {}, None
    if request.method == "POST":
        form = request.form.to_dict()
        try:
            services.save_mapping(batch, request.form, g.user)
            return htmx.redirect(url_for("tasklist.batch", batch_id=batch.id))
        except Invalid as e:
            errors = e.errors
    try:
        ctx = services.mapping_context(batch, form)
        preview = services.mapped_preview(batch, ctx["current"])
    except Invalid as e:
        return _unusable(batch, e)
    return render_template("tasklist/mapping.html", batch=batch, errors=errors, labels=FIELD_LABELS,
                           preview=preview, **ctx), 422 if errors else 200


@bp.route("/<int:batch_id>/mapping/preview", methods=["POST"])
@roles_required(Role.ADMIN)
def mapping_preview(batch_id):
    """The first rows as the chosen mapping reads them (htmx, on every change)."""
    batch = _batch(batch_id)
    try:
        preview = services.mapped_preview(batch, request.form)
    except Invalid as e:
        return _unusable(batch, e)
    return render_template("tasklist/_mapping_preview.html", labels=FIELD_LABELS, fields=services.matching.FIELDS, preview=preview)


def _unusable(batch, e):
    """The stored file or the plan is gone: say why on the upload page instead of failing."""
    flash(f"导入第 {batch.id} 号无法继续：{'；'.join(e.errors.values())}", "error")
    return htmx.redirect(url_for("tasklist.index"))


def _page(batch, status=200, **extra):
    try:
        return _render_page(batch, status, **extra)
    except Invalid as e:
        return _unusable(batch, e)


def _render_page(batch, status=200, **extra):
    if batch.done:
        return htmx.render("tasklist/batch.html", "tasklist/_result.html", batch=batch, **services.result_context(batch), **extra), status
    if not batch.mapping:
        return htmx.redirect(url_for("tasklist.mapping", batch_id=batch.id))
    ctx = services.preview_context(batch)
    ctx.update(extra)
    ctx.setdefault("errors", {})
    return htmx.render("tasklist/batch.html", "tasklist/_matching.html", batch=batch, areas=services.areas_within(batch.area),
                       kinds=kind_names(), **ctx), status


@bp.route("/<int:batch_id>")
@roles_required(Role.ADMIN)
def batch(batch_id):
    """The matching preview with what is left to resolve, or the result once imported."""
    return _page(_batch(batch_id))


@bp.route("/<int:batch_id>/rows/<int:number>", methods=["POST"])
@roles_required(Role.ADMIN)
def resolve(batch_id, number):
    """Link, create, skip or correct one row; htmx gets the matching fragment back."""
    b = _batch(batch_id)
    try:
        services.resolve(b, number, request.form, g.user)
    except Invalid as e:
        return _page(b, 422, errors=e.errors, err_row=number, typed=request.form)
    if htmx.is_partial():
        return _page(b)
    return htmx.redirect(url_for("tasklist.batch", batch_id=b.id) + f"#row-{number}")


@bp.route("/<int:batch_id>/rows/<int:number>/search")
@roles_required(Role.ADMIN)
def search(batch_id, number):
    """Units of the area by name or credit code, to link the row to (active search)."""
    b = _batch(batch_id)
    q = request.args.get("q", "")
    found = services.search_institutions(b, q)
    if htmx.is_partial():
        return render_template("tasklist/_candidates.html", batch=b, number=number, institutions=found, q=q, searched=True)
    return _page(b, search_row=number, search_q=q, search_institutions=found)


@bp.route("/<int:batch_id>/confirm", methods=["POST"])
@roles_required(Role.ADMIN)
def confirm(batch_id):
    """Write the draw and its tasks (all or nothing)."""
    b = _batch(batch_id)
    try:
        draw = services.confirm(b, g.user)
    except services.AlreadyImported as e:
        flash(str(e), "info")
        return htmx.redirect(url_for("tasklist.batch", batch_id=b.id))
    except Invalid as e:
        return _page(b, 422, errors=e.errors)
    flash(f"导入完成：{draw.tasks.count()} 项任务已下发到执法人员（抽取记录第 {draw.id} 号）。", "success")
    return htmx.redirect(url_for("tasklist.batch", batch_id=b.id))


@bp.route("/<int:batch_id>/discard", methods=["POST"])
@roles_required(Role.ADMIN)
def discard(batch_id):
    """Drop a pending import (nothing else was written)."""
    b = _batch(batch_id)
    try:
        services.discard(b, g.user)
    except Invalid as e:
        flash(e.errors["discard"], "error")
        return htmx.redirect(url_for("tasklist.batch", batch_id=b.id))
    flash("已放弃该清单的导入，未写入任何任务。", "info")
    return htmx.redirect(url_for("tasklist.index"))

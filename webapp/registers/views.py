"""Register pages (load → check → act → render); the `registry` CLI group is commands.py."""
from flask import abort, flash, g, render_template, request, url_for
from peewee import JOIN

from .. import downloads, htmx, inputs, uploads
from ..errors import Invalid
from ..org.models import Area, Role, Unit
from ..scope import areas_of, load, visible
from ..security import require, roles_required
from . import bp, panels, services
from .models import Inspector, Institution, Recusal

VIEWERS = (Role.ADMIN, Role.REVIEWER, Role.INSPECTOR)
PAGE_SIZE = 50


def _xlsx(data, filename, fallback):
    return downloads.send(data, filename, downloads.XLSX, fallback=fallback)


def _areas():
    return areas_of(g.user)


def _is_admin():
    return g.user.has_role(Role.ADMIN)


def _institution(inst_id):
    return load(Institution, inst_id, g.user)


# ------------------------------------------------------------------------------------------------
# Institutions
# ------------------------------------------------------------------------------------------------


@bp.route("/institutions")
@roles_required(*VIEWERS)
def institutions():
    """The register, searched and filtered; htmx gets the results fragment alone."""
    f = {k: request.args.get(k, "").strip() for k in ("q", "kind", "area", "status")}
    page = inputs.parse_page(request.args.get("page"))
    query = services.institutions_query(g.user, **f)
    total = query.count()
    rows = list(query.paginate(page, PAGE_SIZE))
    lists = services.lists_for([i.id for i in rows])
    return htmx.render("registers/institutions.html", "registers/_institution_results.html", rows=rows, lists=lists,
                       total=total, page_no=page, pages=(total + PAGE_SIZE - 1) // PAGE_SIZE, f=f, areas=_areas(),
                       kinds=services.kind_names(), statuses=services.STATUSES, is_admin=_is_admin())


@bp.route("/institutions/<int:inst_id>")
@roles_required(*VIEWERS)
def institution(inst_id):
    """One unit with its categories, services, 回避 declarations and what the features built on the
    register show of it (its records, its tasks: registered panels)."""
    inst = _institution(inst_id)
    return render_template("registers/institution.html", inst=inst, panels=panels.render(inst, g.user),
                           kinds=services.kind_names(), services=services.service_names(), is_admin=_is_admin())


def _form_data():
    return {"name": request.form.get("name", ""), "credit_code": request.form.get("credit_code", ""),
            "license_no": request.form.get("license_no", ""), "kinds": request.form.getlist("kinds"),
            "area": request.form.get("area", ""), "address": request.form.get("address", ""),
            "legal_rep": request.form.get("legal_rep", ""), "phone": request.form.get("phone", ""),
            "services": request.form.getlist("services"), "status": request.form.get("status", "在业")}


def _render_form(data, errors, inst=None, version=None, status=200):
    return render_template("registers/institution_form.html", data=data, errors=errors, inst=inst, version=version,
                           areas=_areas(), kinds=services.kind_names(), services=services.service_names(),
                           statuses=services.STATUSES, limits=services.MAX_LEN), status


@bp.route("/institutions/new", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def institution_new():
    """Add a unit to the register."""
    if request.method == "GET":
        return _render_form({"kinds": [], "services": [], "status": "在业", "area": g.user.area.code}, {})
    data = _form_data()
    clean, errors = services.check_institution(data, user=g.user)
    if errors:
        return _render_form(data, errors, status=422)
    try:
        inst = services.create_institution(clean, g.user)
    except Invalid as e:
        return _render_form(data, e.errors, status=422)
    flash(f"已添加“{inst.name}”。", "success")
    return htmx.redirect(url_for("registers.institution", inst_id=inst.id))


@bp.route("/institutions/<int:inst_id>/edit", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def institution_edit(inst_id):
    """Edit a unit; a change made meanwhile by someone else is detected by its version."""
    inst = _institution(inst_id)
    if request.method == "GET":
        data = {"name": inst.name, "credit_code": inst.credit_code, "license_no": inst.license_no, "kinds": inst.kind_keys,
                "area": inst.area.code, "address": inst.address, "legal_rep": inst.legal_rep, "phone": inst.phone,
                "services": inst.service_keys, "status": inst.status}
        return _render_form(data, {}, inst, inst.version)
    data = _form_data()
    version = request.form.get("version", type=int)
    clean, errors = services.check_institution(data, user=g.user, instance_id=inst.id)
    if errors:
        return _render_form(data, errors, inst, version, 422)
    try:
        services.update_institution(inst, clean, version, g.user)
    except Invalid as e:
        return _render_form(data, e.errors, inst, version, 422)
    except services.Conflict:
        errors = {"form": "保存失败：该单位在您编辑期间已被他人修改。您填写的内容仍在下方，请打开最新版本核对后再保存。"}
        return _render_form(data, errors, inst, version, 409)
    flash("已保存。", "success")
    return htmx.redirect(url_for("registers.institution", inst_id=inst.id))


@bp.route("/institutions/check", methods=["POST"])
@roles_required(Role.ADMIN)
def institution_check():
    """Inline check of the 统一社会信用代码 field (the same validator as the final save)."""
    data = _form_data()
    inst_id = request.form.get("inst_id", type=int)
    _, errors = services.check_institution(data, user=g.user, instance_id=inst_id)
    return render_template("registers/_credit_code.html", data=data, errors=errors)


@bp.route("/institutions/template.xlsx")
@roles_required(Role.ADMIN)
def institution_template():
    """The empty import template with the headers."""
    return _xlsx(services.institution_template(), "检查对象名录库导入模板.xlsx", "institutions-template.xlsx")


@bp.route("/institutions/export.xlsx")
@roles_required(*VIEWERS)
def institution_export():
    """The register (the user's areas) as a workbook that can be imported back."""
    return _xlsx(services.institution_export(g.user), "检查对象名录库.xlsx", "institutions.xlsx")


@bp.route("/institutions/import", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def institution_import():
    """Upload a workbook: every row is checked, and all rows are saved or none."""
    if request.method == "GET":
        return render_template("registers/import.html", result=None)
    try:
        upload = uploads.read(request.files.get("file"), "file", uploads.SHEETS)
    except Invalid as e:
        return render_template("registers/import.html", result=None, file_error=e.errors["file"]), 422
    result = services.import_institutions(upload.data, actor=g.user, user=g.user)
    return htmx.render("registers/import.html", "registers/_import_result.html", result=result,
                       filename=upload.name), (200 if result.ok or htmx.is_partial() else 422)


# ------------------------------------------------------------------------------------------------
# Inspectors and 回避
# ------------------------------------------------------------------------------------------------


def _inspector(insp_id):
    return load(Inspector, insp_id, g.user, Inspector.select(Inspector, Unit).join(Unit), Unit.area)


@bp.route("/inspectors")
@roles_required(*VIEWERS)
def inspectors():
    """The inspectors of the user's areas, with their 回避 declarations."""
    from ..org.models import Unit

    from ..org.models import User

    # the linked account is shown per row: join it rather than load it row by row
    rows = list(visible(Inspector.select(Inspector, Unit, Area, User).join(Unit).join(Area)
                        .switch(Inspector).join(User, JOIN.LEFT_OUTER), Unit.area, g.user)
                .order_by(Area.path, Unit.name, Inspector.name))
    counts = {}
    for (iid,) in Recusal.select(Recusal.inspector).where(Recusal.inspector.in_([i.id for i in rows] or [0])).tuples():
        counts[iid] = counts.get(iid, 0) + 1
    return render_template("registers/inspectors.html", rows=rows, counts=counts, is_admin=_is_admin())


def _insp_form(data, errors, insp=None, version=None, status=200, rec_errors=None, rec_data=None):
    recusals = list(Recusal.select().where(Recusal.inspector == insp).order_by(Recusal.id)) if insp else []
    return render_template("registers/inspector_form.html", data=data, errors=errors, insp=insp, version=version,
                           units=services.units_for(g.user), recusals=recusals, rec_errors=rec_errors or {}, rec_max=services.RECUSAL_REASON_MAX,
                           limits=services.INSPECTOR_MAX,
                           rec_data=rec_data or {}, is_admin=_is_admin()), status


def _insp_data():
    return {k: request.form.get(k, "") for k in ("name", "cert_no", "unit", "specialties", "active", "user")}


@bp.route("/inspectors/new", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def inspector_new():
    """Add an inspector to the register."""
    if request.method == "GET":
        return _insp_form({"active": "1"}, {})
    data = _insp_data()
    clean, errors = services.check_inspector(data, user=g.user)
    if errors:
        return _insp_form(data, errors, status=422)
    try:
        insp = services.create_inspector(clean, g.user)
    except Invalid as e:
        return _insp_form(data, e.errors, status=422)
    flash(f"已添加执法人员“{insp.name}”。", "success")
    return htmx.redirect(url_for("registers.inspector", insp_id=insp.id))


@bp.route("/inspectors/<int:insp_id>", methods=["GET", "POST"])
@roles_required(*VIEWERS)
def inspector(insp_id):
    """An inspector: details (editable by admins) and 回避 declarations."""
    insp = _inspector(insp_id)
    if request.method == "GET":
        data = {"name": insp.name, "cert_no": insp.cert_no, "unit": str(insp.unit_id), "specialties": insp.specialties,
                "active": "1" if insp.active else "", "user": insp.user.username if insp.user else ""}
        return _insp_form(data, {}, insp, insp.version)
    require(_is_admin())
    data = _insp_data()
    version = request.form.get("version", type=int)
    clean, errors = services.check_inspector(data, user=g.user, instance_id=insp.id)
    if errors:
        return _insp_form(data, errors, insp, version, 422)
    try:
        services.update_inspector(insp, clean, version, g.user)
    except Invalid as e:
        return _insp_form(data, e.errors, insp, version, 422)
    except services.Conflict:
        return _insp_form(data, {"form": "保存失败：该执法人员信息在您编辑期间已被他人修改，请刷新后核对再保存。"}, insp, version, 409)
    flash("已保存。", "success")
    return htmx.redirect(url_for("registers.inspector", insp_id=insp.id))


@bp.route("/inspectors/<int:insp_id>/recusals", methods=["POST"])
@roles_required(Role.ADMIN)
def recusal_add(insp_id):
    """Declare a conflict of interest (回避) with a unit."""
    insp = _inspector(insp_id)
    rec_data = {"credit_code": request.form.get("credit_code", ""), "reason": request.form.get("reason", "")}
    _, errors = services.declare_recusal(insp, rec_data["credit_code"], rec_data["reason"], g.user, user=g.user)
    recusals = list(Recusal.select().where(Recusal.inspector == insp).order_by(Recusal.id))
    ctx = dict(insp=insp, recusals=recusals, rec_errors=errors, rec_data=rec_data if errors else {}, is_admin=True,
               rec_max=services.RECUSAL_REASON_MAX)
    if htmx.is_partial():
        return render_template("registers/_recusals.html", **ctx), (422 if errors else 200)
    if errors:
        return _insp_form({"name": insp.name, "cert_no": insp.cert_no, "unit": str(insp.unit_id), "specialties": insp.specialties,
                           "active": "1" if insp.active else "", "user": insp.user.username if insp.user else ""},
                          {}, insp, insp.version, 422, errors, rec_data)
    flash("已登记回避。", "success")
    return htmx.redirect(url_for("registers.inspector", insp_id=insp.id))


@bp.route("/inspectors/<int:insp_id>/recusals/<int:rec_id>/delete", methods=["POST"])
@roles_required(Role.ADMIN)
def recusal_delete(insp_id, rec_id):
    """Withdraw a 回避 declaration."""
    insp = _inspector(insp_id)
    rec = Recusal.get_or_none((Recusal.id == rec_id) & (Recusal.inspector == insp)) or abort(404)
    services.withdraw_recusal(rec, g.user)
    if htmx.is_partial():
        recusals = list(Recusal.select().where(Recusal.inspector == insp).order_by(Recusal.id))
        return render_template("registers/_recusals.html", insp=insp, recusals=recusals, rec_errors={}, rec_data={}, is_admin=True,
                               rec_max=services.RECUSAL_REASON_MAX)
    flash("已撤销回避。", "success")
    return htmx.redirect(url_for("registers.inspector", insp_id=insp.id))


@bp.route("/inspectors/export.xlsx")
@roles_required(*VIEWERS)
def inspector_export():
    """The inspectors register as a workbook."""
    return _xlsx(services.inspector_export(g.user), "执法检查人员名录库.xlsx", "inspectors.xlsx")

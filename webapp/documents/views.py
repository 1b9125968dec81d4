"""Routes of this feature (load → check → act → render)."""
import datetime
import json

from flask import abort, flash, g, render_template, request, url_for

from .. import downloads, htmx, uploads
from ..errors import Invalid
from ..inspection.models import Record, Visit
from ..org.models import Role, Unit
from ..registers.models import Inspector, Institution
from ..scope import load, visible
from ..security import require, roles_required
from . import bp, numbering, printing, services
from .models import FollowUp, FollowUpResult, Opinion, OpinionStatus
from .services import DocumentError

VIEW_ROLES = (Role.INSPECTOR, Role.REVIEWER, Role.HEAD, Role.ADMIN)
TABS = [("pending", "待制作"), ("draft", "草稿"), ("issued", "已签发"), ("voided", "已作废"), ("overdue", "逾期未复查")]


def _opinions():
    return visible(Opinion.select(), Opinion.area, g.user)


def _load(opinion_id):
    return load(Opinion, opinion_id, g.user)


def _load_record(record_id):
    return load(Record, record_id, g.user)


def _verify_url(op):
    return url_for("documents.verify", code=op.code or "-", _external=True)


def _pdf_response(data, op, suffix=""):
    name = downloads.file_name("卫生监督意见书", op.number or "草稿", suffix, ext="pdf")
    return downloads.send(data, name, downloads.PDF, fallback=f"opinion-{op.id}{'' if op.number else '-draft'}.pdf")


def overdue_count(user):
    return services.overdue(visible(Opinion.select(), Opinion.area, user)).count() or None


# ------------------------------------------------------------------------------------------

@bp.route("/")
@roles_required(*VIEW_ROLES)
def index():
    """意见书 lists by tab: 待制作 / 草稿 / 已签发 / 已作废 / 逾期未复查."""
    tab = request.args.get("tab", "pending")
    if tab not in dict(TABS):
        tab = "pending"
    q = _opinions().order_by(Opinion.id.desc())
    rows = records = None
    if tab == "pending":
        # only the records this user may write the 意见书 for (their own inspections, or as reviewer)
        listed = Record.select(Record, Institution, Visit).join(Institution).switch(Record).join(Visit).switch(Record)
        records = list(services.pending_records(services.composable(visible(listed, Record.area, g.user), g.user)).limit(300))
    elif tab == "overdue":
        rows = list(services.overdue(_opinions()))
    else:
        status = {"draft": OpinionStatus.DRAFT, "issued": OpinionStatus.ISSUED, "voided": OpinionStatus.VOIDED}[tab]
        rows = list(q.where(Opinion.status == status).limit(500))
    latest = services.latest_follow_ups(rows or []).get
    return htmx.render("documents/index.html", "documents/_list.html", tab=tab, tabs=TABS, rows=rows, records=records,
                       today=datetime.date.today(), latest=lambda o: latest(o.id), s=services)


@bp.route("/overdue")
@roles_required(Role.INSPECTOR, Role.REVIEWER, Role.HEAD, Role.ADMIN)
def overdue():
    """逾期未复查: issued 意见书 past their deadline with no 复查 recorded."""
    rows = list(services.overdue(_opinions()))
    return htmx.render("documents/index.html", "documents/_list.html", tab="overdue", tabs=TABS, rows=rows, records=None,
                       today=datetime.date.today(), latest=lambda o: None, s=services)  # overdue means no 复查 yet


def _compose_page(rec, values, errors, status=200):
    others = list(_opinions().where(Opinion.record == rec).order_by(Opinion.id))
    return render_template("documents/compose.html", record=rec, items=services.failed_items(rec), values=values,
                           errors=errors, others=others, opinion=None, s=services), status


@bp.route("/compose/<int:record_id>", methods=["GET", "POST"])
@roles_required(*VIEW_ROLES)
def compose(record_id):
    """Compose a 意见书 from the record's failed items (GET shows the draft text, POST saves it)."""
    rec = _load_record(record_id)
    require(services.can_compose(g.user, rec))
    if not services.has_failures(rec):
        abort(409, "该记录没有不合格项，无需制作卫生监督意见书。")
    existing = _opinions().where((Opinion.record == rec) & (Opinion.status == OpinionStatus.DRAFT)).first()
    if request.method == "GET":
        if existing is not None:
            return htmx.redirect(url_for("documents.show", opinion_id=existing.id))
        return _compose_page(rec, services.draft_values(rec, g.user.unit), {})
    try:
        op = services.create_draft(g.user, rec, request.form)
        if request.form.get("action") == "issue":
            op = services.issue(g.user, op)
            flash(f"已签发，编号 {op.number}。", "success")
        else:
            flash("草稿已保存。", "success")
    except DocumentError as e:
        return _compose_page(rec, request.form, e.errors or {"form": e.message}, e.code)
    return htmx.redirect(url_for("documents.show", opinion_id=op.id))


@bp.route("/<int:opinion_id>")
@roles_required(*VIEW_ROLES)
def show(opinion_id):
    """A draft's edit form, or an issued document as issued, with its prints, void and 复查."""
    op = _load(opinion_id)
    return _show(op, {}, None)


def _show(op, errors, values, status=200, fu_errors=None, fu_values=None):
    ctx = dict(opinion=op, record=op.record, errors=errors, fu_errors=fu_errors or {}, fu_values=fu_values or {},
               values=values or {"subject": op.subject, "legal_rep": op.legal_rep, "address": op.address,
                                 "phone": op.phone, "body": op.body, "deadline": op.deadline.isoformat()},
               content=json.loads(op.content) if op.content else None, followups=list(op.followups.order_by(FollowUp.id)),
               inspectors=_inspectors(op), results=FollowUpResult.LABELS, today=datetime.date.today(),
               items=services.failed_items(op.record) if op.is_draft else [], s=services, user=g.user)
    return render_template("documents/show.html", **ctx), status


def _inspectors(op):
    q = Inspector.select().join(Unit).where(Inspector.active == True)  # noqa: E712
    return list(visible(q, Unit.area, g.user).order_by(Inspector.name))


@bp.route("/<int:opinion_id>", methods=["POST"])
@roles_required(*VIEW_ROLES)
def save(opinion_id):
    """Save a draft (and issue it when asked); an issued document is refused with 409."""
    op = _load(opinion_id)
    require(services.can_compose(g.user, op.record))
    try:
        services.ensure_draft(op)
        version = request.form.get("version", type=int)
        op = services.update_draft(g.user, op, request.form, expected_version=version)
        if request.form.get("action") == "issue":
            op = services.issue(g.user, op)
            flash(f"已签发，编号 {op.number}。", "success")
        else:
            flash("草稿已保存。", "success")
    except DocumentError as e:
        if e.code == 409:
            abort(409, e.message)
        return _show(op, e.errors or {"form": e.message}, request.form, e.code)
    return htmx.redirect(url_for("documents.show", opinion_id=op.id))


@bp.route("/<int:opinion_id>/issue", methods=["POST"])
@roles_required(*VIEW_ROLES)
def issue(opinion_id):
    """签发: number it and freeze it."""
    op = _load(opinion_id)
    require(services.can_compose(g.user, op.record))
    try:
        op = services.issue(g.user, op)
    except DocumentError as e:
        abort(e.code, e.message)
    flash(f"已签发，编号 {op.number}。", "success")
    return htmx.redirect(url_for("documents.show", opinion_id=op.id))


@bp.route("/<int:opinion_id>/void", methods=["POST"])
@roles_required(*VIEW_ROLES)
def void(opinion_id):
    """作废 (the number stays, marked void); optionally start the corrected document."""
    op = _load(opinion_id)
    require(services.can_compose(g.user, op.record))
    try:
        op, new = services.void(g.user, op, request.form.get("reason"), redo=bool(request.form.get("redo")))
    except DocumentError as e:
        if e.code == 409:
            abort(409, e.message)
        return _show(op, {"reason": e.message}, None, e.code)
    flash(f"{op.number} 已作废。" + ("已生成更正草稿，请核对后签发。" if new else ""), "success")
    return htmx.redirect(url_for("documents.show", opinion_id=(new or op).id))


@bp.route("/<int:opinion_id>/print", methods=["POST"])
@roles_required(*VIEW_ROLES)
def print_pdf(opinion_id):
    """Print (download the PDF); each print after the first is marked 补打 with its count."""
    op = _load(opinion_id)
    require(services.can_print(g.user, op))
    try:
        count = services.record_print(g.user, op)
    except DocumentError as e:
        abort(e.code, e.message)
    return _pdf_response(printing.pdf(op, _verify_url(op), count), op, "" if count == 1 else f"补打{count}")


@bp.route("/<int:opinion_id>/preview.pdf")
@roles_required(*VIEW_ROLES)
def preview(opinion_id):
    """A draft's preview PDF, marked 草稿 (no number, no verification code, not counted)."""
    op = _load(opinion_id)
    if not op.is_draft:
        abort(409, "已签发的意见书请使用“打印”，补打会标注次数。")
    return _pdf_response(printing.pdf(op, ""), op, "草稿")


@bp.route("/<int:opinion_id>/followup", methods=["POST"])
@roles_required(*VIEW_ROLES)
def follow_up(opinion_id):
    """Record a 复查 (result, date, inspectors, note, optional evidence)."""
    op = _load(opinion_id)
    require(services.can_follow_up(g.user, op))
    f = request.files.get("evidence")
    evidence = None
    if f and f.filename:
        try:
            evidence = uploads.read(f, "evidence")  # the same type and size rules as a check item's evidence
        except Invalid as e:
            return _followup_error(op, e.errors)
    try:
        services.add_follow_up(g.user, op, request.form, evidence)
    except DocumentError as e:
        if e.code == 409:
            abort(409, e.message)
        return _followup_error(op, e.errors or {"result": e.message})
    if htmx.is_partial():
        return render_template("documents/_followups.html", opinion=op, followups=list(op.followups.order_by(FollowUp.id)),
                               fu_errors={}, fu_values={}, inspectors=_inspectors(op), results=FollowUpResult.LABELS,
                               today=datetime.date.today(), s=services, user=g.user)
    flash("复查结果已登记。", "success")
    return htmx.redirect(url_for("documents.show", opinion_id=op.id))


def _followup_error(op, errors):
    if htmx.is_partial():
        return render_template("documents/_followups.html", opinion=op, followups=list(op.followups.order_by(FollowUp.id)),
                               fu_errors=errors, fu_values=request.form, inspectors=_inspectors(op),
                               results=FollowUpResult.LABELS, today=datetime.date.today(), s=services, user=g.user), 422
    return _show(op, {}, None, 422, fu_errors=errors, fu_values=request.form)


@bp.route("/followup/<int:followup_id>/evidence")
@roles_required(*VIEW_ROLES)
def evidence(followup_id):
    """The evidence file of a 复查."""
    fu = FollowUp.get_or_none(FollowUp.id == followup_id)
    if fu is None or not fu.evidence_sha256:
        abort(404)
    _load(fu.opinion_id)  # scope check
    return downloads.send_stored(fu.evidence_sha256, fu.evidence_name, fu.evidence_mime)


@bp.route("/verify", methods=["GET"])
@bp.route("/verify/<code>")
def verify(code=None):
    """Resolve a printed verification code: is the paper the issued document, and is it in force?"""
    code = code or request.args.get("code", "")
    op = intact = None
    if code and code != "-":
        op, intact = services.verify(code)
    in_scope = op is not None and op.area.is_within(g.user.area)
    return render_template("documents/verify.html", code=code if code != "-" else "", opinion=op, intact=intact,
                           in_scope=in_scope, content=json.loads(op.content) if op is not None else None)


@bp.route("/series", methods=["GET", "POST"])
@roles_required(Role.ADMIN, Role.HEAD)
def series():
    """文书编号格式 per issuing authority (this year's series; numbers already given stay)."""
    year = datetime.date.today().year
    units = list(visible(Unit.select(), Unit.area, g.user).order_by(Unit.id))
    errors, values = {}, {}
    if request.method == "POST":
        unit = next((u for u in units if str(u.id) == request.form.get("unit")), None)
        if unit is None:
            abort(404)
        pattern = (request.form.get("pattern") or "").strip()
        problem = numbering.check_pattern(pattern)
        if problem:
            errors[unit.id], values[unit.id] = problem, pattern
        else:
            numbering.set_pattern(unit, year, pattern)
            flash(f"{unit.name} 的编号格式已保存。", "success")
            return htmx.redirect(url_for("documents.series"))
    from .models import DocumentSeries

    rows = []
    for u in units:
        s = DocumentSeries.get_or_none((DocumentSeries.unit == u) & (DocumentSeries.kind == "opinion") & (DocumentSeries.year == year))
        pattern = values.get(u.id) or numbering.pattern_for(u, year)
        sample = numbering.format_number(numbering.pattern_for(u, year), u.short_name, u.name, year, s.next_no if s else 1)
        rows.append({"unit": u, "pattern": pattern, "next_no": s.next_no if s else 1, "sample": sample, "error": errors.get(u.id)})
    return render_template("documents/series.html", rows=rows, year=year), 422 if errors else 200

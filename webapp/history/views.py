"""审计日志 and history pages (load → check → act → render): the log of an area, a record's and an
institution's history, the chain check."""
from flask import g, render_template, request

from .. import htmx, inputs
from ..org.models import Role, Unit, User
from ..inspection.models import Record
from ..registers.models import Institution
from ..scope import load
from ..security import roles_required
from ..audit import labels, trail
from ..audit.models import AuditEntry
from . import bp, display

LOG_LIMIT = 300


@bp.app_template_filter("audit_action")
def action_label(action):
    return labels.action_label(action)


@bp.route("/")
@roles_required(Role.ADMIN)
def log():
    """审计日志: the latest entries of the admin's area and below, filtered by action or actor."""
    action, actor = request.args.get("action", ""), request.args.get("actor", "")
    scoped = trail.in_area(AuditEntry.select(), g.user.area)
    query = scoped
    if action:
        query = query.where(AuditEntry.action == action)
    if inputs.to_int(actor) is not None:
        query = query.where(AuditEntry.actor == inputs.to_int(actor))
    rows = display.rows(query.order_by(AuditEntry.id.desc()).limit(LOG_LIMIT))
    actions = sorted({r.action for r in scoped.select(AuditEntry.action).distinct()}, key=labels.action_label)
    actors = list(User.select(User, Unit).join(Unit).where(User.id.in_(scoped.select(AuditEntry.actor))).order_by(Unit.name, User.name))
    return render_template("history/log.html", rows=rows, total=query.count(), actions=actions, actors=actors,
                           action=action, actor=actor)


@bp.route("/verify")
@roles_required(Role.ADMIN)
def verify_page():
    """Walk the hash chain and say where it breaks, if it does."""
    count, broken, reason = trail.verify()
    return htmx.render("history/verify.html", "history/_verify.html", count=count, broken=broken, reason=reason)


@bp.route("/institutions/<int:institution_id>")
def institution(institution_id):
    """Every audited change about one institution (register, records, handling, documents)."""
    inst = load(Institution, institution_id, g.user)
    rows = display.rows(trail.institution_history(inst.id))
    return render_template("history/institution.html", institution=inst, rows=rows)


@bp.route("/records/<int:record_id>")
def record(record_id):
    """Every audited change of one record, oldest first."""
    rec = load(Record, record_id, g.user)
    rows = display.rows(trail.record_history(rec.id))
    return render_template("history/record.html", record=rec, rows=rows)

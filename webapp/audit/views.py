"""Routes of this feature (load → check → act → render), and `flask --app webapp audit verify`."""
import click
from flask import abort, g, render_template, request
from flask.cli import with_appcontext

from .. import htmx
from ..db import db
from ..org.models import Role, Unit, User
from ..registers.models import Institution
from ..security import roles_required
from . import bp, display, labels, trail
from .models import AuditEntry

LOG_LIMIT = 300


@bp.app_template_filter("audit_action")
def _action_label(action):
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
    if actor.isdigit():
        query = query.where(AuditEntry.actor == int(actor))
    rows = display.rows(query.order_by(AuditEntry.id.desc()).limit(LOG_LIMIT))
    actions = sorted({r.action for r in scoped.select(AuditEntry.action).distinct()}, key=labels.action_label)
    actors = list(User.select(User, Unit).join(Unit).where(User.id.in_(scoped.select(AuditEntry.actor))).order_by(Unit.name, User.name))
    return render_template("audit/log.html", rows=rows, total=query.count(), actions=actions, actors=actors,
                           action=action, actor=actor)


@bp.route("/verify")
@roles_required(Role.ADMIN)
def verify_page():
    """Walk the hash chain and say where it breaks, if it does."""
    count, broken, reason = trail.verify()
    return htmx.render("audit/verify.html", "audit/_verify.html", count=count, broken=broken, reason=reason)


@bp.route("/institutions/<int:institution_id>")
def institution(institution_id):
    """Every audited change about one institution (register, records, handling, documents)."""
    inst = Institution.get_or_none(Institution.id == institution_id)
    if inst is None or not inst.area.is_within(g.user.area):
        abort(404)
    rows = display.rows(trail.institution_history(inst.id))
    return render_template("audit/institution.html", institution=inst, rows=rows)


@bp.cli.command("verify")
@with_appcontext
def verify_command():
    """Check the audit hash chain; exit 1 at the first broken link."""
    with db.connection_context():
        count, broken, reason = trail.verify()
    if not reason:
        click.echo(f"审计链完整：共 {count} 条记录")
        return
    where = f"第 {count + 1} 条（id={broken.id}）" if broken is not None else f"第 {count + 1} 条（链尾）"
    click.echo(f"审计链断裂：{where}：{reason}")
    raise SystemExit(1)

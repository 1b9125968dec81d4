"""Routes of this feature (load → check → act → render), and `flask --app webapp audit verify`."""
import click
from flask import abort, g, render_template, request
from flask.cli import with_appcontext
from peewee import JOIN

from .. import htmx, inputs
from ..db import db
from ..org.models import Role, User
from ..registers.models import Institution
from ..security import roles_required
from . import bp, trail
from .models import AuditEntry

LOG_LIMIT = 300

# Known actions in Chinese; an unknown one shows as written (features may add their own).
ACTION_LABELS = {
    "record.submit": "提交审核", "record.approve": "审核通过", "record.return": "退回", "record.withdraw": "撤回审核",
    "answer.save": "保存检查结果", "handling.save": "保存处理决定", "evidence.add": "上传证据", "evidence.remove": "删除证据",
    "record.create": "开始检查", "record.start": "开始检查", "institution.create": "新增检查对象", "institution.edit": "修改检查对象",
    "institution.update": "修改检查对象", "draw.run": "随机抽取", "draw.confirm": "确认抽取结果", "document.issue": "出具文书",
    "document.void": "作废文书",
}
ENTITY_LABELS = {"record": "检查记录", "institution": "检查对象", "answer": "检查结果", "evidence": "证据", "handling": "处理决定",
                 "draw": "抽取", "task": "任务", "document": "文书", "inspector": "执法人员", "visit": "检查", "user": "用户"}


@bp.app_template_filter("audit_action")
def _action_label(action):
    return ACTION_LABELS.get(action, action)


@bp.app_template_filter("audit_entity")
def _entity_label(entity):
    return ENTITY_LABELS.get(entity, entity)


@bp.app_template_filter("audit_json")
def _json(text):
    return trail.decoded(text)


def _with_actor(query):
    return query.select_extend(User).switch(AuditEntry).join(User, on=(AuditEntry.actor == User.id), join_type=JOIN.LEFT_OUTER)


@bp.route("/")
@roles_required(Role.ADMIN)
def log():
    """审计日志: the latest entries, filtered by action or actor."""
    action, actor = request.args.get("action", ""), request.args.get("actor", "")
    query = AuditEntry.select()
    if action:
        query = query.where(AuditEntry.action == action)
    if inputs.to_int(actor) is not None:
        query = query.where(AuditEntry.actor == inputs.to_int(actor))
    entries = list(_with_actor(query).order_by(AuditEntry.id.desc()).limit(LOG_LIMIT))
    actions = [r.action for r in AuditEntry.select(AuditEntry.action).distinct().order_by(AuditEntry.action)]
    actors = list(User.select().where(User.id.in_(AuditEntry.select(AuditEntry.actor))).order_by(User.name))
    return render_template("audit/log.html", entries=entries, total=query.count(), actions=actions, actors=actors,
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
    entries = list(_with_actor(trail.institution_history(inst.id)))
    return render_template("audit/institution.html", institution=inst, entries=entries)


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

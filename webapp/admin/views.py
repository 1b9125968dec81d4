from flask import abort, flash, g, redirect, render_template, url_for
from peewee import prefetch

from ..auth import services as auth
from ..org.models import Area, Role, Unit, User, UserRole
from ..scope import visible
from ..security import require, roles_required
from . import bp


@bp.route("/lockouts")
@roles_required(Role.ADMIN)
def lockouts():
    """登录锁定: accounts and addresses that sign-in failures currently slow down."""
    return render_template("admin/lockouts.html", rows=auth.lockouts(g.user))


@bp.route("/lockouts/<int:row_id>/unlock", methods=["POST"])
@roles_required(Role.ADMIN)
def unlock(row_id):
    """解除锁定: the next sign-in of that account or address is checked at once."""
    require(auth.can_unlock(g.user, row_id))
    if not auth.unlock(row_id, g.user):
        abort(404)
    flash("已解除锁定。", "info")
    return redirect(url_for("admin.lockouts"))


@bp.route("/users")
@roles_required(Role.ADMIN, Role.HEAD, Role.REVIEWER)
def users():
    """Users of the units in the signed-in user's area and below."""
    rows = visible(User.select(User, Unit, Area).join(Unit).join(Area), Unit.area, g.user).order_by(Area.path, Unit.name, User.username)
    return render_template("admin/users.html", users=prefetch(rows, UserRole))  # roles in one query, not one per user

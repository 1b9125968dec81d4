from flask import g, render_template
from peewee import prefetch

from ..scope import visible
from ..security import roles_required
from . import bp
from .models import Area, Role, Unit, User, UserRole


@bp.route("/users")
@roles_required(Role.ADMIN, Role.HEAD, Role.REVIEWER)
def users():
    """Users of the units in the signed-in user's area and below."""
    rows = visible(User.select(User, Unit, Area).join(Unit).join(Area), Unit.area, g.user).order_by(Area.path, Unit.name, User.username)
    return render_template("org/users.html", users=prefetch(rows, UserRole))  # roles in one query, not one per user

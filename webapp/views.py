"""The home page: what the signed-in user can do, and the areas they see."""
from flask import Blueprint, g, render_template

from .org.models import Area, Unit
from .scope import visible

bp = Blueprint("main", __name__)


@bp.route("/")
def home():
    """Home page by role, with the areas the user sees."""
    areas = list(visible(Area.select(), Area.id, g.user).order_by(Area.path))
    units = list(visible(Unit.select(), Unit.area, g.user).order_by(Unit.name))
    return render_template("home.html", areas=areas, units=units)

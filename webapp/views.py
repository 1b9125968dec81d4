"""The home page: what the signed-in user can do, and the areas they see."""
from flask import Blueprint, g, render_template

from .org.models import Unit
from .scope import areas_of, visible

bp = Blueprint("main", __name__)


@bp.route("/")
def home():
    """Home page by role, with the areas the user sees."""
    areas = areas_of(g.user)
    units = list(visible(Unit.select(), Unit.area, g.user).order_by(Unit.name))
    return render_template("home.html", areas=areas, units=units)

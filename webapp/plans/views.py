"""Plan pages (the `plans` CLI group is commands.py)."""
from flask import abort, render_template

from . import bp
from .catalog import catalog
from .headers import header_rows, row_labels


@bp.route("/")
def index():
    """Every plan in forms/, by year."""
    plans = sorted(catalog().plans.values(), key=lambda p: (-p.year, p.id))
    return render_template("plans/index.html", plans=plans)


@bp.route("/<plan_id>")
def detail(plan_id):
    """A plan: categories and ratios, deadlines, sections and items, summary table previews."""
    cat = catalog()
    plan = cat.get(plan_id) or abort(404)
    previews = [(s, header_rows(s), row_labels(plan, s)) for s in plan.summaries]
    return render_template("plans/detail.html", plan=plan, kinds=cat.kinds, services=cat.services, previews=previews)

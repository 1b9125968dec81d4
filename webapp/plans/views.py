"""Plan pages and the `plans` CLI group."""
import sys

import click
from flask import abort, render_template

from . import bp
from .catalog import catalog
from .headers import header_rows, row_labels
from .loader import check, load_plans


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


@bp.cli.command("check")
def check_command():
    """Validate every plan file in forms/ (exit 1 on any error)."""
    from flask import current_app

    errors = check(current_app.config["FORMS_DIR"])
    for e in errors:
        click.echo(e, err=True)
    if errors:
        click.echo(f"计划文件有 {len(errors)} 处错误。", err=True)
        sys.exit(1)
    click.echo(f"全部 {len(load_plans(current_app.config['FORMS_DIR']).plans)} 个计划文件校验通过。")


@bp.cli.command("list")
def list_command():
    """One line per plan: its id, a tab, its title."""
    from flask import current_app

    for plan in load_plans(current_app.config["FORMS_DIR"]).plans.values():
        click.echo(f"{plan.id}\t{plan.title}")

"""`flask --app webapp plans check|list`: validate the plan files, list them (for scheduled jobs)."""
import sys

import click
from flask import current_app

from . import bp
from .loader import check, load_plans


@bp.cli.command("check")
def check_command():
    """Validate every plan file in forms/ (exit 1 on any error)."""
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
    for plan in load_plans(current_app.config["FORMS_DIR"]).plans.values():
        click.echo(f"{plan.id}\t{plan.title}")

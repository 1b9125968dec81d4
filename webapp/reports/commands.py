"""`flask --app webapp report xlsx|pdf --plan ID [--area CODE] [--period …] --out FILE`: every
summary table of a plan for an area and period, as printed (for scheduled jobs)."""
import click

from ..db import db
from ..errors import Invalid
from ..org.models import Area
from ..plans.catalog import get_plan
from . import bp, export, periods, tables, workflow


def _cli_selection(plan_id, area_code):
    plan = get_plan(plan_id)
    if plan is None or not plan.summaries:
        raise click.ClickException(f"没有带汇总表的计划“{plan_id}”")
    if area_code:
        area = Area.get_or_none(Area.code == area_code)
        if area is None:
            raise click.ClickException(f"没有地区代码“{area_code}”")
    else:
        area = Area.select().order_by(Area.level, Area.code).first()
        if area is None:
            raise click.ClickException("数据库中还没有地区")
    return plan, area


def _export_command(kind):
    @click.option("--plan", "plan_id", required=True, help="计划编号，如 2025-xj-yiliao")
    @click.option("--area", "area_code", default="", help="地区代码；省略时为数据库中最高一级地区")
    @click.option("--period", "period_text", default="year",
                  help="统计期间：year（计划年度，默认）、stage（年初至阶段性总结日）或 2025-01-01..2025-06-30")
    @click.option("--out", "out", required=True, type=click.Path(dir_okay=False, writable=True))
    def command(plan_id, area_code, period_text, out):
        with db.connection_context():
            plan, area = _cli_selection(plan_id, area_code)
            try:
                period = periods.parse(plan, period_text)
            except Invalid as exc:
                raise click.ClickException(exc.errors["period"]) from None
            info = export.meta(area.name, workflow.unit_name(area), periods.describe(period))
            data = (export.pdf if kind == "pdf" else export.workbook)(tables.build_all(plan, area, period), info)
        with open(out, "wb") as fh:
            fh.write(data)
        click.echo(f"已导出 {plan.id}（{area.name}，{periods.describe(period)}，汇总表 {len(plan.summaries)} 张）到 {out}")

    command.__doc__ = f"Export every summary table of a plan for an area as one {kind.upper()} file."
    return command


bp.cli.command("xlsx")(_export_command("xlsx"))
bp.cli.command("pdf")(_export_command("pdf"))

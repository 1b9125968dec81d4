"""`flask --app webapp draw run|verify`: the same services the pages use."""
import sys

import click

from ..db import db
from ..org.models import Area, User
from . import bp, services
from .models import Draw


@bp.cli.command("run")
@click.option("--plan", "plan_id", required=True, help="计划编号，如 2025-xj-yiliao")
@click.option("--area", "area_code", required=True, help="行政区划代码，如 650102")
@click.option("--seed", type=int, default=None, help="随机种子（不给则随机生成并记录）")
@click.option("--by", "username", default=None, help="抽取人用户名（默认：辖区管理员）")
@click.option("--witnesses", default="", help="监督见证人")
@click.option("--confirm", is_flag=True, help="抽取后立即确认")
def run(plan_id, area_code, seed, username, witnesses, confirm):
    """Draw units and inspectors for a plan in an area."""
    from ..registers.services import catalog

    with db.connection_context():
        plan = catalog().get(plan_id)
        if plan is None:
            raise click.ClickException(f"找不到计划“{plan_id}”")
        area = Area.get_or_none(Area.code == area_code)
        if area is None:
            raise click.ClickException(f"找不到地区“{area_code}”")
        actor = User.get_or_none(User.username == username) if username else services.default_actor(area)
        if actor is None:
            raise click.ClickException("找不到抽取人：请用 --by 指定用户名")
        try:
            draw = services.run_draw(plan, area, actor, seed=seed, witnesses=witnesses)
            if confirm:
                draw = services.confirm(draw, actor)
        except services.DrawError as e:
            raise click.ClickException(str(e))
        rows = services.draw_rows(draw, plan)
        s = services.summary(draw, plan, rows)
    click.echo(f"抽取编号 {draw.id}：{plan.title} · {area.name} · 随机种子 {draw.seed} · {draw.state.label}")
    for c in s["counts"]:
        click.echo(f"  {c['tier']} · {c['category']}：{c['count']} 家")
    click.echo(f"  共 {s['total']} 项任务（回头看 {s['lookback']} 项）；名录库哈希 {draw.register_hash[:16]}… 结果哈希 {draw.result_hash[:16]}…")


@bp.cli.command("verify")
@click.argument("draw_id", type=int)
def verify(draw_id):
    """Re-run a draw from its seed and register snapshot; exit 1 on any difference."""
    with db.connection_context():
        draw = Draw.get_or_none(Draw.id == draw_id)
        if draw is None:
            raise click.ClickException(f"找不到抽取 {draw_id}")
        ok, lines = services.verify(draw)
        changed = services.register_changed(draw) if ok else None
    if ok:
        click.echo("抽取结果一致")
        if changed:
            click.echo("（提示：名录库、执法人员或最近的检查组合已与抽取时不同；复核使用的是抽取时保存的快照）")
        return
    for line in lines:
        click.echo(line)
    sys.exit(1)

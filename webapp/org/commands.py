"""Setting up a real install from an empty database: `flask --app webapp create-area` and
`create-unit`, then `create-user` (webapp/cli.py) for the first administrator.

There is no page for areas and units yet, so these commands are how a new install gets its
area tree (省 → 市 → 区/县) and its 执法单位. Each writes an audit entry (操作人：系统).
"""
import re

import click
from flask.cli import with_appcontext

from ..audit import trail
from ..db import db, transaction
from .models import Area, Level, Unit

AREA_CODE = re.compile(r"^\d{6}$")  # 行政区划代码 (GB/T 2260): six digits


@click.command("create-area")
@click.argument("code")
@click.argument("name")
@click.option("--parent", "parent_code", default="", help="上级地区的行政区划代码（省级地区不填）")
@with_appcontext
def create_area(code, name, parent_code):
    """新增地区：行政区划代码 名称 [--parent 上级代码]，如 650000 新疆维吾尔自治区。"""
    code, name, parent_code = code.strip(), name.strip(), parent_code.strip()
    if not AREA_CODE.match(code):
        raise click.ClickException(f"行政区划代码应为 6 位数字，如 650102（收到“{code}”）")
    if not name or len(name) > 64:
        raise click.ClickException("地区名称不能为空，且不超过 64 个字")
    with db.connection_context():
        if Area.get_or_none(Area.code == code):
            raise click.ClickException(f"行政区划代码 {code} 已存在")
        parent = None
        if parent_code:
            parent = Area.get_or_none(Area.code == parent_code)
            if parent is None:
                raise click.ClickException(f"找不到上级地区 {parent_code}，请先创建它")
            if parent.level >= Level.DISTRICT:
                raise click.ClickException(f"{parent.name}是区/县级，不能再有下级地区")
        with transaction():
            area = Area.make(code, name, parent)
            trail.record(None, "area.create", "area", area.id, area=area,
                         after={"code": code, "name": name, "parent": parent.code if parent else None})
    where = f"，上级：{parent.name}" if parent else "（省级）"
    click.echo(f"已创建地区 {name}（{code}，{Level(area.level).label}{where}）。")


@click.command("create-unit")
@click.argument("name")
@click.option("--area", "area_code", required=True, help="所在地区的行政区划代码")
@click.option("--short", "short_name", required=True, help="简称，用于文书编号，如“天山”")
@click.option("--kind", default="卫生监督所", show_default=True, help="单位性质：卫生监督所 / 卫生健康委员会")
@with_appcontext
def create_unit(name, area_code, short_name, kind):
    """新增执法单位：名称 --area 地区代码 --short 简称，如 “乌鲁木齐市卫生监督所 --area 650100 --short 乌”。"""
    name, short_name, kind = name.strip(), short_name.strip(), kind.strip()
    if not name or len(name) > 128:
        raise click.ClickException("单位名称不能为空，且不超过 128 个字")
    if not short_name or len(short_name) > 16:
        raise click.ClickException("简称不能为空，且不超过 16 个字")
    if not kind or len(kind) > 32:
        raise click.ClickException("单位性质不能为空，且不超过 32 个字")
    with db.connection_context():
        area = Area.get_or_none(Area.code == area_code.strip())
        if area is None:
            raise click.ClickException(f"找不到地区 {area_code}，请先用 create-area 创建")
        if Unit.get_or_none(Unit.name == name):
            raise click.ClickException(f"单位“{name}”已存在")
        with transaction():
            unit = Unit.create(name=name, short_name=short_name, kind=kind, area=area)
            trail.record(None, "unit.create", "unit", unit.id, area=area,
                         after={"name": name, "short_name": short_name, "kind": kind, "area": area.code})
    click.echo(f"已创建执法单位 {name}（{area.name}，简称“{short_name}”）。")

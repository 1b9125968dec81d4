"""`flask --app webapp backup FILE` and `restore FILE` (see backup.py); `create-area` and
`create-unit` for a new install."""
import re

import click

from ..audit import trail
from ..db import db, transaction
from ..org.models import Area, Level, Unit
from . import backup, bp


@bp.cli.command("backup")
@click.argument("file", type=click.Path(dir_okay=False, writable=True))
def backup_command(file):
    """Back up the database and the files under instance/ into FILE (while the app runs)."""
    with db.connection_context():
        try:
            manifest = backup.create(file)
        except backup.BackupError as e:
            raise click.ClickException(str(e))
    click.echo(f"已备份到 {file}（{'PostgreSQL' if manifest['backend'] == 'postgresql' else 'SQLite'} 数据库，"
               f"文件 {len(manifest['files'])} 个）。")


@bp.cli.command("restore")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--force", is_flag=True, help="当前数据库已有数据时仍然覆盖")
def restore_command(file, force):
    """Restore FILE (made by `backup`) into this instance; stop the server first."""
    # not connection_context(): the restore closes and reopens the connection around pg_restore
    db.connect(reuse_if_open=True)
    try:
        manifest, applied = backup.restore(file, force=force)
    except backup.BackupError as e:
        raise click.ClickException(str(e))
    finally:
        if not db.is_closed():
            db.close()
    click.echo(f"已从 {file} 恢复（备份时间 {manifest['created_at']}，文件 {len(manifest['files'])} 个）。"
               + (f"已应用新迁移 {len(applied)} 个。" if applied else "")
               + "所有用户需重新登录。")


# Setting up a real install from an empty database: the area tree (省 → 市 → 区/县) and the
# 执法单位, then `create-user` (webapp/cli.py) for the first administrator. There is no page
# for areas and units yet; each command writes an audit entry (操作人：系统).
AREA_CODE = re.compile(r"^\d{6}$")  # 行政区划代码 (GB/T 2260): six digits


@bp.cli.command("create-area")
@click.argument("code")
@click.argument("name")
@click.option("--parent", "parent_code", default="", help="上级地区的行政区划代码（省级地区不填）")
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


@bp.cli.command("create-unit")
@click.argument("name")
@click.option("--area", "area_code", required=True, help="所在地区的行政区划代码")
@click.option("--short", "short_name", required=True, help="简称，用于文书编号，如“天山”")
@click.option("--kind", default="卫生监督所", show_default=True, help="单位性质：卫生监督所 / 卫生健康委员会")
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

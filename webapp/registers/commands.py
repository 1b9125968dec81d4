"""`flask --app webapp registry import|template`: the register import from a file, and its template."""
import sys

import click

from ..db import db
from . import bp, services


@bp.cli.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
def import_command(path):
    """Import institutions from an Excel file: all rows or none (exit 1 on any error)."""
    with db.connection_context():
        result = services.import_from_path(path)
    if not result.ok:
        for row, column, message in result.errors:
            where = f"第 {row} 行" if row else "文件"
            click.echo(f"{where}{'「' + column + '」' if column else ''}：{message}", err=True)
        click.echo(f"共 {len(result.errors)} 处错误，未导入任何数据。", err=True)
        sys.exit(1)
    click.echo(f"导入完成：新增 {result.created} 家，更新 {result.updated} 家，未变 {result.unchanged} 家。")


@bp.cli.command("template")
@click.argument("path", type=click.Path(dir_okay=False))
def template_command(path):
    """Write the empty import template to PATH."""
    with open(path, "wb") as fh:
        fh.write(services.institution_template())
    click.echo(f"已写出模板 {path}")

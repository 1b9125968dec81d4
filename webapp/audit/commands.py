"""`flask --app webapp audit verify`: walk the hash chain (for a scheduled job: exit 1 when broken)."""
import click

from ..db import db
from . import bp, trail


@bp.cli.command("verify")
def verify_command():
    """Check the audit hash chain; exit 1 at the first broken link."""
    with db.connection_context():
        count, broken, reason = trail.verify()
    if not reason:
        click.echo(f"审计链完整：共 {count} 条记录")
        return
    where = f"第 {count + 1} 条（id={broken.id}）" if broken is not None else f"第 {count + 1} 条（链尾）"
    click.echo(f"审计链断裂：{where}：{reason}")
    raise SystemExit(1)

"""`flask --app webapp backup FILE` and `flask --app webapp restore FILE` (see backup.py)."""
import click

from ..db import db
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

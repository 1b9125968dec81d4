"""`flask --app webapp set-password USERNAME`: a new password from the console (the admin's
way when an inspector forgot theirs); `deactivate-user` / `activate-user`. Every session of
the user ends in each case."""
import click

from ..db import db, transaction
from ..errors import Invalid
from ..org.models import User
from . import bp, services


@bp.cli.command("set-password")
@click.argument("username")
@click.password_option("--password", prompt="新密码", confirmation_prompt="再次输入新密码")
def set_password(username, password):
    """Set a user's password (prompted for) and end all their sessions."""
    with db.connection_context():
        user = User.get_or_none(User.username == username)
        if user is None:
            raise click.ClickException(f"找不到用户“{username}”")
        try:
            services.check_new_password(username, password, None)
        except Invalid as e:
            raise click.ClickException("；".join(e.errors.values()))
        with transaction():
            ended = services.set_password(user, password, None)
    click.echo(f"已为 {username} 设置新密码" + (f"，并结束其 {ended} 处登录。" if ended else "。"))


def _set_active(username, active):
    from ..audit import trail
    from . import sessions

    with db.connection_context():
        user = User.get_or_none(User.username == username)
        if user is None:
            raise click.ClickException(f"找不到用户“{username}”")
        with transaction():
            User.update(active=active).where(User.id == user.id).execute()
            # ended now, so that activating the account again does not revive old sessions
            ended = sessions.end_all(user, "inactive") if not active else 0
            trail.record(None, "user.activate" if active else "user.deactivate", "user", user.id,
                         before={"active": user.active}, after={"active": active})
    return ended


@bp.cli.command("deactivate-user")
@click.argument("username")
def deactivate_user(username):
    """Deactivate an account: it can no longer sign in and its sessions end at once."""
    ended = _set_active(username, False)
    click.echo(f"已停用 {username}" + (f"，并结束其 {ended} 处登录。" if ended else "。"))


@bp.cli.command("activate-user")
@click.argument("username")
def activate_user(username):
    """Activate an account again (it signs in anew; no old session comes back)."""
    _set_active(username, True)
    click.echo(f"已启用 {username}。")

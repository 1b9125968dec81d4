"""`flask --app webapp set-password USERNAME`: a new password from the console (the admin's
way when an inspector forgot theirs); every session of the user ends."""
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

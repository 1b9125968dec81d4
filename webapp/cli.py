"""Admin commands: `flask --app webapp <command>`. Scheduled jobs depend on these names."""
import click
from flask.cli import with_appcontext

from .db import db, transaction


def init_app(app):
    for command in (init_db, db_upgrade, db_diff, create_user, demo):
        app.cli.add_command(command)


@click.command("init-db")
@with_appcontext
def init_db():
    """Create the database schema (applies every migration)."""
    from . import migrate

    with db.connection_context():
        applied = migrate.upgrade()
    click.echo(f"数据库已初始化（应用迁移 {len(applied)} 个）。" if applied else "数据库已是最新结构。")


@click.command("db-upgrade")
@with_appcontext
def db_upgrade():
    """Apply pending schema migrations, keeping all rows."""
    from . import migrate

    with db.connection_context():
        applied = migrate.upgrade()
    for name in applied:
        click.echo(f"已应用迁移 {name}")
    if not applied:
        click.echo("没有待应用的迁移。")


@click.command("db-diff")
@with_appcontext
def db_diff():
    """Print a migration body for models that differ from the database (developer aid)."""
    from . import migrate

    with db.connection_context():
        body = migrate.diff_template()
    click.echo(body or "数据库结构与模型一致。")


@click.command("create-user")
@click.option("--username", prompt="用户名")
@click.option("--name", prompt="姓名")
@click.option("--unit", "unit_name", prompt="所属单位（名称）")
@click.option("--role", "roles", multiple=True, type=click.Choice(["inspector", "reviewer", "head", "admin"]), required=True,
              help="角色，可重复：inspector 监督员、reviewer 审核人、head 单位负责人、admin 管理员")
@click.password_option("--password", prompt="密码", confirmation_prompt="再次输入密码")
@with_appcontext
def create_user(username, name, unit_name, roles, password):
    """新增用户（密码在提示时输入，不写在命令行里）；单位须已存在（create-unit）。"""
    from .audit import trail
    from .org.models import ROLE_LABELS, Role, Unit, User

    with db.connection_context():
        unit = Unit.get_or_none(Unit.name == unit_name)
        if unit is None:
            raise click.ClickException(f"找不到单位“{unit_name}”")
        if User.get_or_none(User.username == username):
            raise click.ClickException(f"用户名“{username}”已存在")
        if len(password) < 8:
            raise click.ClickException("密码至少 8 位")
        with transaction():
            user = User(username=username, name=name, unit=unit)
            user.set_password(password)
            user.save()
            user.grant(*roles)
            trail.record(None, "user.create", "user", user.id, area=unit.area_id,
                         after={"username": username, "name": name, "unit": unit.id, "roles": list(roles)})
    labels = "、".join(ROLE_LABELS[Role(r)] for r in roles)
    click.echo(f"已创建用户 {username}（{name}，{unit.name}，{labels}）。")


@click.command("demo")
@click.option("--none", "expect_none", is_flag=True, help="不载入演示数据，只确认数据库中没有演示账号（make run DEMO=0）")
@with_appcontext
def demo(expect_none):
    """Load the demo data into an empty database (with --none: check there is no demo account)."""
    from . import demo as demo_data
    from .org.models import User

    with db.connection_context():
        if expect_none:
            if User.demo_accounts_active():
                raise click.ClickException("数据库中有演示账号。正式使用请另建空数据库（删除 instance/suijian.db，或设置 DATABASE_URL 指向新库）。")
            click.echo("未载入演示数据：数据库中没有演示账号。")
            return
        if not demo_data.is_empty():
            click.echo("数据库中已有数据，未载入演示数据。")
            return
        summary = demo_data.load()
    click.echo("已载入演示数据：" + "，".join(f"{k} {v}" for k, v in summary.items()))

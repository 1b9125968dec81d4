"""Deployment: the demo says 演示数据 on every page while its accounts exist; `make run DEMO=0`
sets up an empty database; a real install gets its areas, units and first admin by command."""
import os
import shutil
import subprocess
import sys

import pytest

from webapp.audit.models import AuditEntry
from webapp.demo import DEMO_PASSWORD
from webapp.org.models import Area, Role, Unit, User

from . import factories

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BANNER = 'id="demo-banner"'


def _demo(app, runner):
    assert runner.invoke(args=["demo"]).exit_code == 0
    with app.app_context():
        for user in User.select():  # the test config hashes passwords more cheaply
            user.set_password(DEMO_PASSWORD)
            user.save()


def test_demo_banner_on_every_page(app, runner, browser):
    _demo(app, runner)
    anonymous = browser()
    login = anonymous.client.get("/login").get_data(as_text=True)
    assert BANNER in login and "演示数据" in login
    assert BANNER in anonymous.client.get("/no-such-page").get_data(as_text=True)  # the 404 page too
    urls = [r.rule for r in app.url_map.iter_rules() if "GET" in r.methods and not r.arguments and r.endpoint != "static"]
    for username in ("admin", "ts_jdy1"):
        b = browser()
        assert b.login(username, DEMO_PASSWORD).status_code == 302
        pages = 0
        for url in urls:
            resp = b.get(url)
            if resp.status_code == 200 and resp.mimetype == "text/html":
                pages += 1
                assert BANNER in resp.get_data(as_text=True), url
        assert pages >= 10, pages
    # a fragment for htmx is swapped into a page that already has the banner
    assert BANNER not in b.get("/registers/institutions?q=医院", htmx=True).get_data(as_text=True)


def test_no_banner_once_demo_accounts_are_gone(app, runner, browser, org):
    page = browser("admin").get("/").get_data(as_text=True)
    assert BANNER not in page  # an install without demo accounts
    with app.app_context():
        factories.make_user("demo_left", org.units.d1, Role.INSPECTOR)
        User.update(is_demo=True).where(User.username == "demo_left").execute()
    assert BANNER in browser("admin").get("/").get_data(as_text=True)
    with app.app_context():
        User.update(active=False).where(User.is_demo).execute()  # demo accounts switched off
    assert BANNER not in browser("admin").get("/").get_data(as_text=True)


def test_demo_accounts_are_marked(app, runner):
    _demo(app, runner)
    with app.app_context():
        assert User.select().where(~User.is_demo).count() == 0 and User.demo_accounts_active()


def test_demo_none_checks_for_demo_accounts(app, runner):
    ok = runner.invoke(args=["demo", "--none"])
    assert ok.exit_code == 0 and "未载入演示数据" in ok.output
    with app.app_context():
        assert User.select().count() == 0
    _demo(app, runner)
    refused = runner.invoke(args=["demo", "--none"])
    assert refused.exit_code != 0 and "数据库中有演示账号" in refused.output


def test_first_admin_of_a_real_install(app, runner, browser):
    """From an empty database: area tree, unit, first admin — all by command, in Chinese."""
    steps = [
        (["create-area", "650000", "新疆维吾尔自治区"], "已创建地区 新疆维吾尔自治区（650000，省/自治区（省级））"),
        (["create-area", "650100", "乌鲁木齐市", "--parent", "650000"], "已创建地区 乌鲁木齐市（650100，市，上级：新疆维吾尔自治区）"),
        (["create-unit", "乌鲁木齐市卫生监督所", "--area", "650100", "--short", "乌"], "已创建执法单位 乌鲁木齐市卫生监督所（乌鲁木齐市，简称“乌”）"),
    ]
    for args, said in steps:
        result = runner.invoke(args=args)
        assert result.exit_code == 0 and said in result.output, result.output
    result = runner.invoke(args=["create-user", "--username", "zhang", "--name", "张管理", "--unit", "乌鲁木齐市卫生监督所",
                                 "--role", "admin"], input="first-admin-pw\nfirst-admin-pw\n")
    assert result.exit_code == 0 and "已创建用户 zhang（张管理，乌鲁木齐市卫生监督所，管理员）" in result.output
    with app.app_context():
        assert Area.get(Area.code == "650100").parent.code == "650000" and Unit.select().count() == 1
        assert not User.get(User.username == "zhang").is_demo
        assert [e.action for e in AuditEntry.select().order_by(AuditEntry.id)] == ["area.create", "area.create", "unit.create", "user.create"]
    b = browser()
    assert b.login("zhang", "first-admin-pw").status_code == 302
    log = b.get("/audit/").get_data(as_text=True)
    assert BANNER not in log
    for words in ("新增地区", "新增执法单位", "新增用户", "系统（命令行或自动任务）", "上级地区", "角色", "管理员"):
        assert words in log, words


@pytest.mark.parametrize("args,said", [
    (["create-area", "65", "错"], "应为 6 位数字"),
    (["create-area", "650100", "市", "--parent", "659999"], "找不到上级地区 659999"),
    (["create-unit", "某所", "--area", "659999", "--short", "某"], "找不到地区 659999"),
])
def test_setup_commands_refuse_in_chinese(runner, app, args, said):
    result = runner.invoke(args=args)
    assert result.exit_code != 0 and said in result.output, result.output


def test_setup_commands_refuse_duplicates_and_depth(runner, org):
    assert "已存在" in runner.invoke(args=["create-area", "650102", "又一个甲区"]).output
    assert "不能再有下级地区" in runner.invoke(args=["create-area", "650199", "街道", "--parent", "650102"]).output
    assert "已存在" in runner.invoke(args=["create-unit", "甲区卫生监督所", "--area", "650102", "--short", "甲"]).output


def _make(target, tmp_path, *extra):
    """Run a Makefile target against a fresh SQLite file with this interpreter's venv (never
    reinstalling it: -o marks the venv's install stamp as up to date)."""
    venv = os.path.dirname(os.path.dirname(sys.executable))
    env = dict(os.environ, DATABASE_URL=f"sqlite:///{tmp_path}/make.db", SUIJIAN_INSTANCE=str(tmp_path / "instance"))
    return subprocess.run(["make", "-s", "-o", f"{venv}/.run", target, f"VENV={venv}", *extra], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)


def _users(tmp_path):
    import sqlite3

    with sqlite3.connect(tmp_path / "make.db") as c:
        return c.execute('SELECT COUNT(*), COALESCE(SUM(is_demo), 0) FROM "user"').fetchone()


@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
def test_make_db_demo_0_sets_up_an_empty_database(tmp_path):
    done = _make("db", tmp_path, "DEMO=0")
    assert done.returncode == 0, done.stderr
    assert "数据库已初始化" in done.stdout and "未载入演示数据" in done.stdout and "create-user" in done.stdout
    assert _users(tmp_path) == (0, 0)


@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
def test_make_db_loads_the_demo_by_default(tmp_path):
    done = _make("db", tmp_path)
    assert done.returncode == 0, done.stderr
    assert "已载入演示数据" in done.stdout
    assert _users(tmp_path) == (16, 16)
    again = _make("db", tmp_path, "DEMO=0")  # DEMO=0 on the demo's database says so and stops
    assert again.returncode != 0 and "数据库中有演示账号" in again.stderr


def test_existing_demo_database_is_recognised(empty_app):
    """A database loaded with the demo before 0131 gets its demo accounts marked (and only those)."""
    from webapp import migrate
    from webapp.db import db

    migrate.upgrade(target="0130_audit_area")
    p = db.param
    db.execute_sql("INSERT INTO area (code, name, level, path) VALUES ('650100', '乌鲁木齐市', 1, '/650100/')")
    db.execute_sql("INSERT INTO unit (name, short_name, kind, area_id) VALUES ('乌鲁木齐市卫生监督所', '乌', '卫生监督所', 1)")
    for name in ("admin", "ts_jdy1", "zhang"):
        db.execute_sql(f'INSERT INTO "user" (username, name, unit_id, phone, password_hash, active, created_at) '
                       f"VALUES ('{name}', '{name}', 1, '', 'x', {p}, '2024-01-01 00:00:00')", (True,))
    assert empty_app.test_cli_runner().invoke(args=["db-upgrade"]).exit_code == 0
    marked = dict(db.execute_sql('SELECT username, is_demo FROM "user"').fetchall())
    assert {k: bool(v) for k, v in marked.items()} == {"admin": True, "ts_jdy1": True, "zhang": False}

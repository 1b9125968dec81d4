"""Schema migrations: a database made by an older schema is upgraded without losing rows."""
import pytest

from webapp import create_app, migrate
from webapp.db import db

from .conftest import PG_SCHEMA, PG_URL, _Pg


@pytest.fixture
def empty_app(backend, tmp_path, monkeypatch):
    monkeypatch.setenv("SUIJIAN_INSTANCE", str(tmp_path / "instance"))
    if backend == "sqlite":
        url = f"sqlite:///{tmp_path}/old.db"
    else:
        url = PG_URL
        _Pg.ready = False  # this test rebuilds the schema; the next test starts afresh
    app = create_app({"DATABASE_URL": url, "SECRET_KEY": "x"})
    db.connect(reuse_if_open=True)
    if backend == "postgres":
        db.execute_sql(f"DROP SCHEMA IF EXISTS {PG_SCHEMA} CASCADE")
        db.execute_sql(f"CREATE SCHEMA {PG_SCHEMA}")
    yield app
    if not db.is_closed():
        db.close()


def test_upgrade_keeps_rows(empty_app):
    applied = migrate.upgrade(target="0001_organisation")
    assert applied == ["0001_organisation"]
    assert "login_attempt" not in db.get_tables()
    db.execute_sql("INSERT INTO area (code, name, level, path) VALUES ('110000', '北京市', 1, '/110000/')")
    db.execute_sql("INSERT INTO unit (name, short_name, kind, area_id) VALUES ('北京市卫生监督所', '京', '卫生监督所', 1)")
    p = db.param  # '?' on SQLite, '%s' on PostgreSQL
    db.execute_sql(f'INSERT INTO "user" (username, name, unit_id, phone, password_hash, active, created_at) '
                   f"VALUES ('old', '老用户', 1, '', 'x', {p}, '2024-01-01 00:00:00')", (True,))
    assert migrate.pending()[0] == "0002_login_attempts"

    result = empty_app.test_cli_runner().invoke(args=["db-upgrade"])
    assert result.exit_code == 0, result.output
    assert "已应用迁移 0002_login_attempts" in result.output
    assert migrate.pending() == []
    from webapp.org.models import User

    old = User.get(User.username == "old")
    assert old.name == "老用户" and old.unit.name == "北京市卫生监督所"
    assert {"login_attempt", "institution"} <= set(db.get_tables())

    again = empty_app.test_cli_runner().invoke(args=["db-upgrade"])
    assert "没有待应用的迁移" in again.output


def test_init_db_creates_everything(empty_app):
    result = empty_app.test_cli_runner().invoke(args=["init-db"])
    assert result.exit_code == 0 and "数据库已初始化" in result.output
    assert migrate.pending() == []
    assert "数据库已是最新结构" in empty_app.test_cli_runner().invoke(args=["init-db"]).output

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


def test_0150_records_the_period_kind_of_old_summaries(empty_app):
    """Old summaries keep their dates; one with dates was a range chosen by hand ("custom"), one
    without counted every date and says so (不限检查日期)."""
    migrate.upgrade(target="0001_organisation")
    db.execute_sql("INSERT INTO area (code, name, level, path) VALUES ('110000', '北京市', 1, '/110000/')")
    db.execute_sql("INSERT INTO unit (name, short_name, kind, area_id) VALUES ('北京市卫生监督所', '京', '卫生监督所', 1)")
    p = db.param
    db.execute_sql(f'INSERT INTO "user" (username, name, unit_id, phone, password_hash, active, created_at) '
                   f"VALUES ('old', '老用户', 1, '', 'x', {p}, '2024-01-01 00:00:00')", (True,))
    migrate.upgrade(target="0131_user_demo")
    for n, (start, end) in enumerate([("2025-01-01", "2025-06-30"), (None, None)], 1):
        db.execute_sql("INSERT INTO summary_report (plan_id, plan_version, area_id, number, period_start, period_end, status, "
                       "figures, unit_name, prepared_by_id, prepared_at, phone, return_reason) "
                       f"VALUES ('2025-xj-yiliao', 'v1', 1, {p}, {p}, {p}, 3, '[]', '北京市卫生监督所', 1, "
                       "'2025-07-01 10:00:00', '', '')", (n, start, end))
    assert "0150_summary_period_kind" in migrate.pending()
    migrate.upgrade()
    from webapp.reports import periods, workflow
    from webapp.reports.models import SummaryReport

    ranged, unbounded = SummaryReport.select().order_by(SummaryReport.number)
    assert (ranged.period_kind, unbounded.period_kind) == ("custom", "")
    assert periods.describe(workflow.period_of(ranged)) == "自定义期间（2025-01-01 至 2025-06-30）"
    assert periods.describe(workflow.period_of(unbounded)) == "不限检查日期"

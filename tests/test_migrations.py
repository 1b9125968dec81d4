"""Schema migrations: a database made by an older schema is upgraded without losing rows."""

from webapp import migrate
from webapp.db import db



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


def test_file_names_stored_before_the_rule_are_cleaned(empty_app, backend):
    """0080: a name with a NUL byte (SQLite kept it; PostgreSQL refuses it) or a newline is cleaned."""
    migrate.upgrade(target="0060_task_imports")
    p = db.param
    db.execute_sql("INSERT INTO area (code, name, level, path) VALUES ('650102', '甲区', 3, '/650102/')")
    db.execute_sql("INSERT INTO unit (name, short_name, kind, area_id) VALUES ('甲区卫生监督所', '甲', '卫生监督所', 1)")
    db.execute_sql(f'INSERT INTO "user" (username, name, unit_id, phone, password_hash, active, created_at) '
                   f"VALUES ('a', 'a', 1, '', 'x', {p}, '2024-01-01 00:00:00')", (True,))
    bad = "任务\r\n清单.xlsx" if backend == "postgres" else "任务\x00\r\n清单.xlsx"
    for name in (bad, "好的清单.xlsx"):
        db.execute_sql(f"INSERT INTO import_batch (plan_id, area_id, source, file_name, file_hash, signature, status, mapping, "
                       f"resolutions, created_by_id, created_at) VALUES ('p', 1, 's', {p}, 'h', '', '待确认', '', '{{}}', 1, "
                       f"'2024-01-01 00:00:00')", (name,))
    migrate.upgrade()
    names = [n for (n,) in db.execute_sql("SELECT file_name FROM import_batch ORDER BY id").fetchall()]
    assert names == ["任务 清单.xlsx", "好的清单.xlsx"]

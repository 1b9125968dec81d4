"""The factory, configuration, the secret key and error pages."""
import os

from webapp import create_app
from webapp.config import Config, TestConfig


def test_config_classes():
    assert not Config.TESTING and TestConfig.TESTING
    assert Config.SECRET_KEY is None  # never written in code


def test_secret_key_generated_once_into_instance(tmp_path, monkeypatch):
    monkeypatch.setenv("SUIJIAN_INSTANCE", str(tmp_path))
    monkeypatch.delenv("DATABASE_URL", raising=False)
    first = create_app()
    key_file = tmp_path / "secret_key"
    assert key_file.exists() and oct(key_file.stat().st_mode & 0o777) == "0o600"
    assert first.config["SECRET_KEY"] == key_file.read_text().strip() and len(first.config["SECRET_KEY"]) == 64
    assert create_app().config["SECRET_KEY"] == first.config["SECRET_KEY"]


def test_instance_config_overrides(tmp_path, monkeypatch):
    monkeypatch.setenv("SUIJIAN_INSTANCE", str(tmp_path))
    (tmp_path / "config.py").write_text('LOGIN_MAX_FAILURES = 9\nDATABASE_URL = "sqlite:///%s/other.db"\n' % tmp_path)
    app = create_app()
    assert app.config["LOGIN_MAX_FAILURES"] == 9
    assert app.config["DATABASE_URL"].endswith("other.db")


def test_default_database_is_sqlite_wal_in_instance(tmp_path, monkeypatch):
    monkeypatch.setenv("SUIJIAN_INSTANCE", str(tmp_path))
    monkeypatch.delenv("DATABASE_URL", raising=False)
    from webapp.db import db

    create_app()
    db.connect(reuse_if_open=True)
    try:
        assert db.obj.database == os.path.join(str(tmp_path), "suijian.db")
        assert db.execute_sql("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert db.execute_sql("PRAGMA foreign_keys").fetchone()[0] == 1
        assert db.execute_sql("PRAGMA busy_timeout").fetchone()[0] == 5000  # DB_BUSY_TIMEOUT_MS default
        assert db.execute_sql("PRAGMA synchronous").fetchone()[0] == 1  # NORMAL
    finally:
        db.close()


def test_busy_timeout_is_a_setting(tmp_path, monkeypatch):
    monkeypatch.setenv("SUIJIAN_INSTANCE", str(tmp_path))
    from webapp.db import db

    create_app({"DATABASE_URL": f"sqlite:///{tmp_path / 'x.db'}", "SECRET_KEY": "k", "DB_BUSY_TIMEOUT_MS": 1234})
    db.connect(reuse_if_open=True)
    try:
        assert db.execute_sql("PRAGMA busy_timeout").fetchone()[0] == 1234
    finally:
        db.close()


def test_testing_flag(app):
    assert app.testing


def test_404_page_in_chinese(browser, org):
    resp = browser("jdy1").get("/no-such-page")
    assert resp.status_code == 404
    assert "页面不存在" in resp.get_data(as_text=True)


def test_security_headers_forbid_outside_hosts(browser, org):
    resp = browser().get("/login")
    csp = resp.headers["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "http" not in csp


def test_500_page_in_chinese(app, org, browser):
    """An unexpected error shows a Chinese page (and is logged), never a stack trace."""

    @app.route("/boom")
    def boom():
        raise RuntimeError("boom")

    app.config["PROPAGATE_EXCEPTIONS"] = False
    resp = browser("jdy1").get("/boom")
    assert resp.status_code == 500
    page = resp.get_data(as_text=True)
    assert "系统错误" in page and "RuntimeError" not in page


def test_403_page_in_chinese(browser, org):
    resp = browser("jdy1").get("/admin/users")
    assert resp.status_code == 403 and "无权访问" in resp.get_data(as_text=True)

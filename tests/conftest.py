"""Fixtures: a real database per test (a temp SQLite file, and PostgreSQL too when
TEST_DATABASE_URL is set), the app, a signed-in client helper, org factories."""
import os
import re
import shutil

import pytest

from webapp import create_app
from webapp.db import db, make_database
from webapp import migrate

from . import factories

PG_BASE = os.environ.get("TEST_DATABASE_URL", "")
# Each pytest process works in its own schema, so parallel runs against one server never meet.
PG_SCHEMA = f"pytest_{os.getpid()}"
PG_URL = f"{PG_BASE}{'&' if '?' in PG_BASE else '?'}schema={PG_SCHEMA}" if PG_BASE else ""
BACKENDS = ["sqlite"] + (["postgres"] if PG_URL else [])


def _build_schema(url, instance):
    """Bind the shared database object to url and apply every migration."""
    if db.obj is not None and not db.is_closed():
        db.close()
    db.initialize(make_database(url, instance))
    db.connect()
    migrate.upgrade()
    db.close()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory):
    """A migrated SQLite file built once; each test gets a copy (migrations are not re-run)."""
    folder = tmp_path_factory.mktemp("template")
    path = folder / "template.db"
    _build_schema(f"sqlite:///{path}", str(folder))
    return path


class _Pg:
    """PostgreSQL: migrate once per session, then empty every table between tests."""

    ready = False

    @classmethod
    def reset(cls, instance):
        if not cls.ready:
            if db.obj is not None and not db.is_closed():
                db.close()
            db.initialize(make_database(PG_BASE, instance))
            db.connect()
            db.execute_sql(f"DROP SCHEMA IF EXISTS {PG_SCHEMA} CASCADE")
            db.execute_sql(f"CREATE SCHEMA {PG_SCHEMA}")
            db.close()
            _build_schema(PG_URL, instance)
            cls.ready = True
        db.initialize(make_database(PG_URL, instance))
        db.connect()
        tables = [t for t in db.get_tables() if t != "schema_migration"]
        if tables:
            db.execute_sql("TRUNCATE " + ", ".join(f'"{t}"' for t in tables) + " RESTART IDENTITY CASCADE")
        db.close()


@pytest.fixture(scope="session", autouse=True)
def _drop_pg_schema():
    yield
    if PG_BASE and _Pg.ready is not None:
        pg = make_database(PG_BASE, ".")
        pg.connect()
        pg.execute_sql(f"DROP SCHEMA IF EXISTS {PG_SCHEMA} CASCADE")
        pg.close()


@pytest.fixture(params=BACKENDS)
def backend(request):
    return request.param


@pytest.fixture
def database_url(backend, tmp_path, sqlite_template):
    if backend == "sqlite":
        path = tmp_path / "test.db"
        shutil.copy(sqlite_template, path)
        return f"sqlite:///{path}"
    _Pg.reset(str(tmp_path))
    return PG_URL


@pytest.fixture
def app(database_url, tmp_path, monkeypatch):
    monkeypatch.setenv("SUIJIAN_INSTANCE", str(tmp_path / "instance"))
    application = create_app({"DATABASE_URL": database_url, "SECRET_KEY": "test-secret"})
    # No app context stays pushed during the test: Flask would reuse it for every request and
    # leak `g` (e.g. flask-wtf's cached CSRF token) from one request into the next.
    db.connect(reuse_if_open=True)
    yield application
    if not db.is_closed():
        db.close()


@pytest.fixture
def empty_app(backend, tmp_path, monkeypatch):
    """An app on a database with no tables yet (migration tests build it themselves)."""
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


@pytest.fixture
def org(app):
    """Province → city → two districts, with users of every role (see factories.make_org)."""
    with app.app_context():
        return factories.make_org()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


CSRF_RE = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')
HX_CSRF_RE = re.compile(r'"X-CSRFToken": "([^"]+)"')


class Browser:
    """A test client that signs in through the real form and carries the CSRF token."""

    def __init__(self, app):
        self.app = app
        self.client = app.test_client()
        self.token = None

    def login(self, username, password=factories.PASSWORD):
        page = self.client.get("/login").get_data(as_text=True)
        token = CSRF_RE.search(page).group(1)
        resp = self.client.post("/login", data={"username": username, "password": password, "csrf_token": token})
        if resp.status_code == 302:
            self.refresh_token()
        return resp

    def refresh_token(self):
        page = self.client.get("/").get_data(as_text=True)
        self.token = HX_CSRF_RE.search(page).group(1)

    def get(self, url, htmx=False, **kw):
        headers = kw.pop("headers", {})
        if htmx:
            headers["HX-Request"] = "true"
        return self.client.get(url, headers=headers, **kw)

    def post(self, url, data=None, htmx=False, csrf=True, **kw):
        """POST a form; the token goes in the form (plain) or the X-CSRFToken header (htmx)."""
        data = dict(data or {})
        headers = kw.pop("headers", {})
        if htmx:
            headers["HX-Request"] = "true"
            if csrf:
                headers["X-CSRFToken"] = self.token
        elif csrf:
            data.setdefault("csrf_token", self.token)
        return self.client.post(url, data=data, headers=headers, **kw)


@pytest.fixture
def browser(app):
    """Factory: browser("username") returns a signed-in Browser."""

    def make(username=None):
        b = Browser(app)
        if username:
            resp = b.login(username)
            assert resp.status_code == 302, resp.get_data(as_text=True)
        return b

    return make

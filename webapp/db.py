"""The one database object, deferred until create_app knows which database to use.

SQLite (default, a file in instance/) runs in WAL mode with foreign keys on and a busy timeout,
so that an inspector's autosave and a reviewer's approval do not fail on a momentary lock.
PostgreSQL is selected with DATABASE_URL=postgresql://… and uses psycopg 3.
"""
import os
from urllib.parse import parse_qs, unquote, urlparse

from peewee import DatabaseProxy, Model, SqliteDatabase
from playhouse.postgres_ext import Psycopg3Database

db = DatabaseProxy()

SQLITE_PRAGMAS = {
    "journal_mode": "wal",
    "foreign_keys": 1,
    "busy_timeout": 10000,
    "synchronous": "normal",
    "cache_size": -16000,
}


class BaseModel(Model):
    class Meta:
        database = db
        legacy_table_names = False


def make_database(url, instance_path):
    """Return an unconnected peewee database for url ('' means instance/suijian.db)."""
    if not url or url.startswith("sqlite"):
        path = url.split("///", 1)[1] if url.startswith("sqlite:///") else os.path.join(instance_path, "suijian.db")
        return SqliteDatabase(path, pragmas=SQLITE_PRAGMAS, timeout=10)
    parts = urlparse(url)
    if parts.scheme not in ("postgres", "postgresql"):
        raise ValueError(f"不支持的数据库地址：{url}")
    extra = {}
    schema = parse_qs(parts.query).get("schema")
    if schema:
        # ?schema=NAME puts every table in that schema (the tests give each run its own).
        extra["options"] = f"-c search_path={schema[0]}"
    return Psycopg3Database(
        parts.path.lstrip("/"),
        user=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password else None,
        host=parts.hostname,
        port=parts.port or 5432,
        **extra,
    )


def init_app(app):
    db.initialize(make_database(app.config["DATABASE_URL"], app.instance_path))

    @app.before_request
    def _connect():
        db.connect(reuse_if_open=True)

    @app.teardown_request
    def _close(exc):
        if not db.is_closed():
            db.close()


def is_postgres():
    return isinstance(db.obj, Psycopg3Database)

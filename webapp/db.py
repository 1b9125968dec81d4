"""The one database object, deferred until create_app knows which database to use.

SQLite (default, a file in instance/) runs in WAL mode with foreign keys on and a busy timeout,
so that an inspector's autosave and a reviewer's approval do not fail on a momentary lock.
PostgreSQL is selected with DATABASE_URL=postgresql://… and uses psycopg 3.
"""
import os
import time
from contextlib import contextmanager
from urllib.parse import parse_qs, unquote, urlparse

import peewee
from peewee import DatabaseProxy, Model, OperationalError, SqliteDatabase
from playhouse.postgres_ext import Psycopg3Database

from .errors import BUSY_MESSAGE, Busy, Invalid, too_long  # noqa: F401  (Busy: transaction() raises it)

db = DatabaseProxy()

# Chosen for many writers at once (inspectors autosaving while reviewers approve):
# - WAL: readers never block the one writer, and the writer never blocks readers.
# - synchronous=NORMAL: in WAL mode a commit is durable against a crash of the process (kill -9);
#   only a power loss may drop the last commits, never corrupt the file.
# - busy_timeout: a writer that finds the write lock taken waits up to this long instead of
#   failing at once; every write begins IMMEDIATE (see transaction()), so this wait is where
#   concurrent writers queue. A write transaction lasts milliseconds, so 5 s is a long queue;
#   write() tries 3 times, which stays inside gunicorn's 30 s worker timeout. The app setting
#   DB_BUSY_TIMEOUT_MS changes it (on PostgreSQL it is the lock_timeout of row locks).
BUSY_TIMEOUT_MS = 5000
SQLITE_PRAGMAS = {
    "journal_mode": "wal",
    "foreign_keys": 1,
    "busy_timeout": BUSY_TIMEOUT_MS,
    "synchronous": "normal",
    "cache_size": -16000,
}




class TextField(peewee.TextField):
    """A TEXT column with the longest text the app accepts in it (`max_length`, like a
    CharField's): webapp.inputs.limit() reads it for the form check, the model check below and
    the templates. The column itself is unchanged (no migration)."""

    def __init__(self, *args, max_length=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.max_length = max_length


class BaseModel(Model):
    class Meta:
        database = db
        legacy_table_names = False

    @classmethod
    def _normalize_data(cls, data, kwargs):
        # Every insert, update and save passes here: the last check that a text fits its column
        # (PostgreSQL would refuse it with a 500, SQLite would store it whole) and holds no NUL.
        # The features check the same limits first and show them beside the field; this only
        # catches a path that forgot, as an Invalid (a 422), never a 500 or a silent overflow.
        normalized = super()._normalize_data(data, kwargs)
        if isinstance(normalized, dict):
            errors = {}
            for field, value in normalized.items():
                if isinstance(value, str) and isinstance(field, peewee.Field):
                    n = getattr(field, "max_length", None)
                    if n is not None and too_long("", value, n):
                        errors[field.name] = too_long("", value, n)
                    elif "\x00" in value:
                        errors[field.name] = "含有无效的控制字符。"
            if errors:
                raise Invalid(errors)
        return normalized


def make_database(url, instance_path, busy_timeout_ms=None):
    """Return an unconnected peewee database for url ('' means instance/suijian.db).

    busy_timeout_ms: how long a write waits for a lock (default BUSY_TIMEOUT_MS)."""
    busy = int(busy_timeout_ms if busy_timeout_ms is not None else BUSY_TIMEOUT_MS)
    if not url or url.startswith("sqlite"):
        path = url.split("///", 1)[1] if url.startswith("sqlite:///") else os.path.join(instance_path, "suijian.db")
        return SqliteDatabase(path, pragmas={**SQLITE_PRAGMAS, "busy_timeout": busy}, timeout=busy / 1000)
    parts = urlparse(url)
    if parts.scheme not in ("postgres", "postgresql"):
        raise ValueError(f"不支持的数据库地址：{url}")
    # lock_timeout: a row lock (locked(), an UPDATE) not had in this time fails the statement,
    # which transaction() turns into Busy (retried by write(), then 503 请稍后重试).
    options = [f"-c lock_timeout={busy}"]
    schema = parse_qs(parts.query).get("schema")
    if schema:
        # ?schema=NAME puts every table in that schema (the tests give each run its own).
        options.append(f"-c search_path={schema[0]}")
    extra = {"options": " ".join(options)}
    return Psycopg3Database(
        parts.path.lstrip("/"),
        user=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password else None,
        host=parts.hostname,
        port=parts.port or 5432,
        **extra,
    )


def init_app(app):
    db.initialize(make_database(app.config["DATABASE_URL"], app.instance_path, app.config.get("DB_BUSY_TIMEOUT_MS")))

    @app.before_request
    def _connect():
        db.connect(reuse_if_open=True)

    @app.teardown_request
    def _close(exc):
        if not db.is_closed():
            db.close()


def is_postgres():
    return isinstance(db.obj, Psycopg3Database)


def _is_lock_error(exc):
    text = str(exc).lower()
    return "database is locked" in text or "database table is locked" in text or "lock timeout" in text \
        or "deadlock detected" in text or "could not serialize" in text


@contextmanager
def transaction():
    """The one way to open a write transaction (every feature uses it; none opens its own kind).

    SQLite: BEGIN IMMEDIATE takes the write lock at the start, so a transaction that reads and
    then writes can never fail on the upgrade of a stale snapshot ("database is locked" after a
    read); concurrent writers wait on busy_timeout instead. PostgreSQL: a plain transaction, in
    which the reads that decide a write take row locks with locked() below.
    Nested use is a savepoint. A lock that cannot be had in time raises Busy.
    """
    nested = db.in_transaction()
    try:
        with (db.atomic() if nested or is_postgres() else db.atomic("IMMEDIATE")):
            yield
    except OperationalError as exc:
        if not nested and _is_lock_error(exc):
            raise Busy(BUSY_MESSAGE) from exc
        raise


def write(fn, *args, attempts=3, **kwargs):
    """Run fn(*args, **kwargs) inside transaction(), retrying when the lock was not to be had
    (SQLite busy, PostgreSQL deadlock or serialization failure); Busy after the last attempt."""
    for attempt in range(attempts):
        try:
            with transaction():
                return fn(*args, **kwargs)
        except Busy:
            if attempt == attempts - 1:
                raise
            time.sleep(0.05 * (attempt + 1))


def locked(query):
    """The rows of query, locked for the rest of the transaction where the database needs it:
    on PostgreSQL SELECT … FOR UPDATE; on SQLite the IMMEDIATE transaction already holds the one
    write lock, so a plain SELECT inside it cannot be overtaken."""
    return query.for_update() if is_postgres() else query

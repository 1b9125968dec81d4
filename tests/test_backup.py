"""`flask --app webapp backup FILE` while the app keeps writing, then `restore FILE` into a fresh
instance: every table and every stored file compared (SQLite, and PostgreSQL when set)."""
import io
import json
import os
import tarfile
import threading
import time

import pytest

from webapp import create_app, uploads
from webapp.audit import trail
from webapp.db import db, make_database, transaction

from . import factories
from .conftest import PG_BASE, PG_SCHEMA

# tables the writer thread adds rows to while the backup runs: the copy holds a subset
WRITTEN = {"unit", "audit_entry"}
# its one-row counters: the counter checked against the rows below, the audit head by verify()
COUNTERS = {"login_throttle", "audit_head"}
COUNTER = ("address", "backup-load-counter")


def _rows(database, table):
    cur = database.execute_sql(f'SELECT * FROM "{table}"')
    cols = [d[0] for d in cur.description]
    return cols, sorted((tuple(r) for r in cur.fetchall()), key=repr)


def _files(instance):
    out = {}
    for folder, _, names in os.walk(instance):
        for name in names:
            full = os.path.join(folder, name)
            rel = os.path.relpath(full, instance)
            if os.sep in rel:  # the stores, not secret_key or the SQLite file
                with open(full, "rb") as fh:
                    out[rel] = fh.read()
    return out


class Writer(threading.Thread):
    """Saves as an inspector would: a stored file, a row naming it, an audit entry and a
    counter, all in one transaction, again and again."""

    def __init__(self, app, area):
        super().__init__(daemon=True)
        self.app, self.area, self.done, self.stop, self.error = app, area, 0, threading.Event(), None

    def run(self):
        from webapp.auth.models import LoginThrottle
        from webapp.org.models import Unit

        try:
            with self.app.app_context():
                db.connect(reuse_if_open=True)
                while not self.stop.is_set():
                    i = self.done
                    sha = uploads.store(f"load file {i} ".encode() * 2000)
                    with transaction():
                        unit = Unit.create(name=f"load:{i}:{sha}", kind="负载", area=self.area)
                        trail.record(None, "create", "unit", unit.id, after={"name": unit.name})
                        LoginThrottle.insert(kind=COUNTER[0], key=COUNTER[1], failures=0).on_conflict_ignore().execute()
                        LoginThrottle.update(failures=LoginThrottle.failures + 1).where(
                            (LoginThrottle.kind == COUNTER[0]) & (LoginThrottle.key == COUNTER[1])).execute()
                    self.done += 1
                db.close()
        except Exception as e:  # reported by the test
            self.error = e

    def wait_for(self, n, timeout=30):
        end = time.monotonic() + timeout
        while self.done < n and time.monotonic() < end and self.error is None:
            time.sleep(0.01)
        assert self.error is None and self.done >= n, self.error


@pytest.fixture
def fresh(backend, tmp_path, monkeypatch):
    """Where the restore goes: a new instance folder and an empty database."""
    instance = tmp_path / "fresh-instance"
    if backend == "sqlite":
        yield str(instance), f"sqlite:///{tmp_path / 'fresh.db'}"
        return
    # One database kept for restores (DROP DATABASE waits for a checkpoint, ~15 s); each run
    # restores into its own schema there and drops that schema afterwards.
    name = "suijian_restore_test"
    admin = make_database(PG_BASE, str(tmp_path))
    admin.connect()
    if not admin.execute_sql("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone():
        try:
            admin.execute_sql(f"CREATE DATABASE {name}")
        except Exception:  # another run made it at the same moment
            pass
    admin.close()
    base = PG_BASE.split("?")[0].rsplit("/", 1)[0]
    target = make_database(f"{base}/{name}", str(tmp_path))
    target.connect()
    target.execute_sql(f"DROP SCHEMA IF EXISTS {PG_SCHEMA} CASCADE")
    target.close()
    yield str(instance), f"{base}/{name}?schema={PG_SCHEMA}"
    if not db.is_closed():
        db.close()
    target.connect()
    target.execute_sql(f"DROP SCHEMA IF EXISTS {PG_SCHEMA} CASCADE")
    target.close()


def _restore_app(fresh, monkeypatch):
    instance, url = fresh
    if not db.is_closed():
        db.close()
    monkeypatch.setenv("SUIJIAN_INSTANCE", instance)
    return create_app({"DATABASE_URL": url, "SECRET_KEY": "another-secret"})


def test_backup_under_write_load_restores_every_table_and_file(app, org, browser, runner, database_url, fresh, monkeypatch, tmp_path):
    with app.app_context():
        for i in range(5):
            uploads.store(os.urandom(300_000))  # photos
        uploads.store(b"uploaded list", "uploads")  # another store under instance/
    signed_in = browser("jdy1")
    stolen = signed_in.client.get_cookie("suijian_session").value
    archive = tmp_path / "suijian-backup.tar.gz"

    writer = Writer(app, org.d1)
    writer.start()
    writer.wait_for(5)
    before = writer.done
    result = runner.invoke(args=["backup", str(archive)])
    during = writer.done
    writer.wait_for(during + 5)
    writer.stop.set()
    writer.join(30)
    assert result.exit_code == 0, result.output
    assert "已备份到" in result.output
    assert writer.error is None and during > before, "the writer kept writing while the backup ran"

    source_instance = app.instance_path
    source = make_database(database_url, source_instance)
    restored_app = _restore_app(fresh, monkeypatch)
    result = restored_app.test_cli_runner().invoke(args=["restore", str(archive)])
    assert result.exit_code == 0, result.output
    assert "所有用户需重新登录" in result.output
    copy = make_database(fresh[1], fresh[0])
    source.connect()
    copy.connect()
    try:
        tables = sorted(source.get_tables())
        assert sorted(copy.get_tables()) == tables and len(tables) > 20
        for table in tables:
            cols, src = _rows(source, table)
            cols2, dst = _rows(copy, table)
            assert cols2 == cols, table
            if table == "user_session":
                keep = [i for i, c in enumerate(cols) if c not in ("ended_at", "ended_why")]
                assert [tuple(r[i] for i in keep) for r in dst] == [tuple(r[i] for i in keep) for r in src]
                assert dst and all(r[cols.index("ended_why")] in ("restore", "logout") for r in dst)
            elif table in COUNTERS:
                if table == "login_throttle":
                    key = cols.index("key")
                    assert [r for r in dst if r[key] != COUNTER[1]] == [r for r in src if r[key] != COUNTER[1]]
            elif table in WRITTEN:
                assert set(dst) <= set(src), table  # nothing the source never had
            else:
                assert dst == src, table
        # one snapshot: the counter, the rows and the audit entries agree, and nothing after it
        n = copy.execute_sql("SELECT failures FROM login_throttle WHERE kind = %s AND key = %s" if copy.param == "%s"
                             else "SELECT failures FROM login_throttle WHERE kind = ? AND key = ?", COUNTER).fetchone()[0]
        print(f"writes: {before} before the backup, {during} when it ended, {n} in the copy, {writer.done} in all")
        assert before <= n <= during + 1
        loads = [r[0] for r in copy.execute_sql("SELECT name FROM unit WHERE kind = '负载'").fetchall()]
        assert len(loads) == n
        assert copy.execute_sql("SELECT COUNT(*) FROM audit_entry").fetchone()[0] == \
            source.execute_sql("SELECT COUNT(*) FROM audit_entry").fetchone()[0] - (writer.done - n)
    finally:
        source.close()
        copy.close()

    src_files, dst_files = _files(source_instance), _files(fresh[0])
    assert len(dst_files) >= 6 + n
    for rel, data in dst_files.items():
        assert src_files.get(rel) == data, rel
    for rel in src_files:  # every file but those the writer made after the snapshot
        assert rel in dst_files or src_files[rel].startswith(b"load file "), rel
    for name in loads:
        assert os.path.join("evidence", name.split(":")[2][:2], name.split(":")[2]) in dst_files

    with restored_app.app_context():
        db.connect(reuse_if_open=True)
        assert trail.verify()[2] == ""  # the audit chain of the copy is intact
    # the copy works: the same accounts sign in; a cookie from before is no use
    client = restored_app.test_client()
    client.set_cookie("suijian_session", stolen)
    assert client.get("/").status_code == 302
    from .conftest import Browser

    assert Browser(restored_app).login("jdy1", factories.PASSWORD).status_code == 302


def _archive(tmp_path, members):
    path = tmp_path / "bad.tar"
    with tarfile.open(path, "w") as tar:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return path


def test_restore_refuses_a_database_with_data(app, org, runner, tmp_path):
    archive = tmp_path / "b.tar"
    assert runner.invoke(args=["backup", str(archive)]).exit_code == 0
    result = runner.invoke(args=["restore", str(archive)])
    assert result.exit_code != 0 and "已有数据" in result.output and "--force" in result.output
    result = runner.invoke(args=["restore", "--force", str(archive)])
    assert result.exit_code == 0, result.output


def test_restore_refuses_damaged_and_foreign_archives(app, runner, tmp_path, backend):
    archive = tmp_path / "b.tar"
    assert runner.invoke(args=["backup", str(archive)]).exit_code == 0
    with tarfile.open(archive) as tar:
        members = {m.name: tar.extractfile(m).read() for m in tar if m.isfile()}
    manifest = json.loads(members["manifest.json"])
    db_member = manifest["database"]["member"]
    damaged = dict(members, **{db_member: members[db_member][:-10] + b"0123456789"})
    assert "已损坏" in runner.invoke(args=["restore", str(_archive(tmp_path, damaged))]).output
    evil = dict(members, **{"instance/../../escape.txt": b"x"})
    out = runner.invoke(args=["restore", str(_archive(tmp_path, evil))]).output
    assert "不允许的路径" in out and not (tmp_path / "escape.txt").exists()
    other = "sqlite" if backend != "sqlite" else "postgresql"
    foreign = dict(members, **{"manifest.json": json.dumps(dict(manifest, backend=other)).encode()})
    assert "不能直接恢复" in runner.invoke(args=["restore", str(_archive(tmp_path, foreign))]).output
    not_tar = tmp_path / "x.tar"
    not_tar.write_bytes(b"not an archive")
    assert "不是随检的备份文件" in runner.invoke(args=["restore", str(not_tar)]).output


def test_backup_into_a_missing_folder_is_a_plain_error(app, runner, tmp_path):
    result = runner.invoke(args=["backup", str(tmp_path / "no-such-folder" / "b.tar")])
    assert result.exit_code != 0 and "目录不存在" in result.output

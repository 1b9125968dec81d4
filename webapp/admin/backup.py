"""Backup and restore of the whole instance: the database and the files under instance/.

An archive (tar, gzip when the name ends in .gz/.tgz) holds
  manifest.json          what it is: format, backend, time, migrations, SHA-256 of every member
  database.sqlite3       SQLite: a copy made with SQLite's online backup API, or
  database.pgdump        PostgreSQL: `pg_dump --format=custom` (one consistent snapshot)
  instance/<folder>/…    every file of the stores under instance/ (evidence/, uploads/, …)

The database is copied first and the files after: files are content-addressed and written
before the row that names them commits, so every file the copied rows name is in the archive
(files newer than the copy come along too and are harmless). The copy runs while the app
keeps serving: SQLite's backup copies one snapshot under a read lock (WAL: writers go on),
pg_dump reads in one repeatable-read transaction.

Not in the archive: instance/secret_key and instance/config.py (they belong to the server,
not to the data; a stolen backup then signs no cookie) and the live database files.
"""
import datetime
import hashlib
import io
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from urllib.parse import parse_qs, unquote, urlparse

from flask import current_app

from ..db import db, is_postgres, transaction

FORMAT = 1
DB_MEMBER = {"sqlite": "database.sqlite3", "postgresql": "database.pgdump"}


class BackupError(Exception):
    """A Chinese message for the console."""


def _sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _store_files(instance):
    """(path inside the archive, full path) of every file in the folders under instance/."""
    live = set()
    if not is_postgres():  # a SQLite file kept in a folder under instance/ is not a store file
        live = {os.path.abspath(db.database) + suffix for suffix in ("", "-wal", "-shm", "-journal")}
    out = []
    for entry in sorted(os.listdir(instance)):
        top = os.path.join(instance, entry)
        if entry.startswith(".") or not os.path.isdir(top) or os.path.islink(top):
            continue
        for folder, dirs, files in os.walk(top):
            dirs[:] = sorted(d for d in dirs if not d.startswith("."))  # .backup-*/.restore-* work folders
            for name in sorted(files):
                if name.endswith(".tmp"):
                    continue  # a store write in progress (uploads.store renames when done)
                full = os.path.join(folder, name)
                if os.path.isfile(full) and not os.path.islink(full) and os.path.abspath(full) not in live:
                    out.append(("instance/" + os.path.relpath(full, instance).replace(os.sep, "/"), full))
    return out


def _pg(url=None):
    """libpq arguments and environment for DATABASE_URL (our ?schema= is not libpq's)."""
    parts = urlparse(url or current_app.config["DATABASE_URL"])
    args = ["-h", parts.hostname or "127.0.0.1", "-p", str(parts.port or 5432)]
    if parts.username:
        args += ["-U", unquote(parts.username)]
    env = dict(os.environ)
    if parts.password:
        env["PGPASSWORD"] = unquote(parts.password)
    schema = (parse_qs(parts.query).get("schema") or [None])[0]
    return args, parts.path.lstrip("/"), schema, env


def _run(cmd, env):
    try:
        done = subprocess.run(cmd, env=env, capture_output=True, text=True)
    except FileNotFoundError:
        raise BackupError(f"找不到 {cmd[0]}：请安装 PostgreSQL 客户端（postgresql-client）。")
    if done.returncode != 0:
        raise BackupError(f"{cmd[0]} 失败：{done.stderr.strip()[-2000:]}")


def _dump_database(folder):
    if is_postgres():
        args, name, schema, env = _pg()
        out = os.path.join(folder, DB_MEMBER["postgresql"])
        _run(["pg_dump", "--format=custom", "--no-owner", "--no-privileges", *args, "-f", out,
              *(["-n", schema] if schema else []), name], env)
        return "postgresql", out
    out = os.path.join(folder, DB_MEMBER["sqlite"])
    target = sqlite3.connect(out)
    try:
        # pages=-1: the whole file in one step, i.e. one snapshot; writers in WAL mode go on.
        db.connection().backup(target, pages=-1)
    finally:
        target.close()
    return "sqlite", out


def create(path):
    """Write a backup archive to path; return its manifest."""
    path = os.path.abspath(path)
    if not os.path.isdir(os.path.dirname(path)):
        raise BackupError(f"目录不存在：{os.path.dirname(path)}")
    instance = current_app.instance_path
    folder = tempfile.mkdtemp(prefix=".backup-", dir=os.path.dirname(path))
    try:
        backend, dump = _dump_database(folder)
        migrations = [r[0] for r in db.execute_sql("SELECT name FROM schema_migration ORDER BY name").fetchall()] \
            if "schema_migration" in db.get_tables() else []
        files = {}
        part = os.path.join(folder, "archive.part")
        with tarfile.open(part, "w:gz" if path.endswith((".gz", ".tgz")) else "w") as tar:
            tar.add(dump, DB_MEMBER[backend])
            for arcname, full in _store_files(instance):
                files[arcname] = _sha256(full)
                tar.add(full, arcname)
            manifest = {"format": FORMAT, "app": "suijian", "backend": backend,
                        "created_at": datetime.datetime.now().isoformat(timespec="seconds"),
                        "migrations": migrations,
                        "database": {"member": DB_MEMBER[backend], "sha256": _sha256(dump)},
                        "files": files}
            raw = json.dumps(manifest, ensure_ascii=False, indent=1).encode("utf-8")
            info = tarfile.TarInfo("manifest.json")
            info.size = len(raw)
            info.mtime = int(datetime.datetime.now().timestamp())
            tar.addfile(info, io.BytesIO(raw))
        os.replace(part, path)  # a half-written archive never has the final name
        return manifest
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _safe_member(name):
    if name in ("manifest.json", *DB_MEMBER.values()):
        return True
    parts = name.split("/")
    return len(parts) >= 3 and parts[0] == "instance" and all(p not in ("", ".", "..") for p in parts) \
        and "\\" not in name and not name.startswith("/")


def _unpack(path, folder):
    """Extract the archive into folder after checking every member's name; return the manifest
    with every hash verified."""
    try:
        tar = tarfile.open(path)
    except (OSError, tarfile.TarError):
        raise BackupError("不是随检的备份文件（无法读取归档）。")
    with tar:
        for member in tar:
            if not member.isfile():
                continue
            if not _safe_member(member.name):
                raise BackupError(f"备份文件含有不允许的路径：{member.name}")
            target = os.path.join(folder, *member.name.split("/"))
            os.makedirs(os.path.dirname(target), exist_ok=True)
            with tar.extractfile(member) as src, open(target, "wb") as dst:
                shutil.copyfileobj(src, dst)
    try:
        with open(os.path.join(folder, "manifest.json"), encoding="utf-8") as fh:
            manifest = json.load(fh)
    except (OSError, ValueError):
        raise BackupError("备份文件缺少说明（manifest.json），无法恢复。")
    if manifest.get("app") != "suijian" or manifest.get("format") != FORMAT:
        raise BackupError("不是本版本随检的备份文件。")
    checks = dict(manifest["files"])
    checks[manifest["database"]["member"]] = manifest["database"]["sha256"]
    for name, sha in checks.items():
        full = os.path.join(folder, *name.split("/"))
        if not os.path.isfile(full) or _sha256(full) != sha:
            raise BackupError(f"备份文件已损坏：{name} 缺失或校验不符。")
    return manifest


def _has_data():
    tables = db.get_tables()
    return "user" in tables and db.execute_sql('SELECT COUNT(*) FROM "user"').fetchone()[0] > 0


def _restore_files(folder, manifest):
    instance = current_app.instance_path
    for name in manifest["files"]:
        src = os.path.join(folder, *name.split("/"))
        dst = os.path.join(instance, *name.split("/")[1:])
        os.makedirs(os.path.dirname(dst), exist_ok=True)
        tmp = f"{dst}.{os.getpid()}.tmp"
        shutil.copyfile(src, tmp)
        os.replace(tmp, dst)


def _restore_database(dump, backend):
    if backend == "postgresql":
        args, name, schema, env = _pg()
        clean = bool(db.get_tables())
        db.close()  # pg_restore drops and creates tables: hold no connection meanwhile
        try:
            _run(["pg_restore", "--no-owner", "--no-privileges", "--exit-on-error", "--single-transaction",
                  *(["--clean", "--if-exists"] if clean else []), *args, "-d", name, dump], env)
        finally:
            db.connect(reuse_if_open=True)
        return
    source = sqlite3.connect(dump)
    try:
        source.backup(db.connection(), pages=-1)  # replaces every page of the live file at once
    finally:
        source.close()


def restore(path, force=False):
    """Restore the archive at path into this instance's database and stores; return the
    manifest and the migrations applied afterwards."""
    from .. import migrate
    from ..auth import sessions

    backend = "postgresql" if is_postgres() else "sqlite"
    folder = tempfile.mkdtemp(prefix=".restore-", dir=current_app.instance_path)
    try:
        manifest = _unpack(path, folder)
        if manifest["backend"] != backend:
            names = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}
            raise BackupError(f"备份来自 {names[manifest['backend']]}，当前数据库是 {names[backend]}，不能直接恢复。")
        if _has_data() and not force:
            raise BackupError("当前数据库已有数据。恢复会覆盖全部数据：确认无误请加 --force 再运行。")
        _restore_files(folder, manifest)  # first: a file without its row is harmless
        _restore_database(os.path.join(folder, manifest["database"]["member"]), backend)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    applied = migrate.upgrade()
    with transaction():
        # sessions live on in the copy; whoever was signed in then signs in again now
        sessions.end_everyone("restore")
    return manifest, applied

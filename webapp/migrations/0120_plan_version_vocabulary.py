"""plan_version.vocabulary: the _categories.toml a stored plan version was checked against, so an
old version is read back with its own vocabulary, not today's.

Existing rows: their vocabulary was never kept, so they get the _categories.toml of forms/ as
it is now (the closest there is; from now on it is frozen with them). A row whose content does
not hash to its version was stored from a file edited after loading (the old remember_version
re-read the file): when a file in forms/ still has that version's bytes, the content is
restored from it; otherwise the row is left as it is.
"""
import hashlib
import os

from peewee import TextField

# webapp/migrations/ -> repository root -> forms/
DEFAULT_FORMS_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))), "forms")


def _forms_dir():
    try:
        from flask import current_app

        return current_app.config.get("FORMS_DIR") or DEFAULT_FORMS_DIR
    except RuntimeError:  # run outside the app (the tests' schema builder)
        return DEFAULT_FORMS_DIR


def _version(data):
    return hashlib.sha256(data).hexdigest()[:16]


def _read(path):
    try:
        with open(path, "rb") as fh:
            return fh.read().decode("utf-8")
    except (OSError, UnicodeDecodeError):
        return None


def up(migrator, db):
    migrator.migrate(migrator.add_column("plan_version", "vocabulary", TextField(default="")))
    rows = db.execute_sql("SELECT id, version, content FROM plan_version").fetchall()
    if not rows:
        return
    forms = _forms_dir()
    vocabulary = _read(os.path.join(forms, "_categories.toml")) or ""
    files = {}  # version -> text of the files in forms/ now
    for name in sorted(os.listdir(forms)) if os.path.isdir(forms) else ():
        if name.endswith(".toml") and not name.startswith("_"):
            text = _read(os.path.join(forms, name))
            if text is not None:
                files[_version(text.encode("utf-8"))] = text
    p = db.param
    for row_id, version, content in rows:
        if _version(content.encode("utf-8")) != version and version in files:
            content = files[version]
        db.execute_sql(f"UPDATE plan_version SET vocabulary = {p}, content = {p} WHERE id = {p}",
                       (vocabulary, content, row_id))


def down(migrator, db):
    migrator.migrate(migrator.drop_column("plan_version", "vocabulary"))

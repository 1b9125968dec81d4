"""File names stored before the one file-name rule (webapp.uploads.clean_name): SQLite kept a NUL
byte or a newline in an evidence name, which could then never be sent in a header again. The
rule is frozen here as it was when this step was written (a later change of the rule must not
change what this step did)."""
import re
import unicodedata

TABLES = (("evidence", "filename"), ("follow_up", "evidence_name"), ("import_batch", "file_name"))
NAME_MAX = 120


def _clean(name):
    text = unicodedata.normalize("NFC", str(name or ""))
    text = text.replace("\\", "/").rsplit("/", 1)[-1]
    text = "".join(" " if ch.isspace() else ch for ch in text
                   if unicodedata.category(ch) not in ("Cc", "Cf", "Cs", "Co", "Cn") or ch.isspace())
    text = re.sub(r"\s+", " ", text).strip().lstrip(".").strip()
    if not text:
        return "文件"
    if len(text) > NAME_MAX:
        stem, dot, ext = text.rpartition(".")
        if dot and 0 < len(ext) <= 10 and stem:
            text = stem[:NAME_MAX - len(ext) - 1].rstrip() + "." + ext
        else:
            text = text[:NAME_MAX].rstrip()
    return text


def up(migrator, db):
    p = db.param
    tables = set(db.get_tables())
    for table, column in TABLES:
        if table not in tables:
            continue
        for row_id, name in db.execute_sql(f'SELECT id, "{column}" FROM "{table}"').fetchall():
            if name and _clean(name) != name:
                db.execute_sql(f'UPDATE "{table}" SET "{column}" = {p} WHERE id = {p}', (_clean(name), row_id))


def down(migrator, db):
    pass  # the names as they were cannot be sent in a header: nothing to restore

"""Plan versions: the content of a plan file is stored the first time a record uses it, so an
old record always renders and counts with the plan as it was (forms/ may change next month)."""
import datetime

from peewee import CharField, DateTimeField, TextField

from ..db import BaseModel


class PlanVersion(BaseModel):
    plan_id = CharField(max_length=64)
    version = CharField(max_length=64)  # content hash from the loader
    content = TextField()  # the TOML text as it was
    stored_at = DateTimeField(default=datetime.datetime.now)

    class Meta:
        indexes = ((("plan_id", "version"), True),)


def _forms_dir():
    from flask import current_app

    return current_app.config.get("FORMS_DIR")


def remember_version(plan):
    """Store the plan file's text under its version the first time a version is used."""
    import os

    from peewee import IntegrityError

    from ..db import db
    from .loader import FORMS_DIR

    if PlanVersion.select().where((PlanVersion.plan_id == plan.id) & (PlanVersion.version == plan.version)).exists():
        return
    path = os.path.join(_forms_dir() or FORMS_DIR, plan.source)
    with open(path, "rb") as fh:
        content = fh.read().decode("utf-8")  # bytes as-is: the version is a hash of them
    try:
        with db.atomic():
            PlanVersion.create(plan_id=plan.id, version=plan.version, content=content)
    except IntegrityError:
        pass  # stored concurrently by another request: the same content by definition


_by_version = {}  # (plan_id, version) -> Plan: a version's content never changes, so cache it


def plan_for(plan_id, version):
    """The plan as it was at `version`: the current file if it matches, else the stored text."""
    from .catalog import get_plan
    from .loader import load_plan_text, load_vocabulary

    current = get_plan(plan_id)
    if current is not None and current.version == version:
        return current
    key = (plan_id, version)
    if key not in _by_version:
        row = PlanVersion.get_or_none((PlanVersion.plan_id == plan_id) & (PlanVersion.version == version))
        if row is None:
            return None
        _by_version[key] = load_plan_text(row.content, f"{plan_id}.toml", load_vocabulary(_forms_dir()))
    return _by_version[key]

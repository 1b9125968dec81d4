"""Plan versions, stored exactly as they were loaded.

A record (and a task, a draw) names the plan id and version it was made with; forms/ may change
next month, or be broken by an edit. So the version is kept in the database exactly as the
catalog loaded it: the file's text (whose hash is the version) and the category vocabulary
(``_categories.toml``) it was checked against, both taken from the loaded Plan, never re-read
from disk. A stored version is read back with its own vocabulary, not today's.

Reading versions back, and caching them, is ``catalog.plan_for``; this module is the table.
"""
import datetime

from peewee import CharField, DateTimeField, TextField

from ..db import BaseModel, transaction


class PlanVersion(BaseModel):
    plan_id = CharField(max_length=64)
    version = CharField(max_length=64)  # content hash from the loader
    content = TextField()  # the plan file's text as it was loaded
    vocabulary = TextField()  # the _categories.toml it was checked against, as it was loaded
    stored_at = DateTimeField(default=datetime.datetime.now)

    class Meta:
        indexes = ((("plan_id", "version"), True),)


def _exists(plan_id, version):
    return PlanVersion.select().where((PlanVersion.plan_id == plan_id) & (PlanVersion.version == version)).exists()


def remember_version(plan):
    """Store the plan's version the first time it is used (call it in the transaction that
    writes the row referring to it). What is stored is what the loader read: plan.text, whose
    hash is plan.version, and the vocabulary the plan was checked against."""
    from .loader import version_of

    if plan.vocabulary is None or not plan.vocabulary.text or version_of(plan.text.encode("utf-8")) != plan.version:
        raise ValueError(f"计划 {plan.id} 不是由加载器读入的，无法保存其版本")
    if _exists(plan.id, plan.version):
        return
    with transaction():
        # stored concurrently by another request: the same content by definition
        PlanVersion.insert(plan_id=plan.id, version=plan.version, content=plan.text,
                           vocabulary=plan.vocabulary.text).on_conflict_ignore().execute()


def stored_plan(plan_id, version):
    """The plan as stored at `version`, parsed with its own vocabulary; None when not stored."""
    from .loader import load_plan_text, load_vocabulary_text

    row = PlanVersion.get_or_none((PlanVersion.plan_id == plan_id) & (PlanVersion.version == version))
    if row is None:
        return None
    vocab = load_vocabulary_text(row.vocabulary, f"{plan_id}@{version}/_categories.toml")
    return load_plan_text(row.content, f"{plan_id}.toml", vocab)

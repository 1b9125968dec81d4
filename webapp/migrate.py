"""Schema migrations: numbered scripts in webapp/migrations/, run by peewee's migration runner.

Each script declares frozen copies of the tables it creates, so an old database is upgraded
by exactly the steps it missed (`flask --app webapp db-upgrade`).
"""
import os

from playhouse.migrations import Runner

from .db import db

MIGRATIONS_DIR = os.path.join(os.path.dirname(__file__), "migrations")


def runner():
    return Runner(db.obj, directory=MIGRATIONS_DIR)


def upgrade(target=None):
    """Apply every pending migration (or up to target); return the names applied."""
    return runner().up(target=target)


def pending():
    return [m.name for m in runner().status() if not m.applied and m.path]


def all_models():
    """Every table model of the app (the subclasses of BaseModel, imported from all features)."""
    import importlib
    import pkgutil

    import webapp

    from .db import BaseModel

    for info in pkgutil.walk_packages(webapp.__path__, "webapp."):
        if info.name.endswith(".models") or info.name.endswith(".versions"):
            importlib.import_module(info.name)

    def walk(cls):
        for sub in cls.__subclasses__():
            yield sub
            yield from walk(sub)

    return [m for m in walk(BaseModel) if m._meta.fields and m.__module__.startswith("webapp.")]


def diff_template():
    """Migration body for the models that differ from the database (for writing a new migration)."""
    from playhouse.migrations import template
    from playhouse.schema_diff import diff_models

    diff = diff_models(db.obj, all_models())
    return template(diff) if diff else ""

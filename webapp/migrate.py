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

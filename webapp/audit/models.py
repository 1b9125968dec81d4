import datetime

from peewee import CharField, DateTimeField, ForeignKeyField, IntegerField, TextField

from ..db import BaseModel
from ..org.models import User


class AuditEntry(BaseModel):
    """Who did what to which object, before and after (JSON), chained by hash."""

    at = DateTimeField(default=datetime.datetime.now, index=True)
    actor = ForeignKeyField(User, null=True, on_delete="RESTRICT")
    action = CharField(max_length=64)
    entity = CharField(max_length=32)
    entity_id = CharField(max_length=64)
    before = TextField(default="")
    after = TextField(default="")
    # Where the entry belongs, for the history pages of a record and of an institution. Plain
    # integers, not foreign keys: the trail outlives what it describes and never blocks a delete.
    record_id = IntegerField(null=True, index=True)
    institution_id = IntegerField(null=True, index=True)
    # The area it belongs to, for scoping the audit log (an admin sees their area and below).
    # Not hashed: it is derived from the hashed record / institution / entity (migration 0130).
    area_id = IntegerField(null=True, index=True)
    prev_hash = CharField(max_length=64)
    hash = CharField(max_length=64, unique=True)

    class Meta:
        indexes = ((("entity", "entity_id"), False),)


class AuditHead(BaseModel):
    """A single row naming the chain's last hash. Writers update it first, which serialises
    them (row lock on PostgreSQL, the write lock on SQLite) so the chain never forks."""

    seq = IntegerField(default=0)
    last_hash = CharField(max_length=64, default="0" * 64)

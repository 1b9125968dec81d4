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

"""Sign-in state kept on the server: sessions, failed attempts and the throttle counters."""
import datetime

from peewee import CharField, DateTimeField, ForeignKeyField, IntegerField

from ..db import BaseModel
from ..org.models import User


class LoginAttempt(BaseModel):
    """One failed sign-in (a log for the admin; the decisions use LoginThrottle)."""
    username = CharField(max_length=64, index=True)
    remote_addr = CharField(max_length=64, default="")
    at = DateTimeField(default=datetime.datetime.now, index=True)


class UserSession(BaseModel):
    """A signed-in browser. The cookie carries a random token; only its SHA-256 is stored, so a
    copy of the database (or a backup) cannot be turned into a working cookie."""
    key = CharField(max_length=64, unique=True)
    user = ForeignKeyField(User, backref="sessions", on_delete="CASCADE")
    created_at = DateTimeField(default=datetime.datetime.now)
    last_seen = DateTimeField(default=datetime.datetime.now)
    remote_addr = CharField(max_length=64, default="")
    ended_at = DateTimeField(null=True)
    ended_why = CharField(max_length=16, default="")  # see sessions.WHY


class LoginThrottle(BaseModel):
    """Failures counted for one key; the row is locked while a sign-in decides, so parallel
    attempts cannot all read the same count."""
    kind = CharField(max_length=8)  # account / address / device
    key = CharField(max_length=128)
    failures = IntegerField(default=0)
    last_failure = DateTimeField(null=True, index=True)

    class Meta:
        indexes = ((("kind", "key"), True),)

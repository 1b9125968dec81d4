"""Failed sign-in attempts, kept per account name so unknown names are throttled too."""
import datetime

from peewee import CharField, DateTimeField

from ..db import BaseModel


class LoginAttempt(BaseModel):
    username = CharField(max_length=64, index=True)
    remote_addr = CharField(max_length=64, default="")
    at = DateTimeField(default=datetime.datetime.now, index=True)

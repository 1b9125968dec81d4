"""Failed sign-in attempts, for the lock-out after repeated failures."""
import datetime

from peewee import CharField, DateTimeField, Model


def up(migrator, db):
    class LoginAttempt(Model):
        username = CharField(max_length=64, index=True)
        remote_addr = CharField(max_length=64, default="")
        at = DateTimeField(default=datetime.datetime.now, index=True)

        class Meta:
            database = db
            legacy_table_names = False

    db.create_tables([LoginAttempt])

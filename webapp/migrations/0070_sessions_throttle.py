"""Server-side sessions (sign-out and password changes end them for good) and one lockable
throttle row per account name, per client address and per known device (sign-in delays)."""
import datetime

from peewee import CharField, DateTimeField, ForeignKeyField, IntegerField, Model


def up(migrator, db):
    class User(Model):
        class Meta:
            database = db
            table_name = "user"

    class UserSession(Model):
        key = CharField(max_length=64, unique=True)
        user = ForeignKeyField(User, on_delete="CASCADE")
        created_at = DateTimeField(default=datetime.datetime.now)
        last_seen = DateTimeField(default=datetime.datetime.now)
        remote_addr = CharField(max_length=64, default="")
        ended_at = DateTimeField(null=True)
        ended_why = CharField(max_length=16, default="")

        class Meta:
            database = db
            table_name = "user_session"

    class LoginThrottle(Model):
        kind = CharField(max_length=8)
        key = CharField(max_length=128)
        failures = IntegerField(default=0)
        last_failure = DateTimeField(null=True, index=True)

        class Meta:
            database = db
            table_name = "login_throttle"
            indexes = ((("kind", "key"), True),)

    db.create_tables([UserSession, LoginThrottle])


def down(migrator, db):
    migrator.migrate(migrator.drop_table("login_throttle"))
    migrator.migrate(migrator.drop_table("user_session"))

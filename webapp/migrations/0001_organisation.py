"""Areas, units, users and roles (frozen copies of the tables as first created)."""
import datetime

from peewee import BooleanField, CharField, DateTimeField, ForeignKeyField, IntegerField, Model


def up(migrator, db):
    class Base(Model):
        class Meta:
            database = db
            legacy_table_names = False

    class Area(Base):
        code = CharField(unique=True, max_length=12)
        name = CharField(max_length=64)
        level = IntegerField()
        parent = ForeignKeyField("self", null=True, on_delete="RESTRICT")
        path = CharField(max_length=255, index=True)

    class Unit(Base):
        name = CharField(max_length=128)
        short_name = CharField(max_length=16, default="")
        kind = CharField(max_length=32)
        area = ForeignKeyField(Area, on_delete="RESTRICT")

    class User(Base):
        username = CharField(unique=True, max_length=64)
        name = CharField(max_length=64)
        unit = ForeignKeyField(Unit, on_delete="RESTRICT")
        phone = CharField(max_length=32, default="")
        password_hash = CharField(max_length=255)
        active = BooleanField(default=True)
        created_at = DateTimeField(default=datetime.datetime.now)

    class UserRole(Base):
        user = ForeignKeyField(User, on_delete="CASCADE")
        role = CharField(max_length=16)

        class Meta:
            indexes = ((("user", "role"), True),)

    db.create_tables([Area, Unit, User, UserRole])

"""检查对象名录库: institutions with their categories and services."""
import datetime

from peewee import CharField, DateTimeField, ForeignKeyField, IntegerField, Model


def up(migrator, db):
    class Base(Model):
        class Meta:
            database = db
            legacy_table_names = False

    class Area(Base):  # reference only: created by 0001
        class Meta:
            table_name = "area"

    class Institution(Base):
        name = CharField(max_length=128, index=True)
        credit_code = CharField(max_length=18, unique=True)
        license_no = CharField(max_length=64, default="")
        area = ForeignKeyField(Area, on_delete="RESTRICT")
        address = CharField(max_length=255, default="")
        legal_rep = CharField(max_length=64, default="")
        phone = CharField(max_length=32, default="")
        status = CharField(max_length=8, default="在业")
        version = IntegerField(default=1)
        updated_at = DateTimeField(default=datetime.datetime.now)

    class InstitutionKind(Base):
        institution = ForeignKeyField(Institution, on_delete="CASCADE")
        kind = CharField(max_length=32, index=True)

        class Meta:
            indexes = ((("institution", "kind"), True),)

    class InstitutionService(Base):
        institution = ForeignKeyField(Institution, on_delete="CASCADE")
        service = CharField(max_length=32)

        class Meta:
            indexes = ((("institution", "service"), True),)

    db.create_tables([Institution, InstitutionKind, InstitutionService])

"""检查对象名录库: institutions, their register categories (单位类别) and services offered."""
import datetime

from peewee import BooleanField, CharField, DateTimeField, ForeignKeyField, IntegerField

from ..db import BaseModel
from ..audit import trail
from ..org.models import Area, Unit, User


class Institution(BaseModel):
    name = CharField(max_length=128, index=True)
    credit_code = CharField(max_length=18, unique=True)  # 统一社会信用代码
    license_no = CharField(max_length=64, default="")  # 执业许可证号
    area = ForeignKeyField(Area, backref="institutions", on_delete="RESTRICT")
    address = CharField(max_length=255, default="")
    legal_rep = CharField(max_length=64, default="")  # 法定代表人/负责人
    phone = CharField(max_length=32, default="")
    status = CharField(max_length=8, default="在业")  # 在业 / 停业
    version = IntegerField(default=1)
    updated_at = DateTimeField(default=datetime.datetime.now)

    @property
    def kind_keys(self):
        return sorted(k.kind for k in self.kind_rows)

    @property
    def service_keys(self):
        return sorted(s.service for s in self.service_rows)

    @property
    def closed(self):
        """停业 (templates ask this instead of comparing the stored text)."""
        return self.status == "停业"

    def __str__(self):
        return self.name


class InstitutionKind(BaseModel):
    """One register category of an institution (a hospital with a 医美科室 has two)."""

    institution = ForeignKeyField(Institution, backref="kind_rows", on_delete="CASCADE")
    kind = CharField(max_length=32, index=True)

    class Meta:
        indexes = ((("institution", "kind"), True),)


class InstitutionService(BaseModel):
    institution = ForeignKeyField(Institution, backref="service_rows", on_delete="CASCADE")
    service = CharField(max_length=32)

    class Meta:
        indexes = ((("institution", "service"), True),)


class Inspector(BaseModel):
    """执法检查人员名录库: a law-enforcement officer who may be drawn."""

    name = CharField(max_length=64)
    cert_no = CharField(max_length=32, unique=True)  # 执法证号
    unit = ForeignKeyField(Unit, backref="inspectors", on_delete="RESTRICT")
    specialties = CharField(max_length=255, default="")  # comma-separated: 医疗、母婴、血液…
    active = BooleanField(default=True)
    user = ForeignKeyField(User, null=True, unique=True, backref="inspector_rows", on_delete="SET NULL")
    version = IntegerField(default=1)

    @property
    def area(self):
        return self.unit.area

    def __str__(self):
        return self.name


class Recusal(BaseModel):
    """A declared conflict of interest (回避, 行政处罚法 art. 43): never assign this pair."""

    inspector = ForeignKeyField(Inspector, backref="recusals", on_delete="CASCADE")
    institution = ForeignKeyField(Institution, backref="recusals", on_delete="CASCADE")
    reason = CharField(max_length=255, default="")
    declared_at = DateTimeField(default=datetime.datetime.now)

    class Meta:
        indexes = ((("inspector", "institution"), True),)


@trail.locator("institution")
def _locate_institution(institution_id):
    area = Institution.select(Institution.area).where(Institution.id == institution_id).scalar()
    return {"institution": institution_id, "area": area} if area else {}


@trail.locator("inspector")
def _locate_inspector(inspector_id):
    area = Inspector.select(Unit.area).join(Unit).where(Inspector.id == inspector_id).scalar()
    return {"area": area} if area else {}

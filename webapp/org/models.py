"""Areas (省 → 市 → 区/县), units (卫生监督所 / 卫生健康委), users and roles."""
import datetime
import enum

from flask import current_app
from peewee import BooleanField, CharField, DateTimeField, ForeignKeyField, IntegerField
from werkzeug.security import check_password_hash, generate_password_hash

from ..db import BaseModel


class Level(enum.IntEnum):
    PROVINCE = 1
    CITY = 2
    DISTRICT = 3

    @property
    def label(self):
        return {1: "省/自治区", 2: "市", 3: "区/县"}[self.value]


class Role(str, enum.Enum):
    INSPECTOR = "inspector"
    REVIEWER = "reviewer"
    HEAD = "head"
    ADMIN = "admin"

    @property
    def label(self):
        return ROLE_LABELS[self]


ROLE_LABELS = {
    Role.INSPECTOR: "监督员",
    Role.REVIEWER: "审核人（科室负责人）",
    Role.HEAD: "单位负责人",
    Role.ADMIN: "管理员",
}


class Area(BaseModel):
    code = CharField(unique=True, max_length=12)  # 行政区划代码, e.g. 120000 / 120100 / 120101
    name = CharField(max_length=64)
    level = IntegerField()
    parent = ForeignKeyField("self", null=True, backref="children", on_delete="RESTRICT")
    # Materialised path of codes ("/120000/120100/120101/"): "this area and below" is one
    # indexed prefix match instead of a recursive query.
    path = CharField(max_length=255, index=True)

    @classmethod
    def make(cls, code, name, parent=None):
        level = parent.level + 1 if parent else Level.PROVINCE
        path = (parent.path if parent else "/") + code + "/"
        return cls.create(code=code, name=name, level=level, parent=parent, path=path)

    @property
    def level_label(self):
        return Level(self.level).label

    def subtree(self):
        """Query of this area and every area below it."""
        return Area.select().where(Area.path.startswith(self.path))

    def subtree_ids(self):
        """Subquery of the ids of this area and every area below it (for `x.area.in_(…)`)."""
        return Area.select(Area.id).where(Area.path.startswith(self.path))

    def is_within(self, other):
        return self.path.startswith(other.path)

    def __str__(self):
        return self.name


class Unit(BaseModel):
    name = CharField(max_length=128)
    short_name = CharField(max_length=16, default="")  # 简称, used in document numbers
    kind = CharField(max_length=32)  # 卫生监督所 / 卫生健康委员会
    area = ForeignKeyField(Area, backref="units", on_delete="RESTRICT")

    def __str__(self):
        return self.name


class User(BaseModel):
    username = CharField(unique=True, max_length=64)
    name = CharField(max_length=64)
    unit = ForeignKeyField(Unit, backref="users", on_delete="RESTRICT")
    phone = CharField(max_length=32, default="")
    password_hash = CharField(max_length=255)
    active = BooleanField(default=True)
    is_demo = BooleanField(default=False)  # made by `flask --app webapp demo`: pages show 演示数据
    created_at = DateTimeField(default=datetime.datetime.now)

    def set_password(self, password):
        method = current_app.config["PASSWORD_HASH_METHOD"] if current_app else "scrypt"
        self.password_hash = generate_password_hash(password, method=method)

    def check_password(self, password):
        return check_password_hash(self.password_hash, password)

    @property
    def area(self):
        return self.unit.area

    @property
    def roles(self):
        if not hasattr(self, "_roles"):
            self._roles = {Role(r.role) for r in self.role_rows}
        return self._roles

    def has_role(self, *roles):
        return any(Role(r) in self.roles for r in roles)

    @property
    def role_labels(self):
        return [ROLE_LABELS[r] for r in Role if r in self.roles]

    def grant(self, *roles):
        for role in roles:
            UserRole.get_or_create(user=self, role=Role(role).value)
        self.__dict__.pop("_roles", None)

    @classmethod
    def demo_accounts_active(cls):
        """True while an active demo account exists (every page then says 演示数据)."""
        return cls.select().where(cls.is_demo & cls.active).exists()

    def __str__(self):
        return self.name


class UserRole(BaseModel):
    user = ForeignKeyField(User, backref="role_rows", on_delete="CASCADE")
    role = CharField(max_length=16)

    class Meta:
        indexes = ((("user", "role"), True),)

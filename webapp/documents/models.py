"""卫生监督意见书: drafts, issued (frozen) documents, their number series and follow-ups (复查).

An issued document never changes: what was issued is kept as canonical JSON with its SHA-256
(`content`, `sha256`), every print and the verification page are made from that frozen copy,
and the only later writes are the print counter, the void mark and follow-up rows.
"""
import datetime

from peewee import CharField, DateField, DateTimeField, ForeignKeyField, IntegerField

from ..db import BaseModel, TextField
from ..audit import trail
from ..inspection.models import Record
from ..org.models import Area, Unit, User
from ..registers.models import Inspector, Institution
from ..states import State


class DocumentSeries(BaseModel):
    """The number series of one issuing authority for one kind of document and one year.

    `next_no` is the next sequence number to hand out; it is only ever increased inside the
    transaction that issues a document, so numbers have no gaps and are never reused.
    """

    unit = ForeignKeyField(Unit, backref="document_series", on_delete="RESTRICT")
    kind = CharField(max_length=16, default="opinion")
    year = IntegerField()
    pattern = CharField(max_length=128)
    next_no = IntegerField(default=1)

    class Meta:
        indexes = ((("unit", "kind", "year"), True),)


class OpinionStatus(State):
    """A 意见书's state; its transitions are webapp/documents/services.py (MACHINE)."""

    DRAFT = 0, "草稿"
    ISSUED = 1, "已签发"
    VOIDED = 2, "已作废"


class Opinion(BaseModel):
    record = ForeignKeyField(Record, backref="opinions", on_delete="RESTRICT")
    institution = ForeignKeyField(Institution, backref="opinions", on_delete="RESTRICT")
    area = ForeignKeyField(Area, backref="opinions", on_delete="RESTRICT")
    unit = ForeignKeyField(Unit, backref="opinions", on_delete="RESTRICT")  # issuing authority
    status = IntegerField(default=OpinionStatus.DRAFT, index=True)
    # The draft (editable until issue): 被监督人 details as on the form, the body, the deadline.
    subject = CharField(max_length=128)
    legal_rep = CharField(max_length=64, default="")
    address = CharField(max_length=255, default="")
    phone = CharField(max_length=32, default="")
    body = TextField(default="", max_length=5000)
    deadline = DateField()
    replaces = ForeignKeyField("self", null=True, backref="replaced_by", on_delete="RESTRICT")
    created_by = ForeignKeyField(User, on_delete="RESTRICT")
    created_at = DateTimeField(default=datetime.datetime.now)
    updated_at = DateTimeField(default=datetime.datetime.now)
    version = IntegerField(default=1)
    # Set once, at issue.
    year = IntegerField(null=True)
    seq = IntegerField(null=True)
    number = CharField(max_length=128, null=True)
    issued_by = ForeignKeyField(User, null=True, on_delete="RESTRICT")
    issued_at = DateTimeField(null=True)
    content = TextField(default="")  # canonical JSON of what was issued
    sha256 = CharField(max_length=64, default="")
    code = CharField(max_length=16, null=True, unique=True)  # verification code printed on each page
    print_count = IntegerField(default=0)
    # Set once, at void.
    voided_by = ForeignKeyField(User, null=True, on_delete="RESTRICT")
    voided_at = DateTimeField(null=True)
    void_reason = TextField(default="", max_length=1000)

    class Meta:
        indexes = ((("unit", "year", "seq"), True),)

    @property
    def state(self):
        return OpinionStatus(self.status)

    @property
    def is_draft(self):
        return self.status == OpinionStatus.DRAFT

    @property
    def in_force(self):
        """Issued and not voided: the document the unit must follow."""
        return self.status == OpinionStatus.ISSUED

    @property
    def is_voided(self):
        return self.status == OpinionStatus.VOIDED


class FollowUpResult:
    DONE = "done"
    PARTIAL = "partial"
    NOT_DONE = "not_done"
    LABELS = {"done": "已整改", "partial": "部分整改", "not_done": "未整改"}


class FollowUp(BaseModel):
    """复查: whether the unit corrected what the 意见书 ordered, checked after the deadline."""

    opinion = ForeignKeyField(Opinion, backref="followups", on_delete="RESTRICT")
    result = CharField(max_length=16)
    date = DateField()
    inspector1 = ForeignKeyField(Inspector, on_delete="RESTRICT")
    inspector2 = ForeignKeyField(Inspector, null=True, on_delete="RESTRICT")
    note = TextField(default="", max_length=2000)
    # Optional evidence file, stored under instance/evidence/ by its SHA-256 like record evidence.
    evidence_sha256 = CharField(max_length=64, default="")
    evidence_name = CharField(max_length=255, default="")
    evidence_mime = CharField(max_length=64, default="")
    created_by = ForeignKeyField(User, on_delete="RESTRICT")
    created_at = DateTimeField(default=datetime.datetime.now)

    @property
    def result_label(self):
        return FollowUpResult.LABELS.get(self.result, self.result)


@trail.locator("opinion")
def _locate_opinion(row_id):
    area = Opinion.select(Opinion.area).where(Opinion.id == row_id).scalar()
    return {"area": area} if area else {}

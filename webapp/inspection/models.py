"""The inspection: a visit (date, place, people) and, per plan, a record of answers.

The visit is kept apart from the record so that one visit can later hold the records of every
plan that drew the unit ("一次进入全部覆盖") without changing what a record means.
"""
import datetime

from peewee import BigIntegerField, BooleanField, CharField, DateField, DateTimeField, ForeignKeyField, IntegerField

from ..db import BaseModel, TextField
from ..audit import trail
from ..draw.models import Task
from ..org.models import Area, User
from ..registers.models import Inspector, Institution
from ..states import State


class Visit(BaseModel):
    institution = ForeignKeyField(Institution, backref="visits", on_delete="RESTRICT")
    area = ForeignKeyField(Area, on_delete="RESTRICT")
    date = DateField(default=datetime.date.today)
    place = CharField(max_length=255, default="")
    representative = CharField(max_length=64, default="")  # 被检查单位在场人员
    representative_title = CharField(max_length=64, default="")
    created_by = ForeignKeyField(User, on_delete="RESTRICT")
    created_at = DateTimeField(default=datetime.datetime.now)


class VisitInspector(BaseModel):
    visit = ForeignKeyField(Visit, backref="inspector_rows", on_delete="CASCADE")
    inspector = ForeignKeyField(Inspector, on_delete="RESTRICT")
    position = IntegerField(default=0)

    class Meta:
        indexes = ((("visit", "inspector"), True),)


class Status(State):
    """A record's state; its transitions are webapp/inspection/workflow.py."""

    DRAFT = 0, "草稿"
    SUBMITTED = 1, "已提交"
    RETURNED = 2, "已退回"
    APPROVED = 3, "已通过"


class Record(BaseModel):
    """One plan's checklist answers for one visit. `version` grows with every change."""

    visit = ForeignKeyField(Visit, backref="records", on_delete="RESTRICT")
    task = ForeignKeyField(Task, null=True, backref="records", on_delete="RESTRICT")
    plan_id = CharField(max_length=64, index=True)
    plan_version = CharField(max_length=64)
    institution = ForeignKeyField(Institution, backref="records", on_delete="RESTRICT")
    area = ForeignKeyField(Area, backref="records", on_delete="RESTRICT")
    category = CharField(max_length=32)  # plan category key (summary row)
    status = IntegerField(default=Status.DRAFT, index=True)
    version = IntegerField(default=1)
    created_by = ForeignKeyField(User, backref="records_created", on_delete="RESTRICT")
    created_at = DateTimeField(default=datetime.datetime.now)
    updated_at = DateTimeField(default=datetime.datetime.now)
    submitted_at = DateTimeField(null=True)
    reviewed_by = ForeignKeyField(User, null=True, on_delete="RESTRICT")
    reviewed_at = DateTimeField(null=True)
    return_reason = TextField(default="", max_length=500)  # 退回原因: review.workflow reads it

    @property
    def state(self):
        return Status(self.status)


class Result:
    PASS = "pass"
    FAIL = "fail"
    NA = "na"
    LABELS = {"pass": "合格", "fail": "不合格", "na": "合理缺项"}


class Answer(BaseModel):
    record = ForeignKeyField(Record, backref="answers", on_delete="CASCADE")
    item_key = CharField(max_length=32)
    result = CharField(max_length=8)  # pass / fail / na
    note = TextField(default="", max_length=2000)
    finding = TextField(default="", max_length=2000)  # required for fail: what was found
    version = IntegerField(default=1)
    answered_by = ForeignKeyField(User, on_delete="RESTRICT")
    answered_at = DateTimeField(default=datetime.datetime.now)

    class Meta:
        indexes = ((("record", "item_key"), True),)


class Evidence(BaseModel):
    """A photo or file for an item, stored under instance/evidence/ by its SHA-256."""

    record = ForeignKeyField(Record, backref="evidence", on_delete="CASCADE")
    item_key = CharField(max_length=32)
    sha256 = CharField(max_length=64, index=True)
    filename = CharField(max_length=255)
    mime = CharField(max_length=64)
    size = IntegerField()
    uploaded_by = ForeignKeyField(User, on_delete="RESTRICT")
    uploaded_at = DateTimeField(default=datetime.datetime.now)


class Handling(BaseModel):
    """The handling decision (处理) for a record with failures (seed 000 三(四)).
    Money is stored in integer 分, never floats."""

    record = ForeignKeyField(Record, backref="handling_rows", unique=True, on_delete="CASCADE")
    penalty = BooleanField(default=False)  # 行政处罚
    case_filed = BooleanField(default=False)  # 立案
    warning = BooleanField(default=False)
    fine_fen = BigIntegerField(default=0)  # 罚款
    confiscation_fen = BigIntegerField(default=0)  # 没收违法所得
    revoke_license = BooleanField(default=False)  # 吊销执业许可证
    revoke_person = BooleanField(default=False)  # 吊销人员资格证
    revoke_subject = BooleanField(default=False)  # 吊销诊疗科目
    order_correction = BooleanField(default=False)  # 责令改正
    transfer_dept = BooleanField(default=False)  # 移送相关部门
    transfer_judicial = BooleanField(default=False)  # 移送司法机关
    opinion = BooleanField(default=False)  # 监督意见书
    report_dept = BooleanField(default=False)  # 报告业务主管科室
    hand_over = BooleanField(default=False)  # 移交 (涉嫌违法犯罪线索)
    case_kind = CharField(max_length=32, default="")  # plan's case kind (seed 004 matrix)
    note = TextField(default="", max_length=2000)
    version = IntegerField(default=1)
    decided_by = ForeignKeyField(User, on_delete="RESTRICT")
    decided_at = DateTimeField(default=datetime.datetime.now)


# Where audit entries of these rows belong (their record's and institution's history, the area's log).
@trail.locator("record")
def _locate_record(record_id):
    row = Record.select(Record.institution, Record.area).where(Record.id == record_id).tuples().first()
    return {"record": record_id, "institution": row[0], "area": row[1]} if row else {}


@trail.locator("visit")
def _locate_visit(visit_id):
    row = Visit.select(Visit.institution, Visit.area).where(Visit.id == visit_id).tuples().first()
    return {"institution": row[0], "area": row[1]} if row else {}


def _record_child(model):
    def locate(row_id):
        record_id = model.select(model.record).where(model.id == row_id).scalar()
        return {"record": record_id} if record_id else {}

    return locate


for _entity, _model in (("answer", Answer), ("evidence", Evidence), ("handling", Handling)):
    trail.locator(_entity)(_record_child(_model))

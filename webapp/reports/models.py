"""A submitted 汇总表: the figures frozen as JSON with who prepared, reviewed and approved them.

Later changes to records never alter a stored summary; regenerating makes a new `number`.
"""
import datetime
import enum

from peewee import CharField, DateField, DateTimeField, ForeignKeyField, IntegerField, TextField

from ..db import BaseModel
from ..org.models import Area, User


class SummaryStatus(enum.IntEnum):
    SUBMITTED = 1   # 填表人 submitted: waits for the 审核人
    REVIEWED = 2    # 审核人 approved: waits for the 单位负责人
    APPROVED = 3    # 单位负责人 approved: final, printable with all names
    RETURNED = 4    # sent back with a reason; the 填表人 regenerates
    SUPERSEDED = 5  # a newer version was submitted before this one was approved

    @property
    def label(self):
        return {1: "待审核", 2: "待单位负责人审批", 3: "已批准", 4: "已退回", 5: "已被新版本取代"}[self.value]


class SummaryReport(BaseModel):
    plan_id = CharField(max_length=64, index=True)
    plan_version = CharField(max_length=64)
    area = ForeignKeyField(Area, backref="summary_reports", on_delete="RESTRICT")
    number = IntegerField()  # 第 n 版 for (plan, area)
    period_start = DateField(null=True)
    period_end = DateField(null=True)
    period_kind = CharField(max_length=16, default="")  # year / stage / custom (reports.periods); "" before 0150
    status = IntegerField(default=SummaryStatus.SUBMITTED, index=True)
    figures = TextField()  # JSON: the plain tables exactly as submitted (webapp.reports.tables)
    unit_name = CharField(max_length=128, default="")  # 填报单位
    prepared_by = ForeignKeyField(User, backref="summaries_prepared", on_delete="RESTRICT")
    prepared_at = DateTimeField(default=datetime.datetime.now)
    phone = CharField(max_length=32, default="")  # 联系电话
    reviewed_by = ForeignKeyField(User, null=True, on_delete="RESTRICT")
    reviewed_at = DateTimeField(null=True)
    head_by = ForeignKeyField(User, null=True, on_delete="RESTRICT")
    head_at = DateTimeField(null=True)
    returned_by = ForeignKeyField(User, null=True, on_delete="RESTRICT")
    return_reason = TextField(default="")

    class Meta:
        indexes = ((("plan_id", "area", "number"), True),)

    @property
    def state(self):
        return SummaryStatus(self.status)

"""A submitted 汇总表: the figures frozen as JSON with who prepared, reviewed and approved them.

Later changes to records never alter a stored summary; regenerating makes a new `number`.
"""
import datetime

from peewee import CharField, DateField, DateTimeField, ForeignKeyField, IntegerField

from ..db import BaseModel, TextField
from ..audit import trail
from ..org.models import Area, User
from ..states import State


class SummaryStatus(State):
    """A 汇总表's state; its transitions are webapp/reports/workflow.py."""

    SUBMITTED = 1, "待审核"             # 填表人 submitted: waits for the 审核人
    REVIEWED = 2, "待单位负责人审批"    # 审核人 approved: waits for the 单位负责人
    APPROVED = 3, "已批准"              # 单位负责人 approved: final, printable with all names
    RETURNED = 4, "已退回"              # sent back with a reason; the 填表人 regenerates
    SUPERSEDED = 5, "已被新版本取代"    # a newer version was submitted before this one was approved


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
    return_reason = TextField(default="", max_length=500)

    class Meta:
        indexes = ((("plan_id", "area", "number"), True),)

    @property
    def state(self):
        return SummaryStatus(self.status)


@trail.locator("summary_report")
def _locate_summary_report(row_id):
    area = SummaryReport.select(SummaryReport.area).where(SummaryReport.id == row_id).scalar()
    return {"area": area} if area else {}

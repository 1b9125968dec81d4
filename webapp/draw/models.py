"""The 双随机 draw and the inspection tasks it produces."""
import datetime

from peewee import BigIntegerField, BooleanField, CharField, DateField, DateTimeField, ForeignKeyField, IntegerField

from ..db import BaseModel, TextField
from ..audit import trail
from ..org.models import Area, User
from ..registers.models import Inspector, Institution
from ..states import State


class DrawSource:
    SYSTEM = "系统抽取"
    UPPER = "上级平台下发"
    ADHOC = "临时检查"


class DrawStatus(State):
    """A draw's state; its transitions are webapp/draw/services.py (MACHINE). A pending draw's
    tasks exist for nobody but the admin who may confirm or discard it (Task.released)."""

    PENDING = 0, "待确认"
    CONFIRMED = 1, "已确认"


class Draw(BaseModel):
    """One auditable draw: seed and register hash recorded so `draw verify` can re-run it."""

    plan_id = CharField(max_length=64, index=True)
    plan_version = CharField(max_length=64)
    area = ForeignKeyField(Area, backref="draws", on_delete="RESTRICT")
    source = CharField(max_length=16, default=DrawSource.SYSTEM)
    seed = BigIntegerField(null=True)
    register_hash = CharField(max_length=64, default="")  # hash of the register snapshot drawn from
    file_hash = CharField(max_length=64, default="")  # for lists imported from the upper platform
    result_hash = CharField(max_length=64, default="")  # hash of the drawn units and inspectors
    witnesses = CharField(max_length=255, default="")  # 监督见证人
    drawn_by = ForeignKeyField(User, backref="draws", on_delete="RESTRICT")
    drawn_at = DateTimeField(default=datetime.datetime.now)
    status = IntegerField(default=DrawStatus.PENDING, index=True)  # a confirmed draw never changes
    confirmed_at = DateTimeField(null=True)
    note = TextField(default="", max_length=2000)
    # The inputs the draw used (candidates, inspectors, 回避, last pairs), compressed: `draw
    # verify` re-runs the algorithm on them, so a later register change does not break the proof.
    snapshot = TextField(default="")

    @property
    def state(self):
        return DrawStatus(self.status)

    @property
    def confirmed(self):
        return self.status == DrawStatus.CONFIRMED


class Task(BaseModel):
    """One unit to inspect under one plan: from a draw, an imported list, or an ad-hoc check."""

    draw = ForeignKeyField(Draw, null=True, backref="tasks", on_delete="RESTRICT")
    plan_id = CharField(max_length=64, index=True)
    plan_version = CharField(max_length=64)
    institution = ForeignKeyField(Institution, backref="tasks", on_delete="RESTRICT")
    area = ForeignKeyField(Area, backref="tasks", on_delete="RESTRICT")
    category = CharField(max_length=32)  # the plan's category key the unit was drawn under
    tier = CharField(max_length=16, default="")  # national / city …
    lookback = BooleanField(default=False)  # 回头看: penalised before, added by the plan's rule
    deadline = DateField(null=True)
    created_at = DateTimeField(default=datetime.datetime.now)

    class Meta:
        indexes = ((("draw", "institution", "tier"), True),)

    @classmethod
    def released(cls):
        """SQL condition: tasks that exist for inspectors — ad-hoc ones (no draw) and those of a
        confirmed draw. A pending draw's tasks are neither listed nor startable."""
        confirmed = Draw.select(Draw.id).where(Draw.status == int(DrawStatus.CONFIRMED))
        return cls.draw.is_null(True) | cls.draw.in_(confirmed)

    @property
    def is_released(self):
        return self.draw_id is None or self.draw.confirmed


class TaskInspector(BaseModel):
    task = ForeignKeyField(Task, backref="inspector_rows", on_delete="CASCADE")
    inspector = ForeignKeyField(Inspector, backref="task_rows", on_delete="RESTRICT")
    position = IntegerField(default=0)

    class Meta:
        indexes = ((("task", "inspector"), True),)


class InspectorSwap(BaseModel):
    """An inspector replaced after the draw was confirmed: recorded with its reason, capped."""

    task = ForeignKeyField(Task, backref="swaps", on_delete="CASCADE")
    old_inspector = ForeignKeyField(Inspector, on_delete="RESTRICT")
    new_inspector = ForeignKeyField(Inspector, on_delete="RESTRICT")
    reason = CharField(max_length=255)
    swapped_by = ForeignKeyField(User, on_delete="RESTRICT")
    swapped_at = DateTimeField(default=datetime.datetime.now)


@trail.locator("draw")
def _locate_draw(row_id):
    area = Draw.select(Draw.area).where(Draw.id == row_id).scalar()
    return {"area": area} if area else {}


@trail.locator("task")
def _locate_task(row_id):
    area = Task.select(Task.area).where(Task.id == row_id).scalar()
    return {"area": area} if area else {}

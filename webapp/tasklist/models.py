"""A pending import of an upper platform's list, and the column mapping remembered per source."""
import datetime
import json

from peewee import CharField, DateTimeField, ForeignKeyField, IntegerField, TextField

from ..db import BaseModel
from ..audit import trail
from ..draw.models import Draw
from ..org.models import Area, User
from ..states import State


class BatchStatus(State):
    """An import's state; its transitions are webapp/tasklist/services.py (MACHINE)."""

    PENDING = 0, "待确认"
    DONE = 1, "已导入"


class ImportBatch(BaseModel):
    """One uploaded file for one plan and area, until its tasks are written (then `draw` is set).

    Nothing but this row and the stored file exist before confirmation: the matching is computed
    from the file, the mapping and the admin's resolutions every time it is shown."""

    plan_id = CharField(max_length=64)
    area = ForeignKeyField(Area, backref="task_imports", on_delete="RESTRICT")
    source = CharField(max_length=64)  # 来源, e.g. 乌鲁木齐市执法平台: mappings are kept per source
    file_name = CharField(max_length=255)
    file_hash = CharField(max_length=64, index=True)  # sha256; the file is instance/uploads/<hash[:2]>/<hash>
    signature = CharField(max_length=64, default="")  # hash of the header row
    status = IntegerField(default=BatchStatus.PENDING)
    mapping = TextField(default="")  # JSON {field: header}; "" until mapped
    resolutions = TextField(default="{}")  # JSON {row number: {...}} chosen by the admin
    draw = ForeignKeyField(Draw, null=True, backref="imports", on_delete="SET NULL")
    created_by = ForeignKeyField(User, backref="task_imports", on_delete="RESTRICT")
    created_at = DateTimeField(default=datetime.datetime.now)

    @property
    def mapping_dict(self):
        return json.loads(self.mapping) if self.mapping else {}

    @property
    def resolution_dict(self):
        return json.loads(self.resolutions or "{}")

    @property
    def state(self):
        return BatchStatus(self.status)

    @property
    def done(self):
        return self.status == BatchStatus.DONE


class SourceMapping(BaseModel):
    """The mapping last used for a source's files with this header row: next year's file is pre-mapped."""

    source = CharField(max_length=64)
    signature = CharField(max_length=64)
    mapping = TextField()
    updated_by = ForeignKeyField(User, null=True, on_delete="SET NULL")
    updated_at = DateTimeField(default=datetime.datetime.now)

    class Meta:
        indexes = ((("source", "signature"), True),)


@trail.locator("task_import")
def _locate_task_import(row_id):
    area = ImportBatch.select(ImportBatch.area).where(ImportBatch.id == row_id).scalar()
    return {"area": area} if area else {}

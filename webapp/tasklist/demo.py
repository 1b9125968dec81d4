"""Demo: a list from the city platform imported for 沙依巴克区 (2025 新疆 医疗机构), so the
import page shows a completed import and 孙磊/古丽娜尔 have tasks from it right after `make run`."""
import io

from werkzeug.datastructures import FileStorage, MultiDict

from ..org.models import Area, User
from ..plans.catalog import catalog
from . import example, matching, services

PLAN, AREA, SOURCE = "2025-xj-yiliao", "650103", "乌鲁木齐市执法平台"


def load(rng):
    plan, area = catalog().get(PLAN), Area.get_or_none(Area.code == AREA)
    admin = User.get_or_none(User.username == "admin")
    if plan is None or area is None or admin is None:
        return {}
    data = example.workbook(plan, area, problems=False)
    batch, _ = services.start(admin, {"plan": PLAN, "area": str(area.id), "source": SOURCE},
                              FileStorage(stream=io.BytesIO(data), filename="2025年医疗机构双随机任务清单（沙依巴克区）.xlsx"))
    if not batch.mapping:
        services.save_mapping(batch, MultiDict(matching.suggest(services.table_of(batch).headers)), admin)
    draw = services.confirm(batch, admin)
    return {"导入的上级任务清单": 1, "导入的检查任务": draw.tasks.count()}

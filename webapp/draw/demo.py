"""Demo draws: confirmed draws of the 2025 新疆 plans in 天山区 and over the whole city, so
inspectors (ts_jdy1, ts_jdy2, …) have tasks right after `make run`."""
from ..org.models import Area, User
from ..registers.services import catalog
from . import services

# (plan id, area code, seed, witnesses): fixed seeds, so the demo is the same every time
DRAWS = [
    ("2025-xj-yiliao", "650102", 20250301, "周海燕（天山区卫生监督所）"),
    ("2025-xj-mybj", "650102", 20250302, "周海燕（天山区卫生监督所）"),
    ("2025-xj-yimei", "650100", 20250303, "张志强（市卫生监督所）"),
    ("2025-xj-xueye", "650100", 20250304, "张志强（市卫生监督所）"),
]


def load(rng):
    admin = User.get(User.username == "admin")
    made = tasks = 0
    for plan_id, code, seed, witnesses in DRAWS:
        plan = catalog().get(plan_id)
        area = Area.get_or_none(Area.code == code)
        if plan is None or area is None:
            continue
        try:
            draw = services.run_draw(plan, area, admin, seed=seed, witnesses=witnesses)
        except services.DrawError:
            continue  # e.g. no unit of the plan's categories in the area
        services.confirm(draw, admin)
        made += 1
        tasks += draw.tasks.count()
    return {"抽取": made, "检查任务": tasks}

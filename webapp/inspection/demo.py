"""Demo data of the inspection walk-through: 天山区 records in every state, so that a newcomer
finds tasks to start, drafts to continue, a returned record with its reason, records waiting for
review and approved records that the reports can count. Records go through the real services and
the review workflow (ts_shr approves), so the audit trail is what the app itself would write."""
import datetime

from werkzeug.datastructures import MultiDict

from ..draw.models import Task, TaskInspector
from ..org.models import Area, User
from ..registers.models import Inspector, Institution, InstitutionKind
from . import workflow
from . import services
from .models import Result

FINDINGS = [
    "现场查见部分医务人员未取得相应执业资格，仍从事相关诊疗活动。",
    "医疗废物暂存处未设置警示标识，交接登记不全。",
    "处方书写不规范，部分处方无医师签名。",
    "消毒记录缺失近两周内容。",
    "未按规定公示诊疗科目和收费标准。",
    "抽查病历中知情同意书缺少患者签字。",
]

# (plan id, register kind, how far to take it): "new" = a task only; "half" = half answered;
# "full" = all answered, not submitted; "submitted", "returned", "approved".
SCRIPT = [
    ("2025-xj-yiliao", "hospital", "new"),
    ("2025-xj-mybj", "mch", "new"),
    ("2025-mybj-tianjin", "mch_other", "new"),
    ("2025-xj-yiliao", "clinic", "half"),
    ("2025-xj-yimei", "cosmetic", "full"),
    ("2025-xj-yiliao", "chc", "submitted"),
    ("2025-xj-yiliao", "clinic", "submitted"),
    ("2025-xj-yiliao", "hospital", "returned"),
    ("2025-xj-yiliao", "clinic", "approved"),
    ("2025-xj-yiliao", "chs", "approved"),
    ("2025-xj-yimei", "cosmetic", "approved"),
    ("2025-xj-mybj", "mch_other", "approved"),
]


def _units(area, kind, used):
    rows = (Institution.select().join(InstitutionKind)
            .where((Institution.area == area.id) & (InstitutionKind.kind == kind) & (Institution.status == "在业"))
            .order_by(Institution.id))
    return next((i for i in rows if i.id not in used), None)


def load(rng):
    area = Area.get(Area.code == "650102")
    jdy1, jdy2, shr = (User.get(User.username == u) for u in ("ts_jdy1", "ts_jdy2", "ts_shr"))
    pair = [Inspector.get(Inspector.user == jdy1.id), Inspector.get(Inspector.user == jdy2.id)]
    catalog = services.catalog()
    today = datetime.date.today()
    used = {t.institution_id for t in Task.select(Task.institution)}
    counts = {"检查任务（未开始）": 0, "检查记录": 0}
    for n, (plan_id, kind, stage) in enumerate(SCRIPT):
        plan = catalog.get(plan_id)
        inst = _units(area, kind, used) if plan is not None else None
        category = plan.category_of(inst.kind_keys) if inst is not None else None
        if category is None:
            continue
        used.add(inst.id)
        task = Task.create(plan_id=plan.id, plan_version=plan.version, institution=inst, area=area, category=category.key,
                           tier="adhoc", deadline=today + datetime.timedelta(days=10 + 7 * n))
        for pos, insp in enumerate(pair):
            TaskInspector.create(task=task, inspector=insp, position=pos)
        if stage == "new":
            counts["检查任务（未开始）"] += 1
            continue
        # visited within the plan's period: a 2025 plan's inspection is dated 2025 (issue 14)
        day = min(today, plan.period.end) - datetime.timedelta(days=30 - 2 * n)
        form = MultiDict([("date", day.isoformat()), ("place", inst.address),
                          ("representative", inst.legal_rep or "负责人"), ("representative_title", "负责人"),
                          ("inspectors", str(pair[0].id)), ("inspectors", str(pair[1].id))])
        record = services.start_record(jdy1, task, form)
        counts["检查记录"] += 1
        _answer(rng, jdy1, jdy2, record, stage)
        if stage in ("submitted", "returned", "approved"):
            record = services.submit(jdy1, record)
        if stage == "returned":
            workflow.return_(shr, record, "第1项不合格情形描述过于简单，请补充现场检查的具体情况后重新提交。")
        if stage == "approved":
            workflow.approve(shr, record)
    return counts


def _answer(rng, jdy1, jdy2, record, stage):
    cl = services.Checklist.load(record)
    items = [i for s in cl.sections for i in s.items]
    if stage == "half":
        items = items[: len(items) // 2]
    failing = stage != "half" and rng.random() < 0.8
    fail_keys = {i.key for i in rng.sample(items, min(2, len(items)))} if failing else set()
    for k, item in enumerate(items):
        who = jdy1 if k % 3 else jdy2  # the pair answer side by side
        if item.key in fail_keys:
            form = {"result": Result.FAIL, "finding": rng.choice(FINDINGS), "note": "", "version": "0"}
        elif item.key in cl.suggest:
            form = {"result": Result.NA, "note": f"本单位未开展{cl.suggest[item.key]}", "finding": "", "version": "0"}
        else:
            form = {"result": Result.PASS, "note": "", "finding": "", "version": "0"}
        services.save_answer(who, record, item.key, form)
    if fail_keys and stage != "full":
        fine = rng.choice(["", "2000", "5000", "10000.50"])
        handling = {"version": "0", "opinion": "1", "order_correction": "1"}
        if fine:
            handling.update(penalty="1", warning="1", case_filed="1", fine=fine)
        services.save_handling(jdy1, record, cl.plan, handling)

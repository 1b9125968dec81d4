"""Demo 卫生监督意见书 in 天山区 (inspectors 刘洋 ts_jdy1 and 陈静 ts_jdy2): records with failures
made here and approved through the review workflow (submitted by the inspector, approved by the
reviewer ts_shr, each step audited), and on them one document of each kind a newcomer should see —
issued and printed, reprinted (补打), voided with its corrected successor, overdue without 复查,
rectified after 复查 — plus records still waiting for their 意见书 (待制作)."""
import datetime

from ..inspection.models import Answer, Handling, Record, Status, Visit, VisitInspector
from ..org.models import Area, User
from ..plans.catalog import catalog
from ..plans.versions import remember_version
from ..inspection import workflow as record_workflow
from ..registers.models import Inspector, Institution, InstitutionKind, Recusal
from . import services
from .models import Opinion

PLAN_ID = "2025-xj-yiliao"
FINDINGS = {
    "1.1": "《医疗机构执业许可证》已过校验期，未按期办理校验。",
    "1.2": "超出核准登记的诊疗科目开展医疗美容项目。",
    "2.1": "查见一名医师未在本机构注册即从事诊疗活动。",
}


def _record(inst, area, users, reviewer, inspectors, plan, keys, when):
    visit = Visit.create(institution=inst, area=area, date=when, place=inst.address, created_by=users[0],
                         representative=inst.legal_rep, representative_title="负责人")
    for pos, insp in enumerate(inspectors):
        VisitInspector.create(visit=visit, inspector=insp, position=pos)
    category = plan.category_of(inst.kind_keys)
    rec = Record.create(visit=visit, plan_id=plan.id, plan_version=plan.version, institution=inst, area=area,
                        category=category.key if category else plan.categories[0].key, status=int(Status.DRAFT),
                        created_by=users[0])
    for item in plan.items_for(inst.kind_keys):
        fail = item.key in keys
        Answer.create(record=rec, item_key=item.key, result="fail" if fail else "pass",
                      finding=FINDINGS.get(item.key, "现场检查不符合要求。") if fail else "", answered_by=users[0])
    Handling.create(record=rec, opinion=True, order_correction=True, decided_by=users[0], note="出具卫生监督意见书，责令限期改正")
    rec = record_workflow.submit(users[0], rec)
    return record_workflow.approve(reviewer, rec)


def _issue(user, rec, on):
    values = services.draft_values(rec, user.unit, today=on)
    op = services.create_draft(user, rec, values, today=on)
    op = services.issue(user, op, today=on)
    Opinion.update(issued_at=datetime.datetime.combine(on, datetime.time(10, 30))).where(Opinion.id == op.id).execute()
    return Opinion.get_by_id(op.id)


def load(rng):
    plan = catalog().get(PLAN_ID)
    area = Area.get_or_none(Area.code == "650102")
    users = [User.get_or_none(User.username == n) for n in ("ts_jdy1", "ts_jdy2")]
    reviewer = User.get_or_none(User.username == "ts_shr")
    if plan is None or area is None or None in users or reviewer is None:
        return {}
    remember_version(plan)  # the records below name this version
    inspectors = [Inspector.get(Inspector.user == u) for u in users]
    recused = Recusal.select(Recusal.institution).where(Recusal.inspector.in_(inspectors))
    candidates = list(Institution.select().join(InstitutionKind)
                      .where((Institution.area == area) & (InstitutionKind.kind.in_(["clinic", "hospital", "chc"]))
                             & (Institution.status == "在业") & ~(Institution.id.in_(recused)))
                      .order_by(Institution.id).distinct())
    rng.shuffle(candidates)
    # units not yet inspected under this plan first: one record per unit and plan reads best
    done = {r.institution_id for r in Record.select(Record.institution).where(Record.plan_id == plan.id)}
    candidates.sort(key=lambda i: i.id in done)
    # the story happens within the plan's period (a 2025 plan's inspections are dated 2025): "today"
    # of the demo is the real day, or the period's last day once the plan year is over
    today = min(datetime.date.today(), plan.period.end)
    picks = iter(candidates)
    key_sets = [("1.1",), ("2.1",), ("1.2", "2.1"), ("1.1", "2.1"), ("2.1",), ("1.2",), ("1.1",)]
    recs = [_record(next(picks), area, users, reviewer, inspectors, plan, keys, today - datetime.timedelta(days=d))
            for keys, d in zip(key_sets, (40, 35, 30, 28, 20, 3, 1))]
    author = users[0]
    # 1. issued and printed once, then rectified (复查 已整改)
    done = _issue(author, recs[0], today - datetime.timedelta(days=40))
    services.record_print(author, done)
    services.add_follow_up(author, done, {"result": "done", "date": (today - datetime.timedelta(days=20)).isoformat(),
                                          "inspector1": str(inspectors[0].id), "inspector2": str(inspectors[1].id),
                                          "note": "已按期办理校验，现场核实整改到位。"})
    # 2. issued, printed, then reprinted twice (补打)
    reprinted = _issue(author, recs[1], today - datetime.timedelta(days=35))
    for u in (author, users[1], author):
        services.record_print(u, reprinted)
    services.add_follow_up(users[1], reprinted, {"result": "partial", "date": (today - datetime.timedelta(days=15)).isoformat(),
                                                 "inspector1": str(inspectors[1].id), "inspector2": str(inspectors[0].id),
                                                 "note": "该医师已提交注册申请，尚未取得注册证书，需再次复查。"})
    # 3. voided (wrong address) and re-issued under a new number
    wrong = _issue(author, recs[2], today - datetime.timedelta(days=30))
    services.record_print(author, wrong)
    _, redo = services.void(author, wrong, "被监督人地址书写有误，作废后重新制作。", redo=True)
    services.issue(author, redo, today=today - datetime.timedelta(days=29))
    # 4. overdue: the deadline has passed and no 复查 yet
    overdue = _issue(users[1], recs[3], today - datetime.timedelta(days=28))
    services.record_print(users[1], overdue)
    # 5. within its deadline
    _issue(author, recs[4], today - datetime.timedelta(days=5))
    # recs[5], recs[6]: 待制作 — their 意见书 is still to be written (the walk-through shows it)
    return {"卫生监督意见书": Opinion.select().count(), "待制作意见书的记录": 2}

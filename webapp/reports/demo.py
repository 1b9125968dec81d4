"""Demo step 'reports': approved records for every seed plan in the three districts, and one
approved summary, so that every 汇总表 shows real figures right after `make run`.

Answers and handling are written in bulk (one insert per table and plan) on top of the base
demo's institutions and inspectors; every record then moves through the review workflow as the
app itself would (the inspector submits, the district's reviewer approves), so each approved
record has its audit entries and no state is written directly.
"""
import datetime

from ..draw import services as draw_services
from ..draw.models import Draw, DrawSource, Task
from ..inspection.models import Answer, Handling, Record, Status, Visit, VisitInspector
from ..plans.catalog import get_plan, plans_with_summaries
from ..org.models import Area, Level, Role, Unit, User, UserRole
from ..plans.versions import remember_version
from ..registers.models import Inspector, Institution, InstitutionKind
from ..inspection import workflow as record_workflow
from . import workflow

SHARE = 0.6        # of the eligible units of a district, inspected per plan
FAIL_RATE = 0.12   # of the applicable items answered 不合格


def _tasks_of(plan, area, pairs, adhoc):
    """Where the records' tasks come from: for a random plan the list the upper platform sent down
    (上级平台下发, a confirmed Draw), or 临时检查 tasks (adhoc) that its tables do not count; a
    special campaign (004) draws nothing, so its records have no task."""
    if plan.kind != "random":
        return None, ""
    if adhoc:
        return None, "adhoc"
    author = next(u for a, b in pairs for u in (a.user_id, b.user_id) if u)
    draw = Draw.create(plan_id=plan.id, plan_version=plan.version, area=area, source=DrawSource.UPPER, drawn_by=author,
                       note="演示数据：上级平台下发的随机监督抽查名单")
    # confirmed through the draw's own transition (with its audit entry), by an admin above the area
    area = area if isinstance(area, Area) else Area.get_by_id(area)
    # users with their unit and area in one query: is_within needs no query per admin
    admins = (User.select(User, Unit, Area).join(UserRole, on=(UserRole.user == User.id)).switch(User)
              .join(Unit).join(Area).where(UserRole.role == Role.ADMIN))
    admin = next(u for u in admins if area.is_within(u.unit.area))
    return draw_services.confirm(draw, admin), plan.tiers[0].key


def make_records(plan, area, units, pairs, reviewer, rng, status=Status.APPROVED, fail_rate=FAIL_RATE, adhoc=False):
    """Visits, records, answers and handling for `units` (institution, kind keys) of one area,
    visited within the plan's period (before its completion deadline where it has one).

    pairs: list of (Inspector, Inspector) — the two officers of each visit (≥2, 行政处罚法 art. 42).
    adhoc: the records are 临时检查 (tasks without a draw), else from an upper-platform list.
    Returns the number of records made.
    """
    remember_version(plan)  # the records below name this version
    now = datetime.datetime.now()
    answers, handlings, made_records = [], [], []
    made = 0
    draw, tier = _tasks_of(plan, area, pairs, adhoc)
    first = max(plan.period.start, datetime.date(plan.year, 3, 1))
    done = plan.deadline("completion")
    last = min(plan.period.end, done.date if done else plan.period.end, datetime.date.today())
    span = max(0, (last - first).days)
    for inst_id, kinds in units:
        category = plan.category_of(kinds)
        items = plan.items_for(kinds)
        if category is None or not items:
            continue
        a, b = pairs[rng.randrange(len(pairs))]
        author = a.user_id or b.user_id
        day = first + datetime.timedelta(days=rng.randint(0, span))
        visit = Visit.create(institution=inst_id, area=area, date=day, created_by=author)
        task = None
        if tier:
            task = Task.create(draw=draw, plan_id=plan.id, plan_version=plan.version, institution=inst_id, area=area,
                               category=category.key, tier=tier, deadline=done.date if done else None)
        VisitInspector.insert_many([(visit.id, a.id, 0), (visit.id, b.id, 1)],
                                   fields=[VisitInspector.visit, VisitInspector.inspector, VisitInspector.position]).execute()
        at = datetime.datetime.combine(day, datetime.time(10))
        record = Record.create(visit=visit, task=task, plan_id=plan.id, plan_version=plan.version, institution=inst_id, area=area,
                               category=category.key, status=int(Status.DRAFT), created_by=author, created_at=at,
                               updated_at=now)
        made_records.append((record, author))
        made += 1
        failed = []
        for item in items:
            result = "fail" if rng.random() < fail_rate else "pass"
            if result == "pass" and item.services and rng.random() < 0.5:
                result = "na"
            if result == "fail":
                failed.append(item)
            answers.append((record.id, item.key, result, f"现场检查发现：{item.text[:40]}不符合要求" if result == "fail" else "",
                            author, at))
        if failed:
            penalty = rng.random() < 0.4
            fine = rng.choice([2000, 5000, 10000, 30000]) * 100 if penalty and rng.random() < 0.8 else 0
            conf = rng.choice([0, 0, 1500, 8800]) * 100 if penalty else 0
            kinds_failed = [i.case_kind for i in failed if i.case_kind]
            handlings.append(dict(
                record=record.id, penalty=penalty, case_filed=penalty, warning=penalty and rng.random() < 0.5,
                fine_fen=fine, confiscation_fen=conf, revoke_license=penalty and rng.random() < 0.08,
                revoke_person=penalty and rng.random() < 0.08, revoke_subject=penalty and rng.random() < 0.05,
                order_correction=True, transfer_dept=rng.random() < 0.05, transfer_judicial=penalty and rng.random() < 0.03,
                # past years' 意见书 would long be issued: only this year's records still wait for one
                # (the 待制作 list); older ones without a penalty were reported to the 主管科室.
                opinion=not penalty and at.year == now.year, report_dept=not penalty and at.year != now.year,
                case_kind=kinds_failed[0] if kinds_failed else "", decided_by=author, decided_at=at))
    for i in range(0, len(answers), 500):
        Answer.insert_many(answers[i:i + 500], fields=[Answer.record, Answer.item_key, Answer.result, Answer.finding,
                                                       Answer.answered_by, Answer.answered_at]).execute()
    for i in range(0, len(handlings), 500):
        Handling.insert_many(handlings[i:i + 500]).execute()
    for record, author in made_records:
        move(record, User.get_by_id(author), reviewer, status)
    return made


def move(record, author, reviewer, status):
    """Bring a draft record to `status` through the review workflow (each step audited)."""
    status = Status(status)
    if status == Status.DRAFT:
        return record
    record = record_workflow.submit(author, record)
    if status == Status.APPROVED:
        record = record_workflow.approve(reviewer, record)
    elif status == Status.RETURNED:
        record = record_workflow.return_(reviewer, record, "请补充不合格情形的具体描述后重新提交。")
    return record


def _district_people(area):
    inspectors = list(Inspector.select().join(Unit).where((Unit.area == area) & (Inspector.active == True))  # noqa: E712
                      .order_by(Inspector.id))
    reviewer = (User.select().join(UserRole).switch(User).join(Unit)
                .where((UserRole.role == Role.REVIEWER.value) & (Unit.area == area)).order_by(User.id).first())
    # the reviewer never reviews a visit they took part in
    officers = [i for i in inspectors if reviewer is None or i.user_id != reviewer.id]
    with_account = [i for i in officers if i.user_id]
    pairs = [(a, b) for a in with_account for b in officers if a.id != b.id][:12]
    return pairs, reviewer


# 新市区 still waits for the city platform's 2025 医疗机构 list: the admin imports it
# (tests/data/tasklist/示例任务清单-新市区.xlsx, or the example file on the import page), so the
# story has no records of that plan there yet — they would make every row of the list a duplicate.
AWAITING_LIST = {("650104", "2025-xj-yiliao")}


def load(rng):
    made = 0
    plans = plans_with_summaries()
    districts = list(Area.select().where(Area.level == int(Level.DISTRICT)).order_by(Area.code))
    for area in districts:
        pairs, reviewer = _district_people(area)
        if not pairs or reviewer is None:
            continue
        units = {}
        for inst_id, kind in (InstitutionKind.select(InstitutionKind.institution, InstitutionKind.kind).join(Institution)
                              .where((Institution.area == area) & (Institution.status == "在业"))
                              .order_by(InstitutionKind.institution, InstitutionKind.kind).tuples()):
            units.setdefault(inst_id, []).append(kind)
        for plan in plans:
            if (area.code, plan.id) in AWAITING_LIST:
                continue
            eligible = [(i, k) for i, k in units.items() if plan.category_of(k) is not None]
            chosen = [u for u in eligible if rng.random() < SHARE] or eligible[:1]
            made += make_records(plan, area, chosen, pairs, reviewer, rng)
    summaries = _approved_summary()
    return {"已审核检查记录": made, "已批准汇总表": summaries}


def _approved_summary():
    """天山区 sends up its 2025 医疗机构 汇总表: prepared, reviewed and approved."""
    plan = get_plan("2025-xj-yiliao") or next(iter(plans_with_summaries()), None)
    area = Area.get_or_none(Area.code == "650102")
    users = {u.username: u for u in User.select().where(User.username.in_(["ts_jdy1", "ts_shr", "ts_fzr"]))}
    if plan is None or area is None or len(users) < 3:
        return 0
    report = workflow.submit(users["ts_jdy1"], plan, area)
    report = workflow.review(users["ts_shr"], report)
    workflow.approve(users["ts_fzr"], report)
    return 1

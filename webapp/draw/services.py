"""The 双随机 draw: units drawn per the plan's rules, inspectors assigned, everything auditable.

Determinism is the point: the draw is a pure function of (plan, inputs snapshot, seed). The
inputs are read from the database in one pass (candidates selected and categorised in SQL,
ordered by id), hashed (`register_hash`) and stored compressed on the Draw, so `draw verify`
re-runs the very same computation and must reproduce `result_hash` and the stored tasks.

Random streams come from `random.Random(<text seed>)`: Python seeds from a str via SHA-512,
independent of PYTHONHASHSEED, so the same seed gives the same draw on every machine.
"""
import base64
import datetime
import hashlib
import json
import math
import random
import secrets
import zlib
from dataclasses import dataclass

from flask import current_app
from peewee import Case

from .. import workflow as machine
from ..audit import trail
from ..db import db, transaction
from ..errors import too_long
from ..inputs import to_int
from ..org.models import Area, Role, Unit, User
from ..registers.models import Inspector, Institution, InstitutionKind, Recusal
from . import past
from .models import Draw, DrawSource, DrawStatus, InspectorSwap, Task, TaskInspector

LOOKBACK_TIER = "lookback"  # Task.tier of a unit added only by 回头看 (not drawn in any tier)
LOOKBACK_TIER_NAME = "回头看"
ACTIVE = "在业"


class DrawError(machine.Refused):
    """A draw that cannot be made or changed as asked; the message is Chinese and shown to the user."""


# (verb, from state) -> to state. "discard" removes the pending draw and its tasks (None: no row
# is left; the audit entries of its run and discard stay); "swap" keeps the state and is listed
# so the table says a swap needs a confirmed draw.
TRANSITIONS = {
    ("confirm", DrawStatus.PENDING): DrawStatus.CONFIRMED,
    ("discard", DrawStatus.PENDING): None,
    ("swap", DrawStatus.CONFIRMED): DrawStatus.CONFIRMED,
}
VERB_LABELS = {"confirm": "确认", "discard": "作废", "swap": "调换执法人员"}


def _admin_refusal(user, draw):
    if not user.has_role(Role.ADMIN):
        return "只有管理员可以确认、作废抽取或调换执法人员。"
    if not draw.area.is_within(user.area):
        return "该抽取不在您的辖区内。"
    return None


def _state_message(draw, verb, current):
    if verb == "confirm":
        return "该抽取已确认，不能再次确认"
    if verb == "discard":
        return "已确认的抽取结果不能更改或删除"
    return "抽取尚未确认：未确认的结果可整体作废后重新抽取，不逐人调换"


MACHINE = machine.Machine(Draw, DrawStatus, TRANSITIONS, VERB_LABELS, noun="抽取", entity="draw", action="draw",
                          error=DrawError, actors={v: _admin_refusal for v in VERB_LABELS}, state_message=_state_message)


def allowed(user, draw, verb):
    """Whether user may confirm / discard / swap on this draw now (the detail page asks this)."""
    return MACHINE.allowed(user, draw, verb)


@dataclass(frozen=True)
class Drawn:
    tier: str
    category: str
    institution: int
    area: int
    lookback: bool
    inspectors: tuple

    def line(self):
        return f"{self.tier}|{self.category}|{self.institution}|{int(self.lookback)}|{','.join(map(str, self.inspectors))}"


# ------------------------------------------------------------------------------------------------
# Inputs: one read of the register, as plain data
# ------------------------------------------------------------------------------------------------


def _kind_case(plan):
    """SQL CASE mapping a register kind to its plan category's position (first in plan order)."""
    whens = [(k, i) for i, cat in enumerate(plan.categories) for k in cat.kinds]
    return Case(InstitutionKind.kind, whens), [k for k, _ in whens]


def candidates_query(plan, area):
    """(institution id, area id, category position) rows of the units the plan draws from, by
    id; a unit with several kinds appears once per kind (folded by `candidates`)."""
    case, kinds = _kind_case(plan)
    return (Institution.select(Institution.id, Institution.area, case)
            .join(InstitutionKind, on=(InstitutionKind.institution == Institution.id))
            .where(Institution.area.in_(area.subtree_ids()), Institution.status == ACTIVE,
                   InstitutionKind.kind.in_(kinds))
            .order_by(Institution.id))


def candidates(plan, area):
    """[[id, area id, category position]]: one row per unit, its first category in plan order."""
    out = []
    last = None
    # the raw cursor: 100,000 rows through peewee's row wrappers would cost more than the query
    for iid, area_id, pos in db.execute_sql(*candidates_query(plan, area).sql()).fetchall():
        if iid == last:
            if pos < out[-1][2]:
                out[-1][2] = pos
            continue
        out.append([iid, area_id, pos])
        last = iid
    return out


def _lookback_ids(plan, area):
    """Units due for 回头看 in the plan's lookback years (answered by the features that hold the
    past results: see past.py)."""
    if plan.lookback is None or not plan.lookback.years:
        return []
    return past.lookback_ids(area, list(plan.lookback.years))


def _last_pairs(area, before=None):
    """{institution id: sorted inspector ids} of the last team that checked (else was drawn for) it."""
    pairs = {}
    # earlier confirmed draws first, visits after: a real visit overrides a drawn team
    rows = (TaskInspector.select(Task.institution, Task.id, TaskInspector.inspector).join(Task).join(Draw)
            .where(Draw.status == int(DrawStatus.CONFIRMED), Task.area.in_(area.subtree_ids()),
                   Draw.id < (before or 2**62))
            .order_by(Task.id).tuples())
    for source in (rows, past.teams(area)):
        latest = {}
        for iid, key, insp in source:
            team = latest.get(iid)
            if team is None or team[0] != key:
                latest[iid] = (key, [insp])
            else:
                team[1].append(insp)
        for iid, (_, team) in latest.items():
            pairs[str(iid)] = sorted(team)
    return pairs


def gather(plan, area, before=None):
    """Read everything a draw depends on, as plain JSON-able data."""
    units = candidates(plan, area)
    areas = {str(a_id): path for a_id, path in area.subtree().select(Area.id, Area.path).tuples()}
    inspectors = [list(r) for r in (Inspector.select(Inspector.id, Unit.area).join(Unit)
                                    .where(Inspector.active == True, Unit.area.in_(area.subtree_ids()))  # noqa: E712
                                    .order_by(Inspector.id).tuples())]
    ids = [i for i, _ in inspectors]
    recusals = sorted([list(r) for r in Recusal.select(Recusal.inspector, Recusal.institution)
                       .where(Recusal.inspector.in_(ids or [0])).tuples()])
    return {"plan": plan.id, "version": plan.version, "area": area.code, "areas": areas, "candidates": units,
            "lookback": _lookback_ids(plan, area), "inspectors": inspectors, "recusals": recusals,
            "last_pairs": _last_pairs(area, before), "team": int(current_app.config.get("DRAW_TEAM_SIZE", 2))}


def _canonical(data):
    return json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def inputs_hash(inputs):
    return hashlib.sha256(_canonical(inputs).encode("utf-8")).hexdigest()


def pack(inputs):
    return base64.b64encode(zlib.compress(_canonical(inputs).encode("utf-8"), 6)).decode("ascii")


def unpack(text):
    return json.loads(zlib.decompress(base64.b64decode(text)).decode("utf-8"))


def result_hash(drawn):
    return hashlib.sha256("\n".join(d.line() for d in drawn).encode("utf-8")).hexdigest()


# ------------------------------------------------------------------------------------------------
# The algorithm: pure, given (plan, inputs, seed)
# ------------------------------------------------------------------------------------------------


def _district(path):
    """The 区/县 code of an area path (/省/市/区/…), or the path itself above district level."""
    parts = [p for p in path.split("/") if p]
    return parts[2] if len(parts) >= 3 else path


def sample_units(plan, inputs, seed):
    """[(tier, category key, institution id, area id, lookback)] in a stable order."""
    categories = plan.categories
    areas = inputs["areas"]
    by_cat = {c.key: [] for c in categories}
    unit_cat, unit_area = {}, {}
    for iid, area_id, pos in inputs["candidates"]:
        key = categories[pos].key
        by_cat[key].append(iid)
        unit_cat[iid], unit_area[iid] = key, area_id

    # a tier drawing from another tier's remainder comes after it (seed 001 附表2 市级 80%)
    rules = sorted(plan.sampling, key=lambda r: r.remainder_of is not None)
    taken = {}  # (tier, pool categories) -> set of drawn ids
    out = []
    for rule in rules:
        pool = [i for c in rule.categories for i in by_cat.get(c, ())]
        if len(rule.categories) > 1:
            pool.sort()  # sorted runs: timsort merges them in linear time
        if rule.remainder_of:
            done = taken.get((rule.remainder_of, tuple(rule.categories)), set())
            pool = [i for i in pool if i not in done]
        n = rule.sample_size(len(pool))
        rng = random.Random(f"{seed}|{rule.tier}|{','.join(rule.categories)}")
        chosen = []
        if rule.per_district and pool:
            # 每个区县至少抽 per_district 家: districts first (in code order), the rest after
            districts = {}
            for i in pool:
                districts.setdefault(_district(areas[str(unit_area[i])]), []).append(i)
            for d in sorted(districts):
                units = districts[d]
                chosen += rng.sample(units, min(rule.per_district, len(units)))
            picked = set(chosen)
            rest = [i for i in pool if i not in picked]
            extra = max(0, n - len(chosen))
            chosen += rng.sample(rest, min(extra, len(rest)))
        else:
            chosen = rng.sample(pool, n)
        chosen.sort()
        taken[(rule.tier, tuple(rule.categories))] = set(chosen)
        out += [(rule.tier, unit_cat[i], i, unit_area[i], False) for i in chosen]

    # 回头看: penalised units are inspected again; flag them where drawn, add them where not
    lookback = set(inputs["lookback"])
    if lookback:
        drawn_ids = {i for _, _, i, _, _ in out}
        out = [(t, c, i, a, i in lookback) for t, c, i, a, _ in out]
        out += [(LOOKBACK_TIER, unit_cat[i], i, unit_area[i], True) for i in sorted(lookback) if i in unit_cat and i not in drawn_ids]
    tier_order = {t.key: n for n, t in enumerate(plan.tiers)}
    out.sort(key=lambda r: (tier_order.get(r[0], len(tier_order)), r[2]))
    return out


def assign_inspectors(units, inputs, seed):
    """Teams of `team` inspectors per unit: random, 回避 respected, the last team avoided where
    possible, the load kept even (fewest tasks first, random among equals)."""
    team = inputs["team"]
    areas = inputs["areas"]
    inspectors = [(i, areas.get(str(a), "")) for i, a in inputs["inspectors"]]
    recused = {}
    for insp, inst in inputs["recusals"]:
        recused.setdefault(inst, set()).add(insp)
    last = {int(k): tuple(v) for k, v in inputs["last_pairs"].items()}
    load = {i: 0 for i, _ in inspectors}
    rng = random.Random(f"{seed}|inspectors")
    out = []
    everyone = [i for i, _ in inspectors]
    local_of = {}  # area id -> inspectors whose unit's area contains it
    for tier, cat, iid, area_id, lookback in units:
        local = local_of.get(area_id)
        if local is None:
            path = areas.get(str(area_id), "")
            local = local_of[area_id] = [i for i, p in inspectors if path.startswith(p)]
        barred = recused.get(iid)
        if barred:
            local = [i for i in local if i not in barred]
        pool = local if len(local) >= team else [i for i in everyone if not barred or i not in barred]
        if len(pool) < team:
            raise DrawError(_short_of_inspectors(iid, team, len(pool)))
        ranked = sorted(pool, key=lambda i: (load[i], rng.random()))
        chosen = ranked[:team]
        previous = last.get(iid)
        if previous and sorted(chosen) == list(previous) and len(ranked) > team:
            chosen = chosen[:-1] + [ranked[team]]  # not the same pair as last time
        for i in chosen:
            load[i] += 1
        out.append(Drawn(tier, cat, iid, area_id, lookback, tuple(sorted(chosen))))
    return out


def _short_of_inspectors(iid, team, available):
    inst = Institution.get_or_none(Institution.id == iid)
    name = inst.name if inst else f"单位 {iid}"
    return f"“{name}”可分配的执法人员只有 {available} 人（回避后），每个单位至少需要 {team} 人：请先补充执法人员名录库"


def compute(plan, inputs, seed):
    return assign_inspectors(sample_units(plan, inputs, seed), inputs, seed)


# ------------------------------------------------------------------------------------------------
# Writes: run, confirm, discard, swap (each with its audit entry, in one transaction)
# ------------------------------------------------------------------------------------------------


def _deadline(plan):
    """The plan's completion deadline (完成…), else its last one."""
    done = [d.date for d in plan.deadlines if d.kind == "completion"]
    dates = done or [d.date for d in plan.deadlines]
    return min(dates) if done else (max(dates) if dates else None)


def new_seed():
    return secrets.randbelow(10**12)


def run_draw(plan, area, actor, seed=None, witnesses="", note=""):
    """Draw for `plan` in `area`; the result is stored as tasks of an unconfirmed Draw."""
    from ..plans.versions import remember_version

    if plan.kind != "random" or not plan.sampling:
        raise DrawError(f"“{plan.title}”不是随机抽查计划，没有抽取规则")
    seed = new_seed() if seed is None else int(seed)
    inputs = gather(plan, area)
    if not inputs["candidates"]:
        raise DrawError(f"{area.name}的名录库中没有属于该计划单位类别的在业单位")
    drawn = compute(plan, inputs, seed)
    with transaction():
        remember_version(plan)
        draw = Draw.create(plan_id=plan.id, plan_version=plan.version, area=area, source=DrawSource.SYSTEM, seed=seed,
                           register_hash=inputs_hash(inputs), result_hash=result_hash(drawn), witnesses=witnesses.strip()[:255],
                           drawn_by=actor, note=note, snapshot=pack(inputs))
        _write_tasks(draw, plan, drawn)
        trail.record(actor, "draw.run", "draw", draw.id, after={
            "plan": plan.id, "version": plan.version, "area": area.code, "seed": seed, "register_hash": draw.register_hash,
            "result_hash": draw.result_hash, "tasks": len(drawn), "witnesses": draw.witnesses})
    return draw


def _bulk_insert(model, fields, rows):
    """executemany on the raw cursor: peewee's per-value SQL building costs more than the
    inserts themselves for tens of thousands of rows (bench/bench_draw.py)."""
    if not rows:
        return
    ph = db.obj.param
    sql = (f'INSERT INTO "{model._meta.table_name}" ({", ".join(f.column_name for f in fields)}) '
           f'VALUES ({", ".join([ph] * len(fields))})')
    db.cursor().executemany(sql, rows)


def _write_tasks(draw, plan, drawn):
    from ..db import is_postgres

    deadline, now = _deadline(plan), datetime.datetime.now()
    if not is_postgres():  # SQLite keeps dates as text, in peewee's own format
        deadline, now = (deadline.isoformat() if deadline else None), str(now)
    fields = [Task.draw, Task.plan_id, Task.plan_version, Task.institution, Task.area, Task.category, Task.tier,
              Task.lookback, Task.deadline, Task.created_at]
    _bulk_insert(Task, fields, [(draw.id, plan.id, plan.version, d.institution, d.area, d.category, d.tier, d.lookback,
                                 deadline, now) for d in drawn])
    ids = {(iid, tier): tid for tid, iid, tier in Task.select(Task.id, Task.institution, Task.tier).where(Task.draw == draw).tuples()}
    links = [(ids[(d.institution, d.tier)], insp, pos) for d in drawn for pos, insp in enumerate(d.inspectors)]
    _bulk_insert(TaskInspector, [TaskInspector.task, TaskInspector.inspector, TaskInspector.position], links)


def confirm(draw, actor):
    """确认: from now on the draw never changes and its tasks reach the inspectors."""
    return MACHINE.apply(actor, draw, "confirm", {Draw.confirmed_at: datetime.datetime.now()},
                         after={"result_hash": draw.result_hash})


def discard(draw, actor):
    """Throw away an unconfirmed draw (the audit entry of its run stays)."""
    from peewee import IntegrityError

    MACHINE.check(actor, draw, "discard")
    try:
        with transaction():
            row = MACHINE.lock(draw, "discard")  # not confirmed meanwhile
            tasks = Task.select(Task.id).where(Task.draw == row)
            TaskInspector.delete().where(TaskInspector.task.in_(tasks)).execute()
            Task.delete().where(Task.draw == row).execute()
            trail.record(actor, "draw.discard", "draw", row.id, before={"status": row.state.label, "seed": row.seed,
                                                                         "result_hash": row.result_hash})
            row.delete_instance()
    except IntegrityError:
        raise DrawError("该抽取的任务已有检查记录，不能删除")


def swap_cap(draw):
    """How many inspector swaps the draw allows: DRAW_SWAP_CAP of its drawn inspectors."""
    drawn = TaskInspector.select().join(Task).where(Task.draw == draw).count()
    return math.floor(drawn * float(current_app.config.get("DRAW_SWAP_CAP", 0.15)))


def swaps_used(draw):
    return InspectorSwap.select().join(Task).where(Task.draw == draw).count()


def swap_candidates(task):
    """Active inspectors of the draw's area who may replace someone on the task."""
    on_task = [r.inspector_id for r in task.inspector_rows]
    barred = Recusal.select(Recusal.inspector).where(Recusal.institution == task.institution)
    return list(Inspector.select(Inspector, Unit).join(Unit)
                .where(Inspector.active == True, Unit.area.in_(task.draw.area.subtree_ids()),  # noqa: E712
                       Inspector.id.not_in(on_task or [0]), Inspector.id.not_in(barred))
                .order_by(Inspector.name, Inspector.id))


def swap(task, old_id, new_id, reason, actor):
    """Replace one inspector of a confirmed draw's task; returns {field: message} on refusal."""
    errors = {}
    draw = task.draw
    reason = (reason or "").strip()
    row = TaskInspector.get_or_none((TaskInspector.task == task) & (TaskInspector.inspector == old_id))
    allowed = {i.id for i in swap_candidates(task)}
    refusal = MACHINE.state_refusal(draw, "swap") or MACHINE.actor_refusal(actor, draw, "swap")
    if refusal:
        errors["old"] = refusal
    elif row is None:
        errors["old"] = "请选择要调换的执法人员"
    new_id = to_int(str(new_id or ""))
    if new_id is None or new_id not in allowed:
        errors["new"] = "请选择可替换的执法人员（在岗、本辖区、未申报回避、不在该任务中）"
    if not reason:
        errors["reason"] = "请填写调换原因"
    elif too_long("调换原因", reason, InspectorSwap.reason.max_length):
        errors["reason"] = too_long("调换原因", reason, InspectorSwap.reason.max_length)
    if not errors and swaps_used(draw) + 1 > swap_cap(draw):
        errors["reason"] = f"调换次数已达上限（抽取人员的 {int(float(current_app.config.get('DRAW_SWAP_CAP', 0.15)) * 100)}%，本次抽取最多 {swap_cap(draw)} 次）"
    if errors:
        return errors
    def write(_):
        TaskInspector.update(inspector=int(new_id)).where(TaskInspector.id == row.id).execute()
        InspectorSwap.create(task=task, old_inspector=old_id, new_inspector=int(new_id), reason=reason, swapped_by=actor)
        trail.record(actor, "draw.swap", "task", task.id, before={"inspector": int(old_id)},
                     after={"inspector": int(new_id), "reason": reason, "draw": draw.id})

    MACHINE.apply(actor, draw, "swap", audit=False, then=write)  # its own entry, on the task
    return {}


# ------------------------------------------------------------------------------------------------
# Verification
# ------------------------------------------------------------------------------------------------


def stored_result(draw):
    """The draw's tasks as they were drawn (inspector swaps undone), in draw order."""
    tasks = Task.select(Task.id, Task.tier, Task.category, Task.institution, Task.area, Task.lookback).where(Task.draw == draw).tuples()
    teams = {}
    for tid, insp in TaskInspector.select(TaskInspector.task, TaskInspector.inspector).join(Task).where(Task.draw == draw).tuples():
        teams.setdefault(tid, []).append(insp)
    for task_id, old, new in (InspectorSwap.select(InspectorSwap.task, InspectorSwap.old_inspector, InspectorSwap.new_inspector)
                              .join(Task).where(Task.draw == draw).order_by(InspectorSwap.id.desc()).tuples()):
        team = teams.get(task_id, [])
        if new in team:
            team[team.index(new)] = old
    return {(iid, tier): Drawn(tier, cat, iid, area_id, bool(lookback), tuple(sorted(teams.get(tid, []))))
            for tid, tier, cat, iid, area_id, lookback in tasks}


def verify(draw):
    """Re-run the draw from its stored inputs. Returns (ok, [Chinese lines])."""
    from ..plans.catalog import UnknownVersion, plan_for

    lines = []
    if draw.source != DrawSource.SYSTEM:
        return False, [f"该任务清单来源为“{draw.source}”，不是本系统抽取的，无法按随机种子复核"]
    if not draw.snapshot or draw.seed is None:
        return False, ["该抽取没有保存随机种子或名录库快照，无法复核"]
    inputs = unpack(draw.snapshot)
    if inputs_hash(inputs) != draw.register_hash:
        return False, ["名录库快照的哈希与抽取时记录的不一致：快照被改动"]
    try:
        plan = plan_for(draw)
    except UnknownVersion as e:
        return False, [str(e)]
    again = compute(plan, inputs, draw.seed)
    stored = stored_result(draw)
    fresh = {(d.institution, d.tier): d for d in again}
    names = dict(Institution.select(Institution.id, Institution.name)
                 .where(Institution.id.in_([k[0] for k in set(stored) | set(fresh)] or [0])).tuples())
    for key in sorted(set(stored) | set(fresh)):
        a, b = stored.get(key), fresh.get(key)
        label = f"{names.get(key[0], key[0])}（{key[1]}）"
        if a is None:
            lines.append(f"复核多出：{label}")
        elif b is None:
            lines.append(f"记录多出：{label}")
        elif a != b:
            lines.append(f"不一致：{label} 记录为 {a.line()}，复核为 {b.line()}")
    if result_hash(again) != draw.result_hash:
        lines.append(f"结果哈希不一致：记录 {draw.result_hash}，复核 {result_hash(again)}")
    return not lines, lines


def register_changed(draw):
    """True when the live register no longer matches the snapshot the draw used (informational)."""
    from ..plans.catalog import plan_at

    plan = plan_at(draw.plan_id, draw.plan_version)
    if plan is None:
        return None
    return inputs_hash(gather(plan, draw.area, before=draw.id)) != draw.register_hash


# ------------------------------------------------------------------------------------------------
# Read side: the plain-data context for pages, the PDF record and the task workbook
# ------------------------------------------------------------------------------------------------


def tier_name(plan, key):
    if key == LOOKBACK_TIER:
        return LOOKBACK_TIER_NAME
    return next((t.name for t in plan.tiers if t.key == key), key) if plan else key


def draw_rows(draw, plan):
    """The drawn list as plain dicts, in draw order."""
    tasks = list(Task.select(Task, Institution, Area).join(Institution).switch(Task).join(Area)
                 .where(Task.draw == draw).order_by(Task.id))
    teams = {}
    for tid, name, cert in (TaskInspector.select(TaskInspector.task, Inspector.name, Inspector.cert_no).join(Inspector)
                            .switch(TaskInspector).join(Task).where(Task.draw == draw)
                            .order_by(TaskInspector.task, TaskInspector.position).tuples()):
        teams.setdefault(tid, []).append((name, cert))
    cats = {c.key: c.name for c in plan.categories} if plan else {}
    return [{"no": n, "task": t.id, "name": t.institution.name, "credit_code": t.institution.credit_code,
             "area": t.area.name, "category": cats.get(t.category, t.category), "tier": tier_name(plan, t.tier),
             "lookback": t.lookback, "inspectors": teams.get(t.id, []), "institution": t.institution_id,
             "deadline": t.deadline.isoformat() if t.deadline else ""}
            for n, t in enumerate(tasks, start=1)]


def summary(draw, plan, rows=None):
    """Counts per tier and category, plus the pool sizes, for the record's header table."""
    rows = rows if rows is not None else draw_rows(draw, plan)
    inputs = unpack(draw.snapshot) if draw.snapshot else {"candidates": []}
    pools = {}
    for _, _, pos in inputs["candidates"]:
        key = plan.categories[pos].name if plan else str(pos)
        pools[key] = pools.get(key, 0) + 1
    counts = {}
    for r in rows:
        counts[(r["tier"], r["category"])] = counts.get((r["tier"], r["category"]), 0) + 1
    return {"pools": pools, "counts": [{"tier": t, "category": c, "count": n} for (t, c), n in counts.items()],
            "lookback": sum(1 for r in rows if r["lookback"]), "total": len(rows)}


def record_context(draw, plan):
    """Plain data for the 抽取记录 PDF."""
    rows = draw_rows(draw, plan)
    return {
        "title": "双随机抽取记录",
        "plan_title": plan.title if plan else draw.plan_id, "plan_id": draw.plan_id, "plan_version": draw.plan_version,
        "area": draw.area.name, "drawn_at": draw.drawn_at.strftime("%Y-%m-%d %H:%M"), "seed": draw.seed,
        "register_hash": draw.register_hash, "result_hash": draw.result_hash,
        "drawn_by": draw.drawn_by.name, "witnesses": draw.witnesses, "state": draw.state.label,
        "confirmed_at": draw.confirmed_at.strftime("%Y-%m-%d %H:%M") if draw.confirmed_at else "",
        "summary": summary(draw, plan, rows),
        "rows": [dict(r, inspectors="、".join(n for n, _ in r["inspectors"])) for r in rows],
        "swaps": [{"name": s.task.institution.name, "old": s.old_inspector.name, "new": s.new_inspector.name,
                   "reason": s.reason, "at": s.swapped_at.strftime("%Y-%m-%d %H:%M"), "by": s.swapped_by.name}
                  for s in InspectorSwap.select().join(Task).where(Task.draw == draw).order_by(InspectorSwap.id)],
    }


def task_workbook(draw, plan):
    from ..printing import HeaderCell, Sheet, build_workbook

    rows = draw_rows(draw, plan)
    header = ["序号", "单位名称", "统一社会信用代码", "所在地区", "单位类别", "抽取层级", "回头看", "执法人员", "完成时限"]
    sheet = Sheet(
        title="检查任务清单",
        headings=[f"{plan.title if plan else draw.plan_id} 检查任务清单",
                  f"{draw.area.name} · 抽取时间 {draw.drawn_at:%Y-%m-%d %H:%M} · 随机种子 {draw.seed} · 共 {len(rows)} 项"],
        header=[[HeaderCell(h) for h in header]],
        rows=[[r["no"], r["name"], r["credit_code"], r["area"], r["category"], r["tier"], "是" if r["lookback"] else "",
               "、".join(n for n, _ in r["inspectors"]), r["deadline"]] for r in rows],
        widths=[6, 34, 22, 12, 22, 12, 8, 20, 12],
    )
    return build_workbook([sheet])


def default_actor(area):
    """For the CLI: an active administrator whose unit covers the area."""
    from ..org.models import Role, UserRole

    for user in (User.select().join(UserRole).where(UserRole.role == Role.ADMIN.value, User.active == True)  # noqa: E712
                 .order_by(User.id)):
        if area.is_within(user.unit.area):
            return user
    return None

"""The reviewer's queue and the whole-record view, as plain data for the templates."""
import datetime
from dataclasses import dataclass, field

from peewee import JOIN, fn

from .. import inputs
from ..audit import trail
from ..audit.models import AuditEntry
from ..inspection.models import Answer, Evidence, Handling, Record, Result, Status, Visit, VisitInspector
from ..org.models import Area, Role, Unit, User
from ..plans.catalog import catalog, plan_for
from ..registers.models import Inspector, Institution
from ..scope import areas_of, visible
from ..inspection import workflow

# 待审时长 filter: label -> minimum whole days since submission.
AGES = [("", "全部", 0), ("3", "3 天以上", 3), ("7", "7 天以上", 7), ("15", "15 天以上", 15), ("30", "30 天以上", 30)]
QUEUE_LIMIT = 300


def _not_inspected_by(query, user):
    """Leave out records the user inspected or wrote: nobody reviews their own work."""
    return query.where(~workflow.inspected_by(user))


def reviewable(user):
    """Submitted records this user may approve or return (area and above, not their own)."""
    if not user.has_role(Role.REVIEWER):
        return Record.select().where(Record.id.is_null())
    query = visible(Record.select().where(Record.status == int(Status.SUBMITTED)), Record.area, user)
    return _not_inspected_by(query, user)


def queue_count(user):
    """The navigation badge: how many records wait for this reviewer."""
    return reviewable(user).count()


@dataclass
class Filters:
    plan: str = ""
    area: str = ""
    inspector: str = ""
    age: str = ""

    @classmethod
    def from_args(cls, args):
        return cls(**{k: (args.get(k) or "").strip() for k in ("plan", "area", "inspector", "age")})

    @property
    def active(self):
        return any((self.plan, self.area, self.inspector, self.age))


@dataclass
class Row:
    record: Record
    plan_title: str
    inspectors: list
    failures: int
    age_days: int

    @property
    def clean(self):
        return self.failures == 0


@dataclass
class Queue:
    rows: list
    total: int  # in the queue, before filters
    matching: int  # after filters
    by_plan: list = field(default_factory=list)  # [(plan_id, title, count)]
    choices: dict = field(default_factory=dict)

    @property
    def clean_count(self):
        return sum(1 for r in self.rows if r.clean)


def plan_titles():
    return {pid: p.title for pid, p in catalog().plans.items()}


def _apply_filters(query, f, user):
    if f.plan:
        query = query.where(Record.plan_id == f.plan)
    if inputs.to_int(f.area) is not None:
        area = Area.get_or_none(Area.id == inputs.to_int(f.area))
        if area is not None and area.is_within(user.area):
            query = query.where(Record.area.in_(area.subtree_ids()))
    if inputs.to_int(f.inspector) is not None:
        query = query.where(Record.visit.in_(VisitInspector.select(VisitInspector.visit).where(VisitInspector.inspector == inputs.to_int(f.inspector))))
    days = {k: d for k, _, d in AGES}.get(f.age, 0)
    if days:
        query = query.where(Record.submitted_at <= datetime.datetime.now() - datetime.timedelta(days=days))
    return query


def failure_counts(record_ids):
    if not record_ids:
        return {}
    rows = (Answer.select(Answer.record, fn.COUNT(Answer.id).alias("n"))
            .where(Answer.record.in_(record_ids) & (Answer.result == Result.FAIL)).group_by(Answer.record))
    return {r.record_id: r.n for r in rows}


def inspector_names(visit_ids):
    out = {}
    if not visit_ids:
        return out
    rows = (VisitInspector.select(VisitInspector.visit, Inspector.name).join(Inspector)
            .where(VisitInspector.visit.in_(visit_ids)).order_by(VisitInspector.visit, VisitInspector.position))
    for r in rows:
        out.setdefault(r.visit_id, []).append(r.inspector.name)
    return out


def build_queue(user, f):
    base = reviewable(user)
    titles = plan_titles()
    query = (_apply_filters(base, f, user)
             .select(Record, Institution, Area).join(Institution, on=(Record.institution == Institution.id))
             .switch(Record).join(Area, on=(Record.area == Area.id))
             .order_by(Record.submitted_at.asc(nulls="LAST"), Record.id).limit(QUEUE_LIMIT))
    records = list(query)
    fails = failure_counts([r.id for r in records])
    names = inspector_names([r.visit_id for r in records])
    today = datetime.datetime.now()
    rows = [Row(r, titles.get(r.plan_id, r.plan_id), names.get(r.visit_id, []), fails.get(r.id, 0),
                (today - r.submitted_at).days if r.submitted_at else 0) for r in records]
    by_plan = [(p.plan_id, titles.get(p.plan_id, p.plan_id), p.n) for p in
               base.select(Record.plan_id, fn.COUNT(Record.id).alias("n")).group_by(Record.plan_id).order_by(Record.plan_id)]
    inspectors = (visible(Inspector.select(Inspector).join(Unit), Unit.area, user)
                  .where(Inspector.user.is_null(False)).order_by(Inspector.name))
    choices = {
        "plans": [(pid, title) for pid, title, _ in by_plan],
        "areas": areas_of(user),
        "inspectors": list(inspectors),
        "ages": [(k, label) for k, label, _ in AGES],
    }
    total = base.count()
    matching = _apply_filters(base, f, user).count() if f.active else total
    return Queue(rows=rows, total=total, matching=matching, by_plan=by_plan, choices=choices)


# ---- the whole record --------------------------------------------------------------------------


@dataclass
class ItemView:
    key: str
    text: str
    section: str
    answer: Answer | None
    evidence: list


def record_view(record):
    """Failures (with their evidence) first, then the handling, then every other answer."""
    from ..inspection import services

    try:
        plan = plan_for(record)
    except LookupError:
        plan = None
    answers = {a.item_key: a for a in Answer.select().where(Answer.record == record.id)}
    evidence = {}
    for ev in Evidence.select().where(Evidence.record == record.id).order_by(Evidence.id):
        evidence.setdefault(ev.item_key, []).append(ev)
    sections = {s.key: s.title for s in plan.sections} if plan else {}
    items = []
    # The record's applicable items (its category's), as the checklist showed them; an answer
    # outside them (a plan edited since) is still shown, never hidden.
    applicable = [i for i in plan.items if record.category in i.categories] if plan else []
    known = {i.key: i for i in plan.items} if plan else {}
    keys = [i.key for i in applicable]
    for key in keys + [k for k in answers if k not in set(keys)]:
        it = known.get(key)
        items.append(ItemView(key, it.text if it else key, sections.get(it.section, "") if it else "", answers.get(key), evidence.get(key, [])))
    handling = Handling.get_or_none(Handling.record == record.id)
    failed = [i for i in items if i.answer and i.answer.result == Result.FAIL]
    others = [i for i in items if not (i.answer and i.answer.result == Result.FAIL)]
    visit = Visit.get_by_id(record.visit_id)
    return {
        "plan": plan,
        "plan_title": plan.title if plan else record.plan_id,
        "failed": failed,
        "others": others,
        "unanswered": sum(1 for i in others if i.answer is None),
        "handling": handling,
        "handling_summary": services.handling_summary(handling) if handling else "",
        "visit": visit,
        "inspectors": inspector_names([record.visit_id]).get(record.visit_id, []),
        "loose_evidence": [ev for k, evs in evidence.items() if k not in answers for ev in evs],
        "withdrawals": last_withdrawal(record),
    }


def last_withdrawal(record):
    """The latest 撤回审核 of this record (who, when, why), or None."""
    e = (AuditEntry.select(AuditEntry, User).join(User, JOIN.LEFT_OUTER, on=(AuditEntry.actor == User.id))
         .where((AuditEntry.record_id == record.id) & (AuditEntry.action == "record.withdraw"))
         .order_by(AuditEntry.id.desc()).first())
    if e is None:
        return None
    return {"by": e.actor.name if e.actor_id else "", "at": e.at, "reason": trail.decoded(e.after).get("reason", "")}

"""The inspection walk-through: tasks, starting a visit, answers, evidence, handling, submitting.

Every write runs through `webapp.db.write()` (one transaction with its audit entry, retried when
the lock is not to be had in time, then Busy → 503 请稍后重试). Inside it the write first locks the
record row (`_lock`) and checks again what the decision rests on — the record is still editable
(else Locked → 409 with the lock message), the version the user saw (else Conflict → 409 with the
conflict screen) — so a save racing 提交审核, or two first saves of one item, end in one clean
answer. Callers (views) have already checked access and `workflow.ensure_editable(record)`: that
early check gives the quick answer, this one holds under concurrency.
"""
import datetime
import re
from dataclasses import dataclass, field


from ..audit import trail
from .. import inputs, uploads
from ..errors import Invalid, too_long
from ..db import locked, write
from ..draw import past
from ..draw.models import Task, TaskInspector
from ..org.models import Role, Unit, User
from ..plans.catalog import catalog, plan_for
from ..plans.versions import remember_version
from ..registers.models import Inspector, Institution, Recusal
from . import workflow
from ..scope import visible
from .models import Answer, Evidence, Handling, Record, Result, Status, Visit, VisitInspector




class Locked(Exception):
    """The record is no longer editable (submitted or approved meanwhile): the view answers 409
    with the same message as workflow.ensure_editable."""

    def __init__(self, status):
        self.status = Status(status)
        self.message = workflow.LOCK_MESSAGES[self.status]
        super().__init__(self.message)


def _lock(record):
    """Inside a write transaction: lock the record's row and read it again; raise Locked unless
    it is still editable. Every write to one record queues here (PostgreSQL: SELECT … FOR UPDATE;
    SQLite: the IMMEDIATE transaction already holds the write lock), so what it reads after this
    cannot change before the commit."""
    current = locked(Record.select().where(Record.id == record.id)).get()
    if not workflow.is_editable(current):
        raise Locked(current.status)
    return current


class Conflict(Exception):
    """Someone else saved first; `theirs` is what they saved (an Answer or Handling)."""

    def __init__(self, theirs):
        super().__init__("conflict")
        self.theirs = theirs


# ------------------------------------------------------------------------------------------------
# Tasks
# ------------------------------------------------------------------------------------------------


def my_inspector(user):
    return Inspector.get_or_none(Inspector.user == user.id)


def tasks_for(user):
    """Tasks assigned to the user (or on whose visit the user was chosen), soonest deadline first,
    each with its record (or None)."""
    assigned = TaskInspector.select(TaskInspector.task).join(Inspector).where(Inspector.user == user.id)
    on_visit = (Record.select(Record.task).join(Visit).join(VisitInspector).join(Inspector)
                .where((Inspector.user == user.id) & Record.task.is_null(False)))
    # a pending draw's tasks are not there yet for inspectors (Task.released)
    query = (Task.select(Task, Institution).join(Institution)
             .where((Task.id.in_(assigned) | Task.id.in_(on_visit)) & Task.released()))
    tasks = list(visible(query, Task.area, user))
    records = {r.task_id: r for r in Record.select().where(Record.task.in_([t.id for t in tasks]))} if tasks else {}
    far = datetime.date.max
    tasks.sort(key=lambda t: (records.get(t.id) is not None and records[t.id].status == Status.APPROVED,
                              t.deadline or far, t.id))
    return [(t, records.get(t.id)) for t in tasks]


def adhoc_candidates(user, q, limit=50):
    """Units in the user's area whose name or credit code matches q."""
    query = Institution.select().where(Institution.status == "在业")
    if q:
        query = query.where(Institution.name.contains(q) | (Institution.credit_code == q.upper()))
    return list(visible(query, Institution.area, user).order_by(Institution.name).limit(limit))


def plans_for(institution):
    """(plan, category) for every current plan under which this unit can be checked."""
    kinds = institution.kind_keys
    out = []
    for plan in catalog().plans.values():
        category = plan.category_of(kinds)
        if category is not None:
            out.append((plan, category))
    return out


def start_adhoc(user, institution, plan_id):
    """临时检查: a Task without a draw, assigned to the user, for any unit in their area."""
    errors = {}
    if institution is None or not institution.area.is_within(user.area):
        errors["institution"] = "请选择本辖区内的检查对象。"
    inspector = my_inspector(user)
    if inspector is None or not inspector.active:
        errors["institution"] = "您不在执法检查人员名录库中（或已停用），不能发起检查。"
    plan = catalog().get(plan_id or "")
    category = plan.category_of(institution.kind_keys) if plan is not None and institution is not None else None
    if plan is None:
        errors["plan"] = "请选择检查计划。"
    elif category is None and "institution" not in errors:
        errors["plan"] = f"“{institution.name}”不属于该计划的检查对象类别。"
    if errors:
        raise Invalid(errors)

    def create():
        task = Task.create(draw=None, plan_id=plan.id, plan_version=plan.version, institution=institution,
                           area=institution.area, category=category.key, tier="adhoc",
                           deadline=datetime.date.today())
        TaskInspector.create(task=task, inspector=inspector, position=0)
        trail.record(user, "task.adhoc", "task", task.id, after={"plan": plan.id, "institution": institution.name,
                                                                  "category": category.key})
        return task

    return write(create)


def inspector_choices(user, task):
    """Active inspectors of the register a visit may name: those of the user's area and below."""
    query = Inspector.select(Inspector, Unit).join(Unit).where(Inspector.active == True)  # noqa: E712
    return list(visible(query, Unit.area, user).order_by(Inspector.unit, Inspector.name))


def start_record(user, task, form):
    """Record the visit (date, place, ≥2 inspectors, the unit's representative) and open the
    checklist. Returns the record; a task already started returns its record unchanged."""
    if not task.is_released:
        raise workflow.TransitionError("该任务所属的抽取尚未确认，不能开始检查。", 409)
    existing = Record.get_or_none(Record.task == task.id)
    if existing is not None:
        return existing
    errors = {}
    try:
        # a visit is recorded on the day or after it: never ahead, never before the system's time
        date = inputs.parse_date(form.get("date"), "date", latest=datetime.date.today(), label="检查日期")
    except Invalid as e:
        errors.update(e.errors)
    place = (form.get("place") or "").strip()
    representative = (form.get("representative") or "").strip()
    if not place:
        errors["place"] = "请填写检查地点。"
    if not representative:
        errors["representative"] = "请填写被检查单位在场人员姓名。"
    representative_title = (form.get("representative_title") or "").strip()
    for field, label, text in (("place", "检查地点", place), ("representative", "在场人员姓名", representative),
                               ("representative_title", "在场人员职务", representative_title)):
        problem = too_long(label, text, TEXT_MAX[field])
        if problem:
            errors[field] = problem
    allowed = {i.id: i for i in inspector_choices(user, task)}
    chosen_ids = inputs.to_ids(form.getlist("inspectors"))
    chosen = [allowed[i] for i in chosen_ids if i in allowed]
    recused = {r.inspector_id for r in Recusal.select().where(Recusal.institution == task.institution_id)}
    mine = my_inspector(user)
    if len(chosen) < 2:
        errors["inspectors"] = "执法检查人员不得少于两人（《行政处罚法》第四十二条），请至少选择两人。"
    elif any(i.id in recused for i in chosen):
        names = "、".join(i.name for i in chosen if i.id in recused)
        errors["inspectors"] = f"{names} 已对该单位申报回避，不能参加本次检查。"
    elif not user.has_role(Role.ADMIN) and (mine is None or mine.id not in chosen_ids):
        errors["inspectors"] = "您本人须是本次检查的执法人员之一。"
    if errors:
        raise Invalid(errors)
    plan = plan_for(task)
    return write(_create_record, user, task, plan, date, place, representative, chosen,
                 representative_title)


def _create_record(user, task, plan, date, place, representative, chosen, representative_title):
    # The task row locked, then asked again: two clicks on 开始检查 make one record, not two.
    locked(Task.select().where(Task.id == task.id)).get()
    existing = Record.get_or_none(Record.task == task.id)
    if existing is not None:
        return existing
    remember_version(plan)
    visit = Visit.create(institution=task.institution_id, area=task.area_id, date=date, place=place,
                         representative=representative,
                         representative_title=representative_title,
                         created_by=user)
    for pos, insp in enumerate(chosen):
        VisitInspector.create(visit=visit, inspector=insp, position=pos)
    record = Record.create(visit=visit, task=task, plan_id=plan.id, plan_version=plan.version,
                           institution=task.institution_id, area=task.area_id, category=task.category,
                           created_by=user)
    trail.record(user, "record.start", "record", record.id,
                 after={"plan": plan.id, "version": plan.version, "date": date.isoformat(), "place": place,
                        "inspectors": [i.name for i in chosen], "representative": representative})
    return record


# ------------------------------------------------------------------------------------------------
# The checklist as the page shows it
# ------------------------------------------------------------------------------------------------


def dom_id(item_key):
    return "item-" + re.sub(r"[^A-Za-z0-9_-]", "-", item_key)


def _answer_rows(record_id, item_key=None):
    """Answers as light rows (named tuples: a 70-item page builds no model objects)."""
    query = (Answer.select(Answer.item_key, Answer.result, Answer.note, Answer.finding, Answer.version,
                           Answer.answered_at, User.name.alias("answered_by_name"))
             .join(User, on=(Answer.answered_by == User.id)).where(Answer.record == record_id))
    if item_key is not None:
        query = query.where(Answer.item_key == item_key)
    return query.namedtuples()


@dataclass
class SectionView:
    key: str
    title: str
    items: list
    answered: int = 0

    @property
    def total(self):
        return len(self.items)

    @property
    def percent(self):
        return round(100 * self.answered / self.total) if self.total else 100


@dataclass
class Checklist:
    """The applicable items of a record's plan with the answers given so far."""

    record: Record
    plan: object
    sections: list
    answers: dict
    evidence: dict
    suggest: dict  # item key -> names of the services the unit lacks
    handling: Handling | None = None
    failed: list = field(default_factory=list)

    @classmethod
    def load(cls, record):
        plan = plan_for(record)
        answers = {a.item_key: a for a in _answer_rows(record.id)}
        evidence = {}
        for e in Evidence.select().where(Evidence.record == record.id).order_by(Evidence.id):
            evidence.setdefault(e.item_key, []).append(e)
        services = set(record.institution.service_keys)
        names = plan.vocabulary.services  # the names this plan version was checked against
        sections, suggest = [], {}
        for s in plan.sections:
            items = [i for i in s.items if record.category in i.categories]
            if not items:
                continue
            sv = SectionView(s.key, s.title, items, sum(1 for i in items if i.key in answers))
            sections.append(sv)
            for i in items:
                if i.needs_service(services):
                    suggest[i.key] = "、".join(names[k].name if k in names else k for k in i.services)
        failed = [i for s in sections for i in s.items if i.key in answers and answers[i.key].result == Result.FAIL]
        handling = Handling.get_or_none(Handling.record == record.id)
        return cls(record, plan, sections, answers, evidence, suggest, handling, failed)

    def refresh(self, item_key):
        """Re-read one answer after a save (cheaper than loading the whole checklist again)."""
        row = next(iter(_answer_rows(self.record.id, item_key)), None)
        if row is not None:
            self.answers[item_key] = row
        for s in self.sections:
            s.answered = sum(1 for i in s.items if i.key in self.answers)
        self.failed = [i for s in self.sections for i in s.items
                       if i.key in self.answers and self.answers[i.key].result == Result.FAIL]

    def section(self, key):
        return next((s for s in self.sections if s.key == key), None)

    def section_of(self, item_key):
        return next((s for s in self.sections if any(i.key == item_key for i in s.items)), None)

    def item(self, key):
        s = self.section_of(key)
        return next(i for i in s.items if i.key == key) if s else None

    @property
    def total(self):
        return sum(s.total for s in self.sections)

    @property
    def answered(self):
        return sum(s.answered for s in self.sections)

    def missing(self):
        """What stops 提交审核: (message, section key, item key or None) in page order."""
        out = [(f"{i.key} {i.short or i.text[:24]}… 尚未作答", s.key, i.key)
               for s in self.sections for i in s.items if i.key not in self.answers]
        if self.failed and self.handling is None:
            out.append((f"有 {len(self.failed)} 项不合格，尚未作出处理决定", None, None))
        return out


# ------------------------------------------------------------------------------------------------
# Answers
# ------------------------------------------------------------------------------------------------


def _int(value, default=0):
    return inputs.to_int(value, default, lo=inputs.INT_MIN, hi=inputs.INT_MAX)


# Length limits of the free-text fields: the server checks these and the fields show them
# (templates pass services.TEXT_MAX[...] to the `counted` macro). Visit fields: the model's.
TEXT_MAX = {"finding": 2000, "note": 2000, "handling_note": 2000,
            "place": Visit.place.max_length, "representative": Visit.representative.max_length,
            "representative_title": Visit.representative_title.max_length}


def answer_errors(result, finding):
    """The one validator for an answer (used by the save and shown beside the fields)."""
    errors = {}
    if result not in Result.LABELS:
        errors["result"] = "请选择 合格、不合格 或 合理缺项。"
    elif result == Result.FAIL and not finding:
        errors["finding"] = "选择“不合格”时必须填写发现的问题（不合格情形）。"
    return errors


def save_answer(user, record, item_key, form):
    """Save one answer if the version the user saw is still the stored one; else raise Conflict."""
    result = (form.get("result") or "").strip()
    note = (form.get("note") or "").strip()
    finding = (form.get("finding") or "").strip()
    seen = _int(form.get("version"), -1)
    errors = answer_errors(result, finding)
    for field, label, text in (("finding", "不合格情形", finding), ("note", "备注", note)):
        problem = too_long(label, text, TEXT_MAX[field])
        if problem:
            errors[field] = problem
    if errors:
        raise Invalid(errors)
    if result != Result.FAIL:
        finding = ""  # a finding belongs to a failure only: an item answered 合格 has none
    return write(_save_answer, user, record, item_key, result, note, finding, seen)


def _save_answer(user, record, item_key, result, note, finding, seen):
    _lock(record)
    now = datetime.datetime.now()
    current = Answer.get_or_none((Answer.record == record.id) & (Answer.item_key == item_key))
    if current is None:
        if seen != 0:
            raise Conflict(None)  # the form came from an answer that no longer exists
        answer = Answer.create(record=record, item_key=item_key, result=result, note=note, finding=finding,
                               version=1, answered_by=user, answered_at=now)
        before = None
    else:
        if seen != current.version:
            raise Conflict(current)
        before = {"result": current.result, "note": current.note, "finding": current.finding}
        if before == {"result": result, "note": note, "finding": finding}:
            return current  # nothing changed: no new version, no audit noise
        n = (Answer.update(result=result, note=note, finding=finding, version=Answer.version + 1,
                           answered_by=user.id, answered_at=now)
             .where((Answer.id == current.id) & (Answer.version == seen)).execute())
        if n != 1:
            raise Conflict(Answer.get_by_id(current.id))
        answer = Answer.get_by_id(current.id)
    _touch(record, now)
    trail.record(user, "answer.save", "record", record.id, before={"item": item_key, **(before or {})},
                 after={"item": item_key, "result": result, "note": note, "finding": finding})
    return answer


def _touch(record, now):
    Record.update(version=Record.version + 1, updated_at=now).where(Record.id == record.id).execute()


# ------------------------------------------------------------------------------------------------
# Evidence
# ------------------------------------------------------------------------------------------------

def add_evidence(user, record, item_key, upload):
    """Store an uploaded file by its SHA-256 and attach it to the item."""
    file = uploads.read(upload, "evidence")
    data, name, mime = file.data, file.name, file.mime
    sha = uploads.store(data)

    def attach():
        _lock(record)
        existing = Evidence.get_or_none((Evidence.record == record.id) & (Evidence.item_key == item_key)
                                        & (Evidence.sha256 == sha))
        if existing is not None:
            return existing
        ev = Evidence.create(record=record, item_key=item_key, sha256=sha, filename=name, mime=mime, size=len(data),
                             uploaded_by=user)
        _touch(record, datetime.datetime.now())
        trail.record(user, "evidence.add", "record", record.id,
                     after={"item": item_key, "file": name, "sha256": sha, "size": len(data)})
        return ev

    return write(attach)


def remove_evidence(user, record, evidence):
    """Detach a file from the item (the stored bytes stay: other records may share them)."""
    def detach():
        _lock(record)
        if Evidence.delete().where(Evidence.id == evidence.id).execute() != 1:
            return  # removed meanwhile (another tab): nothing more to do or to audit
        _touch(record, datetime.datetime.now())
        trail.record(user, "evidence.remove", "record", record.id,
                     before={"item": evidence.item_key, "file": evidence.filename, "sha256": evidence.sha256})

    write(detach)


# ------------------------------------------------------------------------------------------------
# Handling (处理, seed 000 三(四))
# ------------------------------------------------------------------------------------------------

MAX_FEN = 10**12  # 一百亿元: far above any penalty; keeps a typo from becoming a number


def parse_money(text):
    """Parse an amount in 元 ("5000", "5,000.50元") exactly into integer 分; '' is 0.
    Raises ValueError with a Chinese message. Never goes through a float."""
    s = (text or "").strip().replace(",", "").replace("，", "").replace(" ", "")
    if s.endswith("元"):
        s = s[:-1]
    try:
        # the one decimal parser (ASCII digits, bounded length: a 5,000-digit amount is a field error)
        value = inputs.parse_decimal(s, "money", places=2, max_digits=13, label="以元为单位的金额",
                                     precision="分（小数点后两位）")
    except Invalid as e:
        raise ValueError(e.errors["money"]) from None
    fen = int((value or 0) * 100)
    if fen >= MAX_FEN:
        raise ValueError("金额过大，请核对。")
    return fen


def format_money(fen):
    """Integer 分 → '5000.50' (元)."""
    fen = int(fen or 0)
    return f"{fen // 100}.{fen % 100:02d}"


PENALTY_FLAGS = [("case_filed", "立案"), ("warning", "警告"), ("revoke_license", "吊销执业许可证"),
                 ("revoke_person", "吊销人员资格证"), ("revoke_subject", "吊销诊疗科目"),
                 ("order_correction", "责令改正"), ("transfer_dept", "移送相关部门"), ("transfer_judicial", "移送司法机关")]
OTHER_FLAGS = [("opinion", "出具监督意见书（责令整改）"), ("report_dept", "报告业务主管科室"), ("hand_over", "移交（涉嫌违法犯罪线索）")]
_BOOL_FIELDS = ["penalty"] + [k for k, _ in PENALTY_FLAGS] + [k for k, _ in OTHER_FLAGS]


def _checked(form, name):
    return (form.get(name) or "") in ("1", "on", "true", "y")


def save_handling(user, record, plan, form):
    """Decide the handling; money in 分. Raises Invalid (field → message) or Conflict."""
    values = {k: _checked(form, k) for k in _BOOL_FIELDS}
    errors = {}
    for key in ("fine", "confiscation"):
        try:
            values[f"{key}_fen"] = parse_money(form.get(key))
        except ValueError as e:
            errors[key] = str(e)
    case_kind = (form.get("case_kind") or "").strip()
    kinds = {k.key for k in plan.case_kinds}
    if case_kind and case_kind not in kinds:
        errors["case_kind"] = "请从列表中选择案件类别。"
    values["case_kind"] = case_kind
    values["note"] = (form.get("note") or "").strip()
    problem = too_long("说明", values["note"], TEXT_MAX["handling_note"])
    if problem:
        errors["note"] = problem
    penalty_parts = [k for k, _ in PENALTY_FLAGS if k != "order_correction" and values[k]]
    # an amount that does not parse was still typed: it is penalty content too
    money = [k for k in ("fine", "confiscation") if k in errors or values[f"{k}_fen"]]
    if not values["penalty"] and (penalty_parts or money):
        errors["penalty"] = "填写了处罚内容，请同时勾选“行政处罚”。"
    elif not any(values[k] for k in _BOOL_FIELDS):
        errors["penalty"] = "请至少选择一种处理方式。"
    if values["penalty"]:
        values["order_correction"] = True  # 《行政处罚法》第二十八条：实施行政处罚时应当责令改正
    if errors:
        raise Invalid(errors)
    return write(_save_handling, user, record, values, _int(form.get("version"), -1))


def _save_handling(user, record, values, seen):
    _lock(record)
    now = datetime.datetime.now()
    current = Handling.get_or_none(Handling.record == record.id)
    if current is None:
        if seen != 0:
            raise Conflict(None)
        row = Handling.create(record=record, decided_by=user, decided_at=now, version=1, **values)
        before = None
    else:
        if seen != current.version:
            raise Conflict(current)
        before = handling_dict(current)
        n = (Handling.update(version=Handling.version + 1, decided_by=user.id, decided_at=now, **values)
             .where((Handling.id == current.id) & (Handling.version == seen)).execute())
        if n != 1:
            raise Conflict(Handling.get_by_id(current.id))
        row = Handling.get_by_id(current.id)
    _touch(record, now)
    trail.record(user, "handling.save", "record", record.id, before=before, after=handling_dict(row))
    return row


def handling_dict(h):
    """A plain dict of a decision, money in 分 (for the audit trail and the conflict view)."""
    d = {k: bool(getattr(h, k)) for k in _BOOL_FIELDS}
    d.update(fine_fen=int(h.fine_fen), confiscation_fen=int(h.confiscation_fen), case_kind=h.case_kind, note=h.note)
    return d


def handling_summary(h):
    """The decision in one Chinese line."""
    if h is None:
        return "尚未决定"
    parts = []
    if h.penalty:
        parts.append("行政处罚")
    parts += [label for k, label in PENALTY_FLAGS if getattr(h, k)]
    if h.fine_fen:
        parts.append(f"罚款 {format_money(h.fine_fen)} 元")
    if h.confiscation_fen:
        parts.append(f"没收违法所得 {format_money(h.confiscation_fen)} 元")
    parts += [label for k, label in OTHER_FLAGS if getattr(h, k)]
    return "、".join(parts)


# ------------------------------------------------------------------------------------------------
# Submitting
# ------------------------------------------------------------------------------------------------


def submit(user, record):
    """提交审核 once every applicable item is answered and the handling is decided."""
    def check(rec):
        missing = Checklist.load(rec).missing()
        if missing:
            raise workflow.TransitionError(f"还有 {len(missing)} 项未完成，不能提交审核。", 422)

    return workflow.submit(user, record, check=check)


# ------------------------------------------------------------------------------------------------
# What the draw asks of past inspections (webapp/draw/past.py)
# ------------------------------------------------------------------------------------------------


@past.lookback
def penalised_units(area, years):
    """Units penalised (Handling.penalty) on approved records of those years (seed 001 回头看)."""
    start, end = datetime.date(min(years), 1, 1), datetime.date(max(years), 12, 31)
    rows = (Record.select(Record.institution, Visit.date).join(Handling, on=(Handling.record == Record.id))
            .switch(Record).join(Visit, on=(Record.visit == Visit.id))
            .where(Handling.penalty == True, Record.status == Status.APPROVED,  # noqa: E712
                   Visit.date.between(start, end), Record.area.in_(area.subtree_ids())).tuples())
    return {iid for iid, day in rows if day.year in years}


@past.visit_teams
def visit_teams(area):
    """The teams that checked the units of the area, oldest visit first."""
    return (VisitInspector.select(Visit.institution, Visit.id, VisitInspector.inspector).join(Visit)
            .where(Visit.area.in_(area.subtree_ids()))
            .order_by(Visit.date, Visit.id).tuples())

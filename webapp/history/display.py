"""Audit entries as a person reads them: plain rows for the audit log and the history pages.

`rows(entries)` turns stored entries (JSON before/after with English keys and ids) into rows of
Chinese text: the actor with their unit, the action, the object, and one line per field —
"label：value" or "label：before → after". Names behind ids are looked up in one query per kind
for the whole page. The words come from labels.py; nothing here invents a label.
"""
from dataclasses import dataclass, field

from ..audit import labels
from ..audit.trail import decoded

# Fields shown even when unchanged: they say which part of the object the entry is about.
CONTEXT_KEYS = {"item", "number", "row"}
# Kinds whose values are ids (or codes) to look up, and the lookup that names them.
REF_KINDS = {"institution": "institutions", "inspector": "inspectors", "inspectors": "inspectors", "user": "users",
             "unit": "units", "area": "areas", "record": "records", "draw": "draws"}
EMPTY = "（空）"
NONE = "（无）"


@dataclass
class Line:
    label: str
    before: str | None = None  # set with after: a change; alone: a value the action removed
    after: str | None = None

    @property
    def changed(self):
        return self.before is not None and self.after is not None


@dataclass
class Row:
    id: int
    at: object
    actor: str
    action: str
    target: str
    lines: list = field(default_factory=list)


def rows(entries):
    """Display rows for a list of AuditEntry, in the same order."""
    entries = list(entries)
    names = _Names()
    parsed = [(e, decoded(e.before), decoded(e.after)) for e in entries]
    for e, b, a in parsed:
        names.want("users", e.actor_id)
        names.want("records", e.record_id)
        names.want("institutions", e.institution_id)
        _want_target(names, e)
        for d in (b, a):
            _want_fields(names, e.action, d)
    names.fetch()
    out = []
    for e, b, a in parsed:
        ctx = _Context(names, e, b, a)
        out.append(Row(id=e.id, at=e.at, actor=names.actor(e.actor_id), action=labels.action_label(e.action),
                       target=ctx.target(), lines=ctx.lines()))
    return out


# ------------------------------------------------------------------------------------------------
# Looking up names in bulk
# ------------------------------------------------------------------------------------------------


def _model(module, name):
    """A feature's model by (package, class) — the history sits above every feature it names."""
    from ..documents import models as documents
    from ..draw import models as draw
    from ..inspection import models as inspection
    from ..registers import models as registers
    from ..reports import models as reports
    from ..tasklist import models as tasklist

    packages = {"documents": documents, "draw": draw, "inspection": inspection, "registers": registers,
                "reports": reports, "tasklist": tasklist}
    return getattr(packages[module], name)


class _Names:
    """Ids wanted by a page, then fetched with one query per kind."""

    def __init__(self):
        self.wanted = {k: set() for k in ("users", "institutions", "inspectors", "units", "areas", "records", "draws",
                                           "tasks", "batches", "reports", "opinions")}
        self.found = {k: {} for k in self.wanted}

    def want(self, kind, value):
        if isinstance(value, bool) or value is None or value == "":
            return
        if isinstance(value, (list, tuple)):
            for v in value:
                self.want(kind, v)
            return
        if kind == "areas" and isinstance(value, str):
            self.wanted[kind].add(value)  # an area code
        elif isinstance(value, int) or (isinstance(value, str) and value.isdigit()):
            self.wanted[kind].add(int(value))

    def fetch(self):
        from ..org.models import Area, Unit, User

        w, f = self.wanted, self.found
        if w["users"]:
            for u in User.select(User.id, User.name, Unit.name.alias("unit_name")).join(Unit).where(User.id.in_(w["users"])).objects():
                f["users"][u.id] = (u.name, u.unit_name)
        if w["units"]:
            f["units"] = dict(Unit.select(Unit.id, Unit.name).where(Unit.id.in_(w["units"])).tuples())
        if w["areas"]:
            codes = {v for v in w["areas"] if isinstance(v, str)}
            ids = {v for v in w["areas"] if isinstance(v, int)}
            for a in Area.select(Area.id, Area.code, Area.name).where(Area.code.in_(codes or {""}) | Area.id.in_(ids or {0})):
                f["areas"][a.code] = f["areas"][a.id] = a.name
        self._fetch_simple("records", "inspection", "Record", ("plan_id", "plan_version", "institution"))
        self._fetch_simple("tasks", "draw", "Task", ("plan_id", "institution"))
        self._fetch_simple("draws", "draw", "Draw", ("plan_id",))
        self._fetch_simple("batches", "tasklist", "ImportBatch", ("plan_id",))
        self._fetch_simple("reports", "reports", "SummaryReport", ("plan_id", "number"))
        self._fetch_simple("opinions", "documents", "Opinion", ("number",))
        for row in f["records"].values():
            w["institutions"].add(row["institution"])
        for row in f["tasks"].values():
            w["institutions"].add(row["institution"])
        if w["institutions"]:
            model = _model("registers", "Institution")
            f["institutions"] = dict(model.select(model.id, model.name).where(model.id.in_(w["institutions"])).tuples())
        if w["inspectors"]:
            model = _model("registers", "Inspector")
            f["inspectors"] = dict(model.select(model.id, model.name).where(model.id.in_(w["inspectors"])).tuples())

    def _fetch_simple(self, kind, module, name, columns):
        if not self.wanted[kind]:
            return
        model = _model(module, name)
        fields = [getattr(model, c) for c in columns]
        for values in model.select(model.id, *fields).where(model.id.in_(self.wanted[kind])).tuples():
            self.found[kind][values[0]] = dict(zip(columns, values[1:]))

    def name(self, kind, value):
        key = value if (kind == "areas" and isinstance(value, str)) else _int(value)
        return self.found[kind].get(key)

    def actor(self, user_id):
        if user_id is None:
            return labels.SYSTEM_ACTOR
        found = self.found["users"].get(user_id)
        return f"{found[0]}（{found[1]}）" if found else f"已删除的用户 #{user_id}"


def _int(value):
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and value.isdigit():
        return int(value)
    return None


def _want_target(names, e):
    kind = {"draw": "draws", "task": "tasks", "task_import": "batches", "summary_report": "reports",
            "opinion": "opinions", "institution": "institutions", "inspector": "inspectors", "user": "users",
            "unit": "units", "area": "areas"}.get(e.entity)
    if kind:
        names.want(kind, _int(e.entity_id))


def _want_fields(names, action, d, nested=False):
    for key, value in d.items():
        _label, kind = _sub_field(key) if nested else labels.field(action, key)
        if kind in REF_KINDS:
            names.want(REF_KINDS[kind], value)
        elif isinstance(value, dict):
            _want_fields(names, action, value, nested=True)


def _sub_field(key):
    """(label, kind) of a key inside a nested value (a task-list row's resolution)."""
    return labels.RESOLUTION_FIELDS.get(key) or labels.field("tasklist.resolve", key)


# ------------------------------------------------------------------------------------------------
# One entry
# ------------------------------------------------------------------------------------------------


class _Context:
    def __init__(self, names, entry, before, after):
        self.names, self.e, self.before, self.after = names, entry, before, after
        self._plan = False

    # -- the object ----------------------------------------------------------------------------

    def target(self):
        e, n = self.e, self.names
        label = labels.entity_label(e.entity)
        eid = _int(e.entity_id)
        if e.entity in ("record", "answer", "evidence", "handling", "visit") and e.record_id:
            return self._record(e.record_id)
        if e.entity == "institution":
            return n.name("institutions", eid) or f"{label} #{e.entity_id}（已删除）"
        if e.entity == "inspector":
            return f"{label} {n.name('inspectors', eid) or '#' + str(e.entity_id)}"
        if e.entity == "task":
            task = n.name("tasks", eid)
            inst = n.name("institutions", task["institution"]) if task else None
            return f"{label} #{eid}" + (f" · {inst}" if inst else "")
        if e.entity == "opinion":
            op = n.name("opinions", eid)
            return f"{label} {op['number']}" if op and op["number"] else f"{label}（草稿 #{eid}）"
        if e.entity == "summary_report":
            rep = n.name("reports", eid)
            return f"{label} #{eid}" + (f" · {self._plan_title(rep['plan_id'])}" if rep else "")
        if e.entity in ("user", "unit", "area"):
            found = n.name(e.entity + "s", eid)
            name = found[0] if isinstance(found, tuple) else found
            return f"{label} {name}" if name else f"{label} #{e.entity_id}"
        if eid is not None:
            return f"{label} #{eid}"
        return label  # e.g. 检查对象名录: the entity id is a word, not a number

    def _record(self, record_id):
        rec = self.names.name("records", record_id)
        inst = self.names.name("institutions", rec["institution"]) if rec else None
        return f"检查记录 #{record_id}" + (f" · {inst}" if inst else "")

    # -- the plan the entry is about (for items, categories, tiers, case kinds) ----------------

    def plan(self):
        if self._plan is False:
            self._plan = self._find_plan()
        return self._plan

    def _find_plan(self):
        e, n = self.e, self.names
        plan_id = version = None
        for d in (self.after, self.before):
            if isinstance(d.get("plan"), str):
                plan_id, version = d["plan"], d.get("version") if isinstance(d.get("version"), str) else None
                break
        if plan_id is None and e.record_id and n.name("records", e.record_id):
            rec = n.name("records", e.record_id)
            plan_id, version = rec["plan_id"], rec["plan_version"]
        if plan_id is None:
            kind = {"draw": "draws", "task": "tasks", "task_import": "batches", "summary_report": "reports"}.get(e.entity)
            found = n.name(kind, e.entity_id) if kind else None
            if found is None and _int(self.after.get("draw")):
                found = n.name("draws", self.after["draw"])
            plan_id = found["plan_id"] if found else None
        return _load_plan(plan_id, version) if plan_id else None

    def _plan_title(self, plan_id):
        plan = _load_plan(plan_id, None)
        return plan.title if plan is not None else f"已移除的计划（{plan_id}）"

    # -- the fields ------------------------------------------------------------------------------

    def lines(self):
        b, a, action = self.before, self.after, self.e.action
        out = []
        sparse = action in labels.SPARSE_ACTIONS and not b
        for key in labels.ordered(action, list(a) + [k for k in b if k not in a]):
            label, kind = labels.field(action, key)
            if sparse and a.get(key) in (False, 0, "", None):
                continue
            if key in a and key in b:
                if a[key] == b[key]:
                    if key in CONTEXT_KEYS:
                        out.append(Line(label, after=self.value(kind, a[key])))
                    continue
                out.append(Line(label, before=self.value(kind, b[key]), after=self.value(kind, a[key])))
            elif key in a:
                out.append(Line(label, after=self.value(kind, a[key])))
            elif key in CONTEXT_KEYS:
                out.append(Line(label, after=self.value(kind, b[key])))  # which one, not a removal
            else:
                out.append(Line(label, before=self.value(kind, b[key])))
        return out

    def value(self, kind, v):
        """One stored value as a person reads it."""
        if v is None:
            return NONE
        if isinstance(v, bool):
            return "是" if v else "否"
        format_ = getattr(self, f"_v_{kind}", None)
        if format_ is not None:
            return format_(v)
        return self._v_text(v)

    def _v_text(self, v):
        if isinstance(v, str):
            return v if v != "" else EMPTY
        if isinstance(v, (list, tuple)):
            return "、".join(self._v_text(x) for x in v) or NONE
        if isinstance(v, dict):
            return self._v_resolution(v)
        return str(v)

    def _v_money(self, v):
        fen = _int(v)
        if fen is None:
            return self._v_text(v)
        sign, fen = ("-" if fen < 0 else ""), abs(fen)
        return f"{sign}{fen // 100:,}.{fen % 100:02d} 元"

    def _v_result(self, v):
        return labels.RESULTS.get(v, self._v_text(v))

    def _v_plan(self, v):
        return self._plan_title(v) if isinstance(v, str) else self._v_text(v)

    def _v_hash(self, v):
        s = str(v)
        return s[:10] + "…" if len(s) > 12 else (s or EMPTY)

    _v_version = _v_hash

    def _v_count(self, v):
        return str(v)

    def _v_size(self, v):
        n = _int(v)
        if n is None:
            return self._v_text(v)
        if n >= 1024 * 1024:
            return f"{n / 1024 / 1024:.1f} MB"
        return f"{n / 1024:.1f} KB" if n >= 1024 else f"{n} 字节"

    def _v_row(self, v):
        return f"第 {v} 行"

    def _v_rows(self, v):
        return "第 " + "、".join(str(x) for x in v) + " 行" if v else NONE

    def _v_codes(self, v):
        if not isinstance(v, (list, tuple)):
            return self._v_text(v)
        if not v:
            return "0 家"
        shown = "、".join(str(x) for x in v[:5])
        return f"{len(v)} 家：{shown}" + ("等" if len(v) > 5 else "")

    def _v_print_count(self, v):
        return f"第 {v} 次" if _int(v) is not None else self._v_text(v)

    def _v_date(self, v):
        return v.isoformat() if hasattr(v, "isoformat") else self._v_text(v)

    def _v_status(self, v):
        if isinstance(v, int):
            enum = {"record": ("inspection", "Status"), "summary_report": ("reports", "SummaryStatus"),
                    "opinion": ("documents", "OpinionStatus")}.get(self.e.entity)
            if enum:
                try:
                    return _model(*enum)(v).label
                except (ValueError, AttributeError):
                    pass
        return self._v_text(v)

    def _ref(self, kind, v, noun):
        if isinstance(v, str) and not v.isdigit() and kind != "areas":
            return v or EMPTY  # a name written at the time
        found = self.names.name(kind, v)
        if isinstance(found, tuple):
            found = found[0]
        return found or f"{noun} #{v}（已删除）"

    def _v_institution(self, v):
        return self._ref("institutions", v, "检查对象")

    def _v_inspector(self, v):
        return self._ref("inspectors", v, "执法人员")

    def _v_inspectors(self, v):
        if v == "random":
            return "系统随机分配"
        if isinstance(v, (list, tuple)):
            return "、".join(self._v_inspector(x) for x in v) or NONE
        return self._v_inspector(v)

    def _v_user(self, v):
        return self._ref("users", v, "用户")

    def _v_unit(self, v):
        return self._ref("units", v, "单位")

    def _v_area(self, v):
        return self.names.name("areas", v) or f"行政区划代码 {v}"

    def _v_record(self, v):
        return self._record(_int(v)) if _int(v) is not None else self._v_text(v)

    def _v_draw(self, v):
        return f"抽取 #{v}"

    def _v_category(self, v):
        plan = self.plan()
        if plan is not None:
            found = next((c.name for c in plan.categories if c.key == v), None)
            if found:
                return found
        return _vocabulary_name("kinds", v) or _any_plan_category(v) or self._v_text(v)

    def _v_kinds(self, v):
        items = v if isinstance(v, (list, tuple)) else [v]
        return "、".join(_vocabulary_name("kinds", k) or self._v_text(k) for k in items) or NONE

    def _v_services(self, v):
        items = v if isinstance(v, (list, tuple)) else [v]
        return "、".join(_vocabulary_name("services", k) or self._v_text(k) for k in items) or NONE

    def _v_tier(self, v):
        plan = self.plan()
        if plan is not None:
            found = next((t.name for t in plan.tiers if t.key == v), None)
            if found:
                return found
        return labels.TIERS.get(v) or self._v_text(v)

    def _v_case_kind(self, v):
        if not v:
            return NONE
        plan = self.plan()
        if plan is not None:
            found = next((c.name for c in plan.case_kinds if c.key == v), None)
            if found:
                return found
        return self._v_text(v)

    def _v_item(self, v):
        plan = self.plan()
        try:
            item = plan.item(v) if plan is not None else None
        except KeyError:
            item = None
        if item is None:
            return f"第 {v} 项"
        text = item.short or item.text
        return f"{v} {text[:30]}{'…' if len(text) > 30 else ''}"

    def _v_resolve_action(self, v):
        return labels.RESOLVE_ACTIONS.get(v) or self._v_text(v)

    def _v_roles(self, v):
        items = v if isinstance(v, (list, tuple)) else [v]
        return "、".join(labels.ROLES.get(r, self._v_text(r)) for r in items) or NONE

    def _v_resolution(self, v):
        if not isinstance(v, dict):
            return self._v_text(v)
        if not v:
            return NONE
        parts = []
        for key in labels.ordered("tasklist.resolve", list(v)):
            label, kind = _sub_field(key)
            value = v[key]
            parts.append(f"{label}（{self._v_resolution(value)}）" if isinstance(value, dict) else f"{label}：{self.value(kind, value)}")
        return "；".join(parts)


# A plan file that no longer loads must not take the history pages down: its words fall back
# to the keys' generic labels (and the page says 未登记 where none exists).
def _plan_trouble():
    from ..plans.loader import PlanError

    return (PlanError, OSError, ValueError)


def _load_plan(plan_id, version):
    """The plan (at its version when known); None when it is gone or does not load."""
    from ..plans import catalog

    try:
        if version:
            found = catalog.plan_at(plan_id, version)
            if found is not None:
                return found
        return catalog.get_plan(plan_id)
    except _plan_trouble():
        return None


def _vocabulary_name(which, key):
    from ..plans.catalog import catalog

    try:
        found = getattr(catalog(), which).get(key)
    except _plan_trouble():
        return None
    return found.name if found is not None else None


def _any_plan_category(key):
    from ..plans.catalog import catalog

    try:
        plans = catalog().plans.values()
    except _plan_trouble():
        return None
    return next((c.name for p in plans for c in p.categories if c.key == key), None)

"""The figures of a 汇总表, computed by SQL aggregation over approved records.

Rules (official-tables.md, domain.md "Summary tables", issue 14):
- which records count: approved, in the area and below, visited within the chosen period (the
  plan's own period — its plan year — unless another is asked: reports/periods.py), and for a
  random plan only tasks from a draw (own draw, 上级平台下发, 回头看); the 临时检查 are counted
  apart (adhoc_checks). A special campaign (004) draws nothing: all its records count.
- 辖区内单位总数: 在业 units of the register in the area and below, in the row's category
  (a unit with several kinds sits in the first plan category sharing one, as `Plan.category_of`).
- 检查单位数: distinct units with an approved record in that row.
- a failure column: distinct units with at least one 不合格 answer on the items feeding it, the
  items taken from each record's own plan version.
- 行政处罚情况 from Handling: cases counted (立案 or 行政处罚), money summed exactly in 分,
  revocations as unit counts (004's 吊销行政许可资质: every revocation of a handling).
Every figure is one GROUP BY query (or a few); nothing loops over records in Python.
"""
import datetime
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from peewee import JOIN, Case, fn

from ..db import db
from ..draw.models import Task
from ..inspection.models import Answer, Handling, Record, Result, Status, Visit
from ..org.models import Area
from ..registers.models import Institution, InstitutionKind
from ..plans.catalog import plan_at

TOTAL = "__total__"  # the 合计 row key
ADHOC = "__adhoc__"  # the "column" of the 临时检查 shown apart from a random plan's tables

# Handling sources counted as unit numbers (a revoked unit counts once, whatever its records).
UNIT_FLAGS = {"revoke_license": Handling.revoke_license, "revoke_person": Handling.revoke_person,
              "revoke_subject": Handling.revoke_subject}
# Handling sources counted as handlings (one per record): cases, 户次, orders, transfers.
COUNT_FLAGS = {
    "cases": Handling.case_filed | Handling.penalty,  # 查处案件数: a penalty always has a case behind it
    "ordered_correction": Handling.order_correction,
    "warnings": Handling.warning,
    "fine_count": Handling.fine_fen > 0,  # 罚款户次
    "transfer_dept": Handling.transfer_dept,
    "transfer_judicial": Handling.transfer_judicial,
}
SUMS = {"fines": Handling.fine_fen + Handling.confiscation_fen, "fine_only": Handling.fine_fen,
        "confiscation": Handling.confiscation_fen,
        # 004 吊销行政许可资质: every revocation a handling decided — the 执业许可证, a 诊疗科目 and a
        # 人员资格证 are each an administrative licence or qualification revoked (issue 14)
        "revocations": (Case(None, [(Handling.revoke_license, 1)], 0) + Case(None, [(Handling.revoke_subject, 1)], 0)
                        + Case(None, [(Handling.revoke_person, 1)], 0))}
HANDLING_SOURCES = set(UNIT_FLAGS) | set(COUNT_FLAGS) | set(SUMS)


@dataclass(frozen=True)
class Period:
    """The visit dates a table counts, both days included (webapp/reports/periods.py makes them).

    kind: "year" (the plan's period), "stage" (to the stage-summary date) or "custom". An empty
    Period means "not chosen": every function here then counts the plan's own period."""

    start: datetime.date | None = None
    end: datetime.date | None = None
    kind: str = ""

    def __bool__(self):
        return bool(self.start or self.end)


def _period(plan, period):
    """The period as asked, else the plan's own (its plan year): a 2025 table never counts 2026."""
    if period:
        return period
    return Period(plan.period.start, plan.period.end, "year")


def money(fen, unit):
    """Integer 分 shown in the label's unit: 万元 to 4 decimals (exact to the 元), or 元."""
    fen = int(fen or 0)
    if unit == "万元":
        value = (Decimal(fen) / Decimal(1000000)).quantize(Decimal("0.0001"), ROUND_HALF_UP)
    else:
        value = (Decimal(fen) / Decimal(100)).quantize(Decimal("0.01"), ROUND_HALF_UP)
    text = format(value, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return Decimal(text)


def from_draw():
    """A random check is a task that came from a draw: the plan's own draw, a list from the upper
    platform (上级平台下发, also a Draw) or a 回头看 task. A 临时检查 (a task without a draw) is
    not, and neither is a record without a task (issue 14 "What a random-check table counts")."""
    drawn = Task.select(Task.id).where(Task.draw.is_null(False) | (Task.lookback == True))  # noqa: E712
    return Record.task.in_(drawn)


def approved(plan, area, period=Period(), adhoc=False):
    """Conditions on Record for the counted records: approved, in the area, visited in the period,
    and for a random plan's table from a draw (adhoc=True: the 临时检查 kept apart instead).
    A special campaign (004) draws nothing: every approved record of it counts."""
    period = _period(plan, period)
    cond = (Record.plan_id == plan.id) & (Record.status == int(Status.APPROVED)) & Record.area.in_(area.subtree_ids())
    if plan.kind == "random":
        cond &= (Record.task.is_null() | ~from_draw()) if adhoc else from_draw()
    if period.start:
        cond &= Record.visit.in_(Visit.select(Visit.id).where(Visit.date >= period.start))
    if period.end:
        cond &= Record.visit.in_(Visit.select(Visit.id).where(Visit.date <= period.end))
    return cond


def _versions(plan, area, period):
    return [r.plan_version for r in Record.select(Record.plan_version).where(approved(plan, area, period)).distinct()]


def column_case(plan, summary, versions):
    """CASE expression mapping an answer's item to its column key, per the record's plan version."""
    maps = {}
    for v in versions or [plan.version]:
        p = plan_at(plan.id, v) or plan
        s = next((x for x in p.summaries if x.key == summary.key), summary)
        maps[v] = {c.key: c.items for c in s.columns if c.source == "items"}
    whens = []
    if len({tuple(sorted(m.items())) for m in maps.values()}) == 1:
        for key, items in next(iter(maps.values())).items():
            whens.append((Answer.item_key.in_(list(items)), key))
    else:
        for v, m in maps.items():
            for key, items in m.items():
                whens.append(((Record.plan_version == v) & Answer.item_key.in_(list(items)), key))
    fed = sorted({i for m in maps.values() for items in m.values() for i in items})
    return (Case(None, whens, None) if whens else None), fed


def _rows_sql(query):
    sql, params = query.sql()
    return db.execute_sql(sql, params).fetchall()


def units_total(plan, area, categories):
    """辖区内单位总数 per category key: each 在业 unit in the first plan category sharing a kind."""
    order = [c for c in plan.categories]
    kinds = sorted({k for c in order for k in c.kinds})
    idx = Case(None, [(InstitutionKind.kind.in_(list(c.kinds)), i) for i, c in enumerate(order)], None)
    inner = (Institution.select(Institution.id, fn.MIN(idx).alias("ci")).join(InstitutionKind)
             .where((Institution.status == "在业") & Institution.area.in_(area.subtree_ids()) & InstitutionKind.kind.in_(kinds))
             .group_by(Institution.id))
    sql, params = inner.sql()
    counts = dict(db.execute_sql(f"SELECT t.ci, COUNT(*) FROM ({sql}) AS t GROUP BY t.ci", params).fetchall())
    by_key = {c.key: int(counts.get(i, 0)) for i, c in enumerate(order)}
    return {k: by_key.get(k, 0) for k in categories}


def _per_category(select, group, cond, rows):
    """Run an aggregate per category (group=True) or over all rows; returns {row: tuple}."""
    if group:
        q = select.where(cond & Record.category.in_(list(rows))).group_by(Record.category)
        return {r[0]: r[1:] for r in _rows_sql(q)}
    q = select.where(cond & Record.category.in_(list(rows)))
    return {TOTAL: r for r in _rows_sql(q)}


def _handling_select(sources, lead=()):
    exprs = []
    for s in sources:
        if s in UNIT_FLAGS:
            exprs.append(fn.COUNT(fn.DISTINCT(Case(None, [(UNIT_FLAGS[s], Record.institution)], None))))
        elif s in COUNT_FLAGS:
            exprs.append(fn.SUM(Case(None, [(COUNT_FLAGS[s], 1)], 0)))
        else:
            exprs.append(fn.SUM(SUMS[s]))
    return Handling.select(*lead, *exprs).join(Record)


def table_figures(plan, summary, area, period=Period(), failures=None):
    """{row key or TOTAL: {column key: int or Decimal}} for a table-layout summary.

    failures: failure counts {(row or TOTAL, column key): units} already computed for this area
    (the roll-up makes them for every district in one query); None computes them here."""
    rows = list(summary.rows)
    cond = approved(plan, area, period)
    cols = summary.columns
    out = {r: {} for r in rows + [TOTAL]}

    if any(c.source == "units_total" for c in cols):
        totals = units_total(plan, area, rows)
        for r in rows:
            out[r]["units_total"] = totals[r]
        out[TOTAL]["units_total"] = sum(totals.values())

    checked = {}
    for group in (True, False):
        lead = (Record.category,) if group else ()
        q = Record.select(*lead, fn.COUNT(fn.DISTINCT(Record.institution)))
        checked.update(_per_category(q, group, cond, rows))

    case, fed = (None, ()) if failures is not None else column_case(plan, summary, _versions(plan, area, period))
    failures = dict(failures or {})
    if case is not None:
        # Answers drive the join (CROSS JOIN keeps SQLite from starting at the records' area
        # index: the failed answers are few). The distinct (category, column, unit) triples are
        # made once and counted per row and for 合计 (a unit counts once per column).
        triples = (Answer.select(Record.category.alias("cat"), case.alias("col"), Record.institution.alias("inst"))
                   .join(Record, JOIN.CROSS)
                   .where((Answer.record == Record.id) & cond & (Answer.result == Result.FAIL)
                          & Answer.item_key.in_(fed) & Record.category.in_(rows))
                   .distinct())
        sql, params = triples.sql()
        counted = db.execute_sql(
            f"WITH t AS MATERIALIZED ({sql}) "
            "SELECT cat, col, COUNT(*) FROM t WHERE col IS NOT NULL GROUP BY cat, col "
            "UNION ALL SELECT NULL, col, COUNT(DISTINCT inst) FROM t WHERE col IS NOT NULL GROUP BY col", params).fetchall()
        for cat, col, n in counted:
            failures[TOTAL if cat is None else cat, col] = int(n)

    hsources = [c.source for c in cols if c.source in HANDLING_SOURCES]
    hsources = list(dict.fromkeys(hsources))
    handled = {}
    if hsources:
        handled.update(_per_category(_handling_select(hsources, (Record.category,)), True, cond, rows))
        handled.update(_per_category(_handling_select(hsources), False, cond, rows))

    for r in rows + [TOTAL]:
        for c in cols:
            if c.source == "units_total":
                continue
            if c.source == "units_checked":
                out[r][c.key] = int((checked.get(r) or (0,))[0] or 0)
            elif c.source == "items":
                out[r][c.key] = failures.get((r, c.key), 0)
            else:
                vals = handled.get(r)
                v = vals[hsources.index(c.source)] if vals else 0
                out[r][c.key] = money(v, c.unit) if c.is_money else int(v or 0)
    return out


def matrix_figures(plan, summary, area, period=Period()):
    """{measure key: {column key: value or None}} for the 004 matrix (None: the cell is empty)."""
    cond = approved(plan, area, period)
    measures = summary.measures
    hsources = list(dict.fromkeys(m.source for m in measures if m.source in HANDLING_SOURCES))
    out = {m.key: {} for m in measures}
    kinds = [c.case_kind for c in summary.columns if c.source == "case_kind"]
    by_kind = {}
    if hsources and kinds:
        q = _handling_select(hsources, (Handling.case_kind,)).where(cond & Handling.case_kind.in_(kinds)).group_by(Handling.case_kind)
        by_kind = {r[0]: r[1:] for r in _rows_sql(q)}
    for col in summary.columns:
        if col.source == "categories":
            ccond = cond & Record.category.in_(list(col.categories))
            checked = Record.select(fn.COUNT(fn.DISTINCT(Record.institution))).where(ccond).scalar() or 0
            vals = _rows_sql(_handling_select(hsources).where(ccond))[0] if hsources else ()
        else:
            checked = None
            vals = by_kind.get(col.case_kind)
        for m in measures:
            if m.source == "units_checked":
                out[m.key][col.key] = None if checked is None else int(checked)
            elif m.source == "units_total":
                out[m.key][col.key] = None
            else:
                v = vals[hsources.index(m.source)] if vals else 0
                out[m.key][col.key] = money(v, m.unit) if m.is_money else int(v or 0)
    return out


def child_failure_totals(plan, summary, area, children, period=Period()):
    """{child area id: {(TOTAL, column key): units}}: the 合计 failure figures of every area in
    `children` (areas directly below `area`) from one pass over the failed answers, instead of
    one pass per child (a province over its cities)."""
    case, fed = column_case(plan, summary, _versions(plan, area, period))
    if case is None or not children:
        return {c.id: {} for c in children}
    child = Case(None, [(Area.path.startswith(c.path), c.id) for c in children], None)
    triples = (Answer.select(child.alias("child"), case.alias("col"), Record.institution.alias("inst"))
               .join(Record, JOIN.CROSS).join(Area, on=(Record.area == Area.id))
               .where((Answer.record == Record.id) & approved(plan, area, period) & (Answer.result == Result.FAIL)
                      & Answer.item_key.in_(fed) & Record.category.in_(list(summary.rows)))
               .distinct())
    sql, params = triples.sql()
    out = {c.id: {} for c in children}
    for child_id, col, n in db.execute_sql(
            f"SELECT child, col, COUNT(*) FROM ({sql}) AS t WHERE col IS NOT NULL AND child IS NOT NULL "
            "GROUP BY child, col", params).fetchall():
        out[child_id][TOTAL, col] = int(n)
    return out


def adhoc_checks(plan, area, period=Period()):
    """The approved 临时检查 of a random plan in the area and period, shown apart from its tables:
    {category key: units} for the plan's categories, and TOTAL (a unit counts once)."""
    if plan.kind != "random":
        return {}
    cond = approved(plan, area, period, adhoc=True) & Record.category.in_([c.key for c in plan.categories])
    out = {TOTAL: 0}
    out.update({c.key: 0 for c in plan.categories})
    for cat, n in (Record.select(Record.category, fn.COUNT(fn.DISTINCT(Record.institution))).where(cond)
                   .group_by(Record.category).tuples()):
        out[cat] = int(n)
    out[TOTAL] = Record.select(fn.COUNT(fn.DISTINCT(Record.institution))).where(cond).scalar() or 0
    return out


def figures(plan, summary, area, period=Period()):
    if summary.layout == "matrix":
        return matrix_figures(plan, summary, area, period)
    return table_figures(plan, summary, area, period)


# ---- the units behind a number ---------------------------------------------------------------


def units_behind(plan, summary, area, row, col_key, period=Period()):
    """Query of the institutions a figure counts (row: category key, TOTAL or a matrix measure;
    col_key ADHOC: the 临时检查 of that row, shown apart from the table)."""
    if col_key == ADHOC:
        rows = [c.key for c in plan.categories] if row == TOTAL else [row]
        recs = Record.select(Record.institution).where(approved(plan, area, period, adhoc=True) & Record.category.in_(rows))
        return Institution.select().where(Institution.id.in_(recs)).order_by(Institution.name)
    cond = approved(plan, area, period)
    if summary.layout == "matrix":
        col = summary.column(col_key)
        measure = next(m for m in summary.measures if m.key == row)
        if col.source == "categories":
            cond &= Record.category.in_(list(col.categories))
        else:
            cond &= Record.id.in_(Handling.select(Handling.record).where(Handling.case_kind == col.case_kind))
        source, items_col = measure.source, None
    else:
        col = summary.column(col_key)
        rows = list(summary.rows) if row == TOTAL else [row]
        source, items_col = col.source, col
        if source == "units_total":
            order = list(plan.categories)
            kinds = sorted({k for c in order for k in c.kinds})
            idx = Case(None, [(InstitutionKind.kind.in_(list(c.kinds)), i) for i, c in enumerate(order)], None)
            wanted = [i for i, c in enumerate(order) if c.key in rows]
            ids = (Institution.select(Institution.id).join(InstitutionKind)
                   .where((Institution.status == "在业") & Institution.area.in_(area.subtree_ids()) & InstitutionKind.kind.in_(kinds))
                   .group_by(Institution.id).having(fn.MIN(idx).in_(wanted)))
            return Institution.select().where(Institution.id.in_(ids)).order_by(Institution.name)
        cond &= Record.category.in_(rows)
    if source == "items":
        case, fed = column_case(plan, summary, _versions(plan, area, period))
        recs = (Record.select(Record.institution).join(Answer)
                .where(cond & (Answer.result == Result.FAIL) & Answer.item_key.in_(fed) & (case == items_col.key)))
    elif source == "units_checked":
        recs = Record.select(Record.institution).where(cond)
    else:
        flag = UNIT_FLAGS.get(source) or COUNT_FLAGS.get(source)
        if flag is None:
            flag = SUMS[source] > 0
        recs = Record.select(Record.institution).join(Handling).where(cond & flag)
    return Institution.select().where(Institution.id.in_(recs)).order_by(Institution.name)

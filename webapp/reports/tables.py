"""Plain-data 汇总表: the official header structure and the figures, as dicts and lists only.

The same plain table feeds the page, the PDF, the workbook and the frozen snapshot (JSON), so
what is approved is exactly what prints. Money stays a Decimal here and becomes text in JSON.
"""
from dataclasses import asdict
from decimal import Decimal

from ..plans.headers import header_rows
from .figures import TOTAL, Period, child_failure_totals, figures, table_figures

# Column widths in em at the print size (9pt): narrow for vertical count headers, yet wide
# enough for a four-digit province count; money (万元 to four decimals) needs more.
ROW_HEADER_EM = 7.0
VERTICAL_EM = 2.2
MONEY_EM = 4.2
WIDE_EM = 5.0
# A4 landscape holds about this many em across at 9pt (277 mm / 3.175 mm); wider goes to A3.
A4_LANDSCAPE_EM = 86.0


def header(summary):
    """The official merged header (webapp.plans.headers, shared with the plan preview) as dicts."""
    return [[asdict(c) for c in row] for row in header_rows(summary)]


def _widths(summary):
    cols = summary.columns
    return [ROW_HEADER_EM] + [MONEY_EM if c.is_money else VERTICAL_EM if c.vertical else WIDE_EM
                              for c in cols]


def build(plan, summary, area, period=Period()):
    """The plain table for one summary of a plan over an area (and period)."""
    data = figures(plan, summary, area, period)
    cols = summary.columns
    body = []
    if summary.layout == "matrix":
        header_cells = header(summary)
        corner = list(summary.corner)
        for m in summary.measures:
            body.append({"key": m.key, "label": m.label, "total": False,
                         "cells": [{"col": c.key, "value": data[m.key][c.key]} for c in cols]})
    else:
        header_cells = header(summary)
        corner = []
        names = {c.key: c.name for c in plan.categories}
        for r in summary.rows:
            body.append({"key": r, "label": names.get(r, r), "total": False,
                         "cells": [{"col": c.key, "value": data[r][c.key]} for c in cols]})
        body.append({"key": TOTAL, "label": summary.total_row or "合计", "total": True, "hidden": not summary.total_row,
                     "cells": [{"col": c.key, "value": data[TOTAL][c.key]} for c in cols]})
    widths = _widths(summary)
    return {
        "plan_id": plan.id, "plan_version": plan.version, "key": summary.key, "title": summary.title,
        "layout": summary.layout, "row_header": summary.row_header, "corner": corner,
        "header": header_cells, "rows": body, "columns": [c.key for c in cols],
        "footer": list(summary.footer), "stamp": summary.stamp or "单位（盖章）", "header_note": summary.header_note,
        "widths": widths, "paper": "A3" if sum(widths) > A4_LANDSCAPE_EM else "A4",
    }


def build_all(plan, area, period=Period()):
    return [build(plan, s, area, period) for s in plan.summaries]


def visible_rows(table):
    return [r for r in table["rows"] if not r.get("hidden")]


def to_json(value):
    """Decimals as text for the frozen snapshot (a Decimal must not turn into a float)."""
    if isinstance(value, dict):
        return {k: to_json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [to_json(v) for v in value]
    if isinstance(value, Decimal):
        return {"decimal": format(value, "f")}
    return value


def from_json(value):
    if isinstance(value, dict):
        if set(value) == {"decimal"}:
            return Decimal(value["decimal"])
        return {k: from_json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [from_json(v) for v in value]
    return value


def display(value):
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return format(value, "f")
    return str(value)


def compare(plan, summary, area, period=Period(), own=None):
    """Roll-up: the 合计 figures of each area directly below, side by side, and the area's own.

    A city sees its districts, a province its cities (domain.md: each level rolls the figures up).
    """
    from ..org.models import Area

    children = list(Area.select().where(Area.parent == area).order_by(Area.code))
    if not children or summary.layout != "table":
        return None
    cols = summary.columns
    head = header(summary)
    head[0][0] = dict(head[0][0], text="地区")
    rows = []
    # the failure columns of every child come from one query; the other figures are cheap
    pre = child_failure_totals(plan, summary, area, children, period)
    for a in children + [area]:
        if a is area and own is not None:  # the area's own table is already built: take its 合计
            data = {c["col"]: c["value"] for c in next(r for r in own["rows"] if r["key"] == TOTAL)["cells"]}
        else:
            data = (figures(plan, summary, a, period) if a is area
                    else table_figures(plan, summary, a, period, failures=pre[a.id]))[TOTAL]
        rows.append({"key": TOTAL, "area": a.code, "label": a.name if a is not area else f"{a.name}合计",
                     "total": a is area, "cells": [{"col": c.key, "value": data[c.key]} for c in cols]})
    return {"key": summary.key, "title": summary.title, "header": head, "rows": rows}

"""The printed 汇总表: one PDF and one workbook holding every summary table of a plan.

Fed the plain tables (webapp.reports.tables) and a plain meta dict; uses the app's one PDF
renderer and one workbook builder (webapp.printing).
"""
from decimal import Decimal

from ..printing import HeaderCell, Sheet, build_workbook, render_pdf
from .tables import display, visible_rows

FOOTER_GAP = "　　"


def meta(area_name, unit_name, period="", signatures=None, status=""):
    """Plain data shown around the tables: 填报单位, the 统计期间 in words (reports.periods.describe),
    the footer names and dates."""
    return {"area": area_name, "unit": unit_name, "period": period or "", "signatures": dict(signatures or {}), "status": status}


def footer_lines(table, info):
    sig = info["signatures"]
    line = FOOTER_GAP.join(f"{label}：{sig.get(label, '')}" for label in table["footer"])
    return [line, f"{table['stamp']}："]


def pdf(tables, info):
    return render_pdf("print/summary.html", tables=tables, info=info,
                      footers=[footer_lines(t, info) for t in tables], display=display, visible_rows=visible_rows)


def _value(v):
    if v is None:
        return None
    if isinstance(v, Decimal):
        return int(v) if v == v.to_integral_value() else float(v)  # a number, not text
    return v


def sheet(table, info):
    header = [[HeaderCell(c["text"], c["colspan"], c["rowspan"], c["vertical"]) for c in row] for row in table["header"]]
    rows, bold = [], set()
    for i, r in enumerate(visible_rows(table)):
        rows.append([r["label"]] + [_value(c["value"]) for c in r["cells"]])
        if r.get("total"):
            bold.add(i)
    headings = [table["title"], f"填报单位：{info['unit']}" + (f"{FOOTER_GAP}统计期间：{info['period']}" if info["period"] else "")]
    if table.get("header_note"):
        headings.append(table["header_note"])
    widths = [round(w * 1.6, 1) if i else 16 for i, w in enumerate(table["widths"])]
    return Sheet(title=table["key"], header=header, rows=rows, headings=headings, footer=footer_lines(table, info),
                 widths=widths, landscape=True, paper=table["paper"], bold_rows=bold)


def workbook(tables, info):
    return build_workbook([sheet(t, info) for t in tables])

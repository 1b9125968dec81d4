"""The header of a summary table (汇总表) as a grid of merged cells, as the official table
prints it: standalone columns span every header row, a group's label spans its columns, and
groups that share a parent (e.g. 不合格情况) sit under one more cell.

Pure data, used by the plan preview, the report page, the PDF and the workbook alike."""
from dataclasses import dataclass


CORNER = "__corner__"


@dataclass(frozen=True)
class Cell:
    text: str
    colspan: int = 1
    rowspan: int = 1
    vertical: bool = False
    key: str = ""  # column key for leaf cells


def header_rows(summary):
    """Rows of Cells, top to bottom, for a table- or matrix-layout summary."""
    groups = summary.groups
    depth = 3 if any(g.parent for g in groups) else 2 if any(g.label for g in groups) else 1
    rows = [[] for _ in range(depth)]
    if summary.layout == "matrix" and summary.corner:
        # the matrix's corner cell names both axes (机构及案件分类 / 处理情况), printed diagonally
        rows[0].append(Cell(" / ".join(summary.corner), rowspan=depth, key=CORNER))
    else:
        rows[0].append(Cell(summary.row_header, rowspan=depth))
    i = 0
    while i < len(groups):
        g = groups[i]
        leaves = [Cell(c.label, vertical=c.vertical, key=c.key) for c in g.columns]
        if not g.label:
            rows[0].extend(Cell(c.text, rowspan=depth, vertical=c.vertical, key=c.key) for c in leaves)
            i += 1
            continue
        if g.parent:
            # consecutive groups with the same parent share one parent cell
            run = [g]
            while i + len(run) < len(groups) and groups[i + len(run)].parent == g.parent:
                run.append(groups[i + len(run)])
            rows[0].append(Cell(g.parent, colspan=sum(len(x.columns) for x in run)))
            for x in run:
                rows[1].append(Cell(x.label, colspan=len(x.columns)))
                rows[2].extend(Cell(c.label, vertical=c.vertical, key=c.key) for c in x.columns)
            i += len(run)
            continue
        rows[0].append(Cell(g.label, colspan=len(g.columns), rowspan=depth - 1))
        rows[depth - 1].extend(leaves)
        i += 1
    return rows


def row_labels(plan, summary):
    """The row labels: plan categories (plus 合计) for tables, the measures for a matrix."""
    if summary.layout == "matrix":
        return [m.label for m in summary.measures]
    labels = [plan.category(key).name for key in summary.rows]
    if summary.total_row:
        labels.append(summary.total_row)
    return labels

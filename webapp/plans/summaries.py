"""The summary tables (汇总表) of a plan file: their layout, groups and columns, checked.

Every column names where its figure comes from (``source``, one of model.TABLE_SOURCES for a
table, MATRIX_* for a matrix); money columns carry a unit their label names; an item feeds at
most one column of a table, so a failure is counted once. A plan that publishes no 汇总表 gets
one generated from its sections (``generated_summary = true``).
"""

from __future__ import annotations

from typing import Mapping

from .checker import Checker, Spec, at, check_refs
from .model import (
    DEFAULT_FOOTER,
    DEFAULT_ROW_HEADER,
    FAILURE_PARENT,
    MATRIX_COLUMN_SOURCES,
    MATRIX_MEASURE_SOURCES,
    MONEY_SOURCES,
    MONEY_UNITS,
    TABLE_SOURCES,
    Category,
    Column,
    Group,
    Item,
    Section,
    Summary,
)

_SUMMARY_SPEC: Spec = {
    "key": ("str", True),
    "title": ("str", True),
    "layout": ("str", True),
    "row_header": ("str", False),
    "rows": ("strs", False),
    "total_row": ("str", False),
    "footer": ("strs", False),
    "stamp": ("str", False),
    "header_note": ("str", False),
    "corner": ("strs", False),
    "groups": ("tables", True),
    "measures": ("tables", False),
}
_GROUP_SPEC: Spec = {"label": ("str", False), "parent": ("str", False), "columns": ("tables", True)}
_COLUMN_SPEC: Spec = {
    "key": ("str", True),
    "label": ("str", True),
    "source": ("str", True),
    "items": ("strs", False),
    "unit": ("str", False),
    "vertical": ("bool", False),
    "categories": ("strs", False),
    "case_kind": ("str", False),
}


def column(
    c: Checker,
    place: str,
    table: dict,
    layout: str | None,
    role: str,
    cat_keys: list[str],
    items: Mapping[str, Item],
    case_keys: list[str],
) -> Column | None:
    """One column (role 'column') or matrix row (role 'measure')."""
    f = c.fields(place, table, _COLUMN_SPEC)
    key = c.key(place, f["key"])
    source = f["source"]
    if layout == "matrix":
        allowed = MATRIX_COLUMN_SOURCES if role == "column" else MATRIX_MEASURE_SOURCES
    else:
        allowed = TABLE_SOURCES
    if source is not None and source not in allowed:
        c.err(f"{place}.source", f"未知或不适用于此表的数据来源 “{source}”")
        source = None

    col_items: tuple[str, ...] = ()
    if source == "items":
        if not f["items"]:
            c.err(f"{place}.items", "没有检查项计入此栏")
        else:
            col_items = check_refs(c, f"{place}.items", f["items"], items, "检查项")
    elif f["items"] is not None:
        c.err(f"{place}.items", "只有 source = “items” 的栏目才列检查项")

    unit = f["unit"]
    if source in MONEY_SOURCES:
        if unit is None:
            c.err(place, "金额栏须写明单位 “unit”（“万元” 或 “元”）")
        elif unit not in MONEY_UNITS:
            c.err(f"{place}.unit", f"金额单位应为 “万元” 或 “元”，实为 “{unit}”")
        elif f["label"] is not None and f"（{unit}）" not in f["label"]:
            c.err(f"{place}.unit", f"栏目名称 “{f['label']}” 没有注明单位（{unit}）")
    elif unit is not None:
        c.err(f"{place}.unit", "只有金额栏才有单位")

    cats: tuple[str, ...] = ()
    if source == "categories":
        if not f["categories"]:
            c.err(f"{place}.categories", "至少需要一个单位类别")
        else:
            cats = check_refs(c, f"{place}.categories", f["categories"], cat_keys, "单位类别")
    elif f["categories"] is not None:
        c.err(f"{place}.categories", "只有 source = “categories” 的栏目才列单位类别")

    case_kind = f["case_kind"]
    if source == "case_kind":
        if case_kind is None:
            c.err(place, "缺少必填项 “case_kind”")
        elif case_kind not in case_keys:
            c.err(f"{place}.case_kind", f"未知的案件分类 “{case_kind}”")
    elif case_kind is not None:
        c.err(f"{place}.case_kind", "只有 source = “case_kind” 的栏目才有案件分类")

    if key is None or f["label"] is None or source is None:
        return None
    return Column(key, f["label"], source, col_items, unit, bool(f["vertical"]), cats, case_kind)


def summary_tables(
    c: Checker,
    tables: list[dict],
    cat_keys: list[str],
    items: Mapping[str, Item],
    case_keys: list[str],
) -> tuple[Summary, ...]:
    out: list[Summary] = []
    for s_index, table in enumerate(tables):
        s_place = at("", "summaries", s_index)
        f = c.fields(s_place, table, _SUMMARY_SPEC)
        layout = f["layout"]
        if layout is not None and layout not in ("table", "matrix"):
            c.err(f"{s_place}.layout", f"版式应为 “table” 或 “matrix”，实为 “{layout}”")
            layout = None
        if f["key"] is not None and any(s.key == f["key"] for s in out):
            c.err(f"{s_place}.key", f"汇总表编号 “{f['key']}” 重复")

        rows: tuple[str, ...] = ()
        if layout == "table":
            if f["rows"] is None:
                c.err(s_place, "缺少必填项 “rows”")
            else:
                rows = check_refs(c, f"{s_place}.rows", f["rows"], cat_keys, "单位类别")
            for name in ("measures", "corner"):
                if f[name] is not None:
                    c.err(f"{s_place}.{name}", "只有矩阵版式（matrix）才有此项")
        elif layout == "matrix":
            for name in ("rows", "total_row"):
                if f[name] is not None:
                    c.err(f"{s_place}.{name}", "矩阵版式的行是 measures，不写此项")
            if not f["measures"]:
                c.err(s_place, "矩阵版式须写 [[summaries.measures]]（处理情况各行）")

        columns: dict[str, str] = {}     # column key -> place
        fed_by: dict[str, str] = {}      # item key -> column key
        groups: list[Group] = []
        for g_index, g_table in enumerate(f["groups"] or []):
            g_place = at(s_place, "groups", g_index)
            g = c.fields(g_place, g_table, _GROUP_SPEC)
            cols: list[Column] = []
            for c_index, c_table in enumerate(g["columns"] or []):
                place = at(g_place, "columns", c_index)
                col = column(c, place, c_table, layout, "column", cat_keys, items, case_keys)
                if col is None:
                    continue
                if col.key in columns:
                    c.err(f"{place}.key", f"栏目键 “{col.key}” 重复（已见于 {columns[col.key]}）")
                    continue
                columns[col.key] = place
                # One failure is counted once per table: an item feeds at most one column.
                for item_key in col.items:
                    if item_key in fed_by:
                        c.err(
                            f"{place}.items",
                            f"检查项 “{item_key}” 已计入栏目 “{fed_by[item_key]}”，一项只能计入一栏",
                        )
                    else:
                        fed_by[item_key] = col.key
                cols.append(col)
            if g["columns"] is not None and not g["columns"]:
                c.err(f"{g_place}.columns", "至少需要一栏")
            groups.append(Group(g["label"] or "", tuple(cols), g["parent"]))
        if f["groups"] is not None and not f["groups"]:
            c.err(f"{s_place}.groups", "至少需要一组栏目")

        measures: list[Column] = []
        for m_index, m_table in enumerate(f["measures"] or []):
            place = at(s_place, "measures", m_index)
            m = column(c, place, m_table, layout, "measure", cat_keys, items, case_keys)
            if m is not None:
                measures.append(m)

        if f["key"] is None or f["title"] is None or layout is None:
            continue
        out.append(
            Summary(
                key=f["key"],
                title=f["title"],
                layout=layout,
                groups=tuple(groups),
                rows=rows,
                measures=tuple(measures),
                row_header=f["row_header"] or DEFAULT_ROW_HEADER,
                total_row=f["total_row"],
                footer=tuple(f["footer"]) if f["footer"] is not None else DEFAULT_FOOTER,
                stamp=f["stamp"],
                header_note=f["header_note"],
                corner=tuple(f["corner"] or ()),
            )
        )
    return tuple(out)


def generated_summary(
    title: str, categories: tuple[Category, ...], sections: tuple[Section, ...]
) -> Summary:
    """The 汇总表 for a plan that publishes none (seed 001, 2024).

    official-tables.md B: "one column per check item, 不合格单位数, plus the usual 行政处罚情况
    columns". We group the item columns by section, under 不合格情况, like the official tables.
    """
    lead = Group("", (
        Column("units_total", "辖区内单位总数", "units_total", vertical=True),
        Column("units_checked", "检查单位数", "units_checked", vertical=True),
    ))
    failures = tuple(
        Group(
            s.title,
            tuple(
                Column(i.key, f"{i.short}不符合要求单位数", "items", (i.key,), vertical=True)
                for i in s.items
            ),
            FAILURE_PARENT,
        )
        for s in sections
    )
    penalties = Group("行政处罚情况", (
        Column("cases", "查处案件数", "cases", vertical=True),
        Column("fines", "罚没款金额（万元）", "fines", unit="万元"),
        Column("revoke_license", "吊销执业机构许可证单位数", "revoke_license", vertical=True),
        Column("revoke_person", "吊销人员资格证单位数", "revoke_person", vertical=True),
    ))
    # "2024年医疗机构随机监督抽查工作计划表" -> "2024年医疗机构随机监督抽查汇总表"
    base = title.removesuffix("工作计划表").removesuffix("计划表").removesuffix("计划")
    return Summary(
        key="汇总表",
        title=f"{base}汇总表",
        layout="table",
        groups=(lead, *failures, penalties),
        rows=tuple(cat.key for cat in categories),
        total_row="合计",
        stamp="单位（盖章）",
        generated=True,
    )


"""Read the plan files in ``forms/`` and validate them completely at load.

A plan (抽查计划) is data, not code: its categories (单位类别), sampling ratios, check items and
summary tables (汇总表) live in one TOML file per plan (see ``forms/README.md``). This module is
the only reader of those files. It checks *everything* before returning anything, collects every
problem (not just the first) and names the file, the place in it and the problem in Chinese, so
that whoever edits a plan can fix all mistakes in one go.

The result is a tree of frozen dataclasses. Each plan carries ``version``, a hash of its file's
bytes: a record stores the plan id and version it was made with, so an old record can always be
rendered with the plan as it was.
"""

from __future__ import annotations

import hashlib
import math
import re
import tomllib
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, Iterable, Mapping

__all__ = [
    "PlanError",
    "Kind",
    "Service",
    "Vocabulary",
    "Deadline",
    "Lookback",
    "Tier",
    "Category",
    "Draw",
    "CaseKind",
    "Item",
    "Section",
    "Column",
    "Group",
    "Summary",
    "Plan",
    "Catalog",
    "FORMS_DIR",
    "VOCABULARY_FILE",
    "load_plans",
    "load_vocabulary",
    "load_vocabulary_text",
    "load_plan_file",
    "load_plan_text",
    "check",
]

# webapp/plans/loader.py -> repository root -> forms/
FORMS_DIR = Path(__file__).resolve().parents[2] / "forms"
# The shared vocabulary (register kinds and services) is not a plan: its name starts with "_".
VOCABULARY_FILE = "_categories.toml"

DEFAULT_TIER_KEY = "default"
DEFAULT_TIER_NAME = "随机抽查"
DEFAULT_FOOTER = ("填表人", "联系电话", "填表日期", "审核人", "单位负责人（签字）")
DEFAULT_ROW_HEADER = "单位类别"
# Every 汇总表 we know of puts the failure groups under one header "不合格情况" (official-tables.md).
FAILURE_PARENT = "不合格情况"

# Where a column's figure comes from. The summary builder implements these; the loader only
# makes sure a plan uses known ones, in the right layout, with a unit where money is shown.
TABLE_SOURCES = frozenset({
    "units_total",      # 辖区内单位总数: from the register
    "units_checked",    # 检查单位数: units whose record is approved
    "items",            # units with at least one failure among the column's items
    "cases",            # 查处案件数 / 案件查处数
    "fines",            # 罚没款 = 罚款 + 没收违法所得
    "fine_only",        # 罚款额
    "confiscation",     # 没收违法所得
    "revoke_license",   # 吊销执业机构许可证 / 《医疗机构执业许可证》
    "revoke_person",    # 吊销人员资格证
    "revoke_subject",   # 吊销诊疗科目
})
# Seed 004 (a matrix): rows are measures, columns are institution groups or case kinds.
MATRIX_MEASURE_SOURCES = (TABLE_SOURCES - {"items"}) | {
    "ordered_correction",   # 责令改正数
    "warnings",             # 警告数
    "fine_count",           # 罚款户次
    "transfer_dept",        # 移送相关部门
    "transfer_judicial",    # 移送司法机关
}
MATRIX_COLUMN_SOURCES = frozenset({"categories", "case_kind"})
MONEY_SOURCES = frozenset({"fines", "fine_only", "confiscation"})
# Money is shown in the unit the official label names (万元 or 元): the label must say it.
MONEY_UNITS = ("万元", "元")

_KEY_RE = re.compile(r"^[a-z][a-z0-9_]*$")
_PLAN_ID_RE = re.compile(r"^[a-z0-9][a-z0-9-]*$")
_REMAINDER_PREFIX = "remainder:"


class PlanError(Exception):
    """Every problem found in the plan files, each a full Chinese sentence naming file and place."""

    def __init__(self, errors: list[str]):
        self.errors = list(errors)
        super().__init__("计划文件有误：\n" + "\n".join(self.errors))


# ------------------------------------------------------------------------------------------------
# The data model
# ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Kind:
    """A register category (名录库单位类别); an institution may hold several."""

    key: str
    name: str


@dataclass(frozen=True)
class Service:
    """A service an institution offers; items needing one suggest 合理缺项 where it is absent."""

    key: str
    name: str


@dataclass(frozen=True)
class Vocabulary:
    kinds: Mapping[str, Kind]
    services: Mapping[str, Service]


@dataclass(frozen=True)
class Deadline:
    name: str
    date: date
    start: date | None = None


@dataclass(frozen=True)
class Lookback:
    """回头看: re-inspect units penalised in earlier years (seed 001 一(五))."""

    years: tuple[int, ...]
    note: str


@dataclass(frozen=True)
class Tier:
    key: str
    name: str


@dataclass(frozen=True)
class Category:
    """A 单位类别 row of the plan; ``kinds`` are the register kinds that fall in it."""

    key: str
    name: str
    kinds: tuple[str, ...]


@dataclass(frozen=True)
class Draw:
    """One sampling rule: ``ratio`` of the pooled units of ``categories`` in ``tier``."""

    categories: tuple[str, ...]
    tier: str
    ratio: Decimal
    base: str | None = None          # "remainder:<tier>": only units that tier did not draw
    per_district: int | None = None  # at least this many per district (seed 001 附表4)
    rounding: str = "ceil"
    note: str | None = None

    @property
    def remainder_of(self) -> str | None:
        """The tier whose leftovers this draw takes, if any (seed 001 附表2 市级 80%)."""
        if self.base and self.base.startswith(_REMAINDER_PREFIX):
            return self.base[len(_REMAINDER_PREFIX):]
        return None

    def sample_size(self, pool: int) -> int:
        """Units to draw from a pool of ``pool`` units.

        No public rule fixes the rounding (domain.md): round up, and draw at least one unit when
        the pool has any. The ratio is a Decimal so that 12% of 25 is exactly 3, not 3.0000000004.
        """
        if pool <= 0:
            return 0
        return min(pool, max(1, math.ceil(self.ratio * pool)))


@dataclass(frozen=True)
class CaseKind:
    key: str
    name: str


@dataclass(frozen=True)
class Item:
    """One check item, phrased as a statement that holds when the unit complies."""

    key: str
    text: str
    basis: str
    section: str
    categories: tuple[str, ...]   # resolved: the plan categories it applies to
    services: tuple[str, ...] = ()  # empty: needs no particular service
    optional_note: str | None = None
    short: str | None = None
    case_kind: str | None = None

    def needs_service(self, service_keys: Iterable[str]) -> bool:
        """True when the item needs a service the unit does not offer (suggest 合理缺项)."""
        return bool(self.services) and not set(self.services) & set(service_keys)


@dataclass(frozen=True)
class Section:
    key: str
    title: str
    items: tuple[Item, ...]


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    source: str
    items: tuple[str, ...] = ()
    unit: str | None = None
    vertical: bool = False
    categories: tuple[str, ...] = ()  # matrix columns only
    case_kind: str | None = None      # matrix columns only


@dataclass(frozen=True)
class Group:
    label: str
    columns: tuple[Column, ...]
    parent: str | None = None


@dataclass(frozen=True)
class Summary:
    key: str
    title: str
    layout: str                     # "table" or "matrix"
    groups: tuple[Group, ...]
    rows: tuple[str, ...] = ()      # table: plan category keys, in print order
    measures: tuple[Column, ...] = ()  # matrix: the 处理情况 rows
    row_header: str = DEFAULT_ROW_HEADER
    total_row: str | None = None
    footer: tuple[str, ...] = DEFAULT_FOOTER
    stamp: str | None = None
    header_note: str | None = None
    corner: tuple[str, ...] = ()
    generated: bool = False

    @property
    def columns(self) -> tuple[Column, ...]:
        return tuple(c for g in self.groups for c in g.columns)

    def column(self, key: str) -> Column:
        for c in self.columns:
            if c.key == key:
                return c
        raise KeyError(key)


@dataclass(frozen=True)
class Plan:
    id: str
    title: str
    year: int
    authority: str
    seed: str
    kind: str                        # "random" or "special"
    version: str                     # sha256 of the file bytes, first 16 hex digits
    source: str                      # file name it came from
    tiers: tuple[Tier, ...]
    categories: tuple[Category, ...]
    draws: tuple[Draw, ...]
    sections: tuple[Section, ...]
    summaries: tuple[Summary, ...]
    deadlines: tuple[Deadline, ...] = ()
    case_kinds: tuple[CaseKind, ...] = ()
    document: str | None = None
    note: str | None = None
    lookback: Lookback | None = None
    generated_summary: bool = False
    _items: dict[str, Item] = field(default_factory=dict, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_items", {i.key: i for s in self.sections for i in s.items})

    @property
    def items(self) -> tuple[Item, ...]:
        return tuple(self._items.values())

    def item(self, key: str) -> Item:
        return self._items[key]

    def tier(self, key: str) -> Tier:
        return next(t for t in self.tiers if t.key == key)

    def category(self, key: str) -> Category:
        return next(c for c in self.categories if c.key == key)

    def summary(self, key: str) -> Summary:
        return next(s for s in self.summaries if s.key == key)

    def category_of(self, kind_keys: Iterable[str]) -> Category | None:
        """The plan category a unit with these register kinds falls in.

        The first category in plan order wins, so a plan lists its more specific rows first
        (seed 004: an ART centre is a 技术准入机构 before it is a 医疗机构).
        """
        kinds = set(kind_keys)
        return next((c for c in self.categories if kinds & set(c.kinds)), None)

    def items_for(self, kind_keys: Iterable[str]) -> tuple[Item, ...]:
        """Items that apply to a unit with these register kinds (seed 003: 村卫生室仅抽查处方管理)."""
        category = self.category_of(kind_keys)
        if category is None:
            return ()
        return tuple(i for i in self.items if category.key in i.categories)

    def suggested_omissions(
        self, kind_keys: Iterable[str], service_keys: Iterable[str]
    ) -> tuple[Item, ...]:
        """Applicable items needing a service the unit lacks: proposed as 合理缺项."""
        services = set(service_keys)
        return tuple(i for i in self.items_for(kind_keys) if i.needs_service(services))


@dataclass(frozen=True)
class Catalog:
    plans: Mapping[str, Plan]
    kinds: Mapping[str, Kind]
    services: Mapping[str, Service]

    def get(self, plan_id: str) -> Plan | None:
        return self.plans.get(plan_id)


# ------------------------------------------------------------------------------------------------
# Generic checking of TOML tables
# ------------------------------------------------------------------------------------------------

_TYPE_NAMES = {
    "str": "文本",
    "int": "整数",
    "number": "数字",
    "bool": "布尔值（true 或 false）",
    "date": "日期（如 2025-06-15）",
    "strs": "文本列表",
    "ints": "整数列表",
    "table": "表",
    "tables": "表数组（[[…]]）",
}


def _kind_of(value: Any) -> str:
    """Name a TOML value's type in Chinese, for 'expected X, got Y' messages."""
    if isinstance(value, bool):
        return "布尔值"
    if isinstance(value, int):
        return "整数"
    if isinstance(value, float):
        return "小数"
    if isinstance(value, str):
        return "文本"
    if isinstance(value, datetime):
        return "日期时间"
    if isinstance(value, date):
        return "日期"
    if isinstance(value, list):
        return "列表"
    if isinstance(value, dict):
        return "表"
    return type(value).__name__


def _matches(value: Any, kind: str) -> bool:
    if kind == "str":
        return isinstance(value, str)
    if kind == "int":
        return isinstance(value, int) and not isinstance(value, bool)
    if kind == "number":
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if kind == "bool":
        return isinstance(value, bool)
    if kind == "date":
        # a datetime is a date subclass, but a deadline is a day
        return type(value) is date
    if kind == "strs":
        return isinstance(value, list) and all(isinstance(v, str) for v in value)
    if kind == "ints":
        return isinstance(value, list) and all(
            isinstance(v, int) and not isinstance(v, bool) for v in value
        )
    if kind == "table":
        return isinstance(value, dict)
    if kind == "tables":
        return isinstance(value, list) and all(isinstance(v, dict) for v in value)
    raise AssertionError(kind)


# field name -> (type, required)
Spec = dict[str, tuple[str, bool]]

_VOCAB_SPEC: Spec = {"kinds": ("tables", True), "services": ("tables", True)}
_KEY_NAME_SPEC: Spec = {"key": ("str", True), "name": ("str", True)}

_PLAN_SPEC: Spec = {
    "id": ("str", True),
    "title": ("str", True),
    "year": ("int", True),
    "authority": ("str", True),
    "seed": ("str", True),
    "kind": ("str", True),
    "document": ("str", False),
    "note": ("str", False),
    "lookback": ("table", False),
    "deadlines": ("tables", False),
    "tiers": ("tables", False),
    "categories": ("tables", True),
    "draws": ("tables", False),
    "case_kinds": ("tables", False),
    "sections": ("tables", True),
    "summaries": ("tables", False),
    "generated_summary": ("bool", False),
}
_LOOKBACK_SPEC: Spec = {"years": ("ints", True), "note": ("str", True)}
_DEADLINE_SPEC: Spec = {"name": ("str", True), "date": ("date", True), "start": ("date", False)}
_CATEGORY_SPEC: Spec = {"key": ("str", True), "name": ("str", True), "kinds": ("strs", True)}
_DRAW_SPEC: Spec = {
    "categories": ("strs", True),
    "tier": ("str", False),
    "ratio": ("number", True),
    "base": ("str", False),
    "per_district": ("int", False),
    "rounding": ("str", False),
    "note": ("str", False),
}
_SECTION_SPEC: Spec = {
    "key": ("str", True),
    "title": ("str", True),
    "categories": ("strs", False),
    "services": ("strs", False),
    "items": ("tables", True),
}
_ITEM_SPEC: Spec = {
    "key": ("str", True),
    "text": ("str", True),
    "basis": ("str", True),
    "categories": ("strs", False),
    "services": ("strs", False),
    "optional_note": ("str", False),
    "short": ("str", False),
    "case_kind": ("str", False),
}
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


class _Checker:
    """Collects errors for one file; every message is '<file>: <place>: <problem>'."""

    def __init__(self, name: str, errors: list[str] | None = None):
        self.name = name
        self.errors: list[str] = [] if errors is None else errors

    def err(self, where: str, problem: str) -> None:
        self.errors.append(f"{self.name}: {where}: {problem}" if where else f"{self.name}: {problem}")

    def fields(self, where: str, data: dict[str, Any], spec: Spec) -> dict[str, Any]:
        """Check keys and types of one table; returns the good values (bad or absent -> None)."""
        out: dict[str, Any] = {}
        for key in data:
            if key not in spec:
                self.err(where, f"未知的键 “{key}”")
        for key, (kind, required) in spec.items():
            place = f"{where}.{key}" if where else key
            if key not in data:
                if required:
                    self.err(where, f"缺少必填项 “{key}”")
                out[key] = None
                continue
            value = data[key]
            if not _matches(value, kind):
                self.err(place, f"应为{_TYPE_NAMES[kind]}，实为{_kind_of(value)}")
                out[key] = None
                continue
            if kind == "str" and not value.strip():
                self.err(place, "不能为空")
                out[key] = None
                continue
            if kind == "strs" and any(not v.strip() for v in value):
                self.err(place, "列表中不能有空文本")
                out[key] = None
                continue
            out[key] = value
        return out

    def key(self, where: str, value: str | None) -> str | None:
        if value is not None and not _KEY_RE.match(value):
            self.err(f"{where}.key", f"键 “{value}” 只能由小写字母、数字和下划线组成，且以字母开头")
            return None
        return value


def _place(parent: str, name: str, index: int) -> str:
    return f"{parent}.{name}[{index}]" if parent else f"{name}[{index}]"


# tomllib speaks English; the people editing plans read Chinese.
_TOML_MESSAGES = (
    ("Invalid date or datetime", "日期或时间无效"),
    ("Cannot overwrite a value", "同一个键被重复定义"),
    ("Cannot declare", "同一个表被重复声明"),
    ("Invalid value", "值无效"),
    ("Invalid initial character for a key part", "键名无效"),
    ("Unclosed array", "数组没有闭合"),
    ("Unterminated string", "字符串没有闭合"),
    ("Expected newline or end of document after a statement", "一条语句之后应当换行"),
)
_TOML_WHERE = re.compile(r"\(at line (\d+), column (\d+)\)|\(at end of document\)")


def _toml_error(exc: tomllib.TOMLDecodeError) -> str:
    text = str(exc)
    message = next((zh for en, zh in _TOML_MESSAGES if text.startswith(en)), None)
    where = _TOML_WHERE.search(text)
    if message is None:
        return f"TOML 格式错误：{text}"
    if where is None:
        return f"TOML 格式错误：{message}"
    if where.group(1):
        return f"TOML 格式错误：第 {where.group(1)} 行第 {where.group(2)} 列，{message}"
    return f"TOML 格式错误：文件末尾，{message}"


def _parse(text: str, checker: _Checker) -> dict[str, Any] | None:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        checker.err("", _toml_error(exc))
        return None


def _version(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()[:16]


# ------------------------------------------------------------------------------------------------
# The vocabulary (_categories.toml)
# ------------------------------------------------------------------------------------------------


def _key_names(c: _Checker, where: str, tables: list[dict] | None, what: str) -> dict[str, str]:
    """[[x]] key + name lists: kinds, services, tiers, case_kinds. Returns key -> name."""
    seen: dict[str, str] = {}
    for i, table in enumerate(tables or []):
        place = _place("", where, i)
        f = c.fields(place, table, _KEY_NAME_SPEC)
        key = c.key(place, f["key"])
        if key is None or f["name"] is None:
            continue
        if key in seen:
            c.err(f"{place}.key", f"{what} “{key}” 重复")
            continue
        seen[key] = f["name"]
    return seen


def _vocabulary(c: _Checker, data: dict[str, Any]) -> Vocabulary:
    f = c.fields("", data, _VOCAB_SPEC)
    kinds = _key_names(c, "kinds", f["kinds"], "登记类别")
    services = _key_names(c, "services", f["services"], "服务项目")
    return Vocabulary(
        kinds={k: Kind(k, n) for k, n in kinds.items()},
        services={k: Service(k, n) for k, n in services.items()},
    )


def load_vocabulary_text(text: str, name: str = VOCABULARY_FILE) -> Vocabulary:
    c = _Checker(name)
    data = _parse(text, c)
    vocab = _vocabulary(c, data) if data is not None else Vocabulary({}, {})
    if c.errors:
        raise PlanError(c.errors)
    return vocab


def load_vocabulary(path: str | Path | None = None) -> Vocabulary:
    """Read ``_categories.toml`` from a forms directory (or the file itself)."""
    p = Path(path) if path is not None else FORMS_DIR
    if p.is_dir():
        p = p / VOCABULARY_FILE
    return load_vocabulary_text(p.read_text(encoding="utf-8"), p.name)


# ------------------------------------------------------------------------------------------------
# One plan file
# ------------------------------------------------------------------------------------------------


def _check_refs(
    c: _Checker, place: str, values: Iterable[str], known: Iterable[str], what: str
) -> tuple[str, ...]:
    """Report unknown keys in a reference list; returns the known ones in order, deduplicated."""
    known = set(known)
    good: list[str] = []
    for v in values:
        if v not in known:
            c.err(place, f"未知的{what} “{v}”")
        elif v in good:
            c.err(place, f"{what} “{v}” 重复列出")
        else:
            good.append(v)
    return tuple(good)


def _plan(c: _Checker, data: dict[str, Any], vocab: Vocabulary, version: str) -> Plan | None:
    top = c.fields("", data, _PLAN_SPEC)

    if top["id"] is not None and not _PLAN_ID_RE.match(top["id"]):
        c.err("id", f"计划编号 “{top['id']}” 只能由小写字母、数字和连字符组成")
    if top["year"] is not None and not 2000 <= top["year"] <= 2100:
        c.err("year", f"年份 {top['year']} 不合理")
    if top["kind"] is not None and top["kind"] not in ("random", "special"):
        c.err("kind", f"计划类型应为 “random”（随机抽查）或 “special”（专项检查），实为 “{top['kind']}”")

    lookback = None
    if top["lookback"] is not None:
        lb = c.fields("lookback", top["lookback"], _LOOKBACK_SPEC)
        if lb["years"] is not None and lb["note"] is not None:
            lookback = Lookback(tuple(lb["years"]), lb["note"])

    deadlines = []
    for i, table in enumerate(top["deadlines"] or []):
        place = _place("", "deadlines", i)
        d = c.fields(place, table, _DEADLINE_SPEC)
        if d["start"] is not None and d["date"] is not None and d["start"] > d["date"]:
            c.err(f"{place}.start", "开始日期晚于截止日期")
        if d["name"] is not None and d["date"] is not None:
            deadlines.append(Deadline(d["name"], d["date"], d["start"]))

    # Tiers: a plan without [[tiers]] has one implicit tier, so every draw has a tier.
    tier_names = _key_names(c, "tiers", top["tiers"], "抽取层级")
    if top["tiers"] is None:
        tier_names = {DEFAULT_TIER_KEY: DEFAULT_TIER_NAME}
    elif not top["tiers"]:
        c.err("tiers", "不能为空列表（不分层级时省略 tiers）")
    tiers = tuple(Tier(k, n) for k, n in tier_names.items())

    categories = _categories(c, top["categories"] or [], vocab)
    cat_keys = [cat.key for cat in categories]
    if top["categories"] is not None and not top["categories"]:
        c.err("categories", "至少需要一个单位类别")

    draws = _draws(c, top["draws"] or [], cat_keys, tier_names)
    if top["kind"] == "random":
        if not draws and not c.errors:
            c.err("draws", "随机抽查计划至少需要一条抽取规则")
        # count categories named by any draw, valid or not, so one bad draw gives one error
        drawn = {
            k
            for t in top["draws"] or []
            if isinstance(t.get("categories"), list)
            for k in t["categories"]
        }
        for cat in categories:
            if cat.key not in drawn:
                c.err("draws", f"单位类别 “{cat.key}” 没有抽取规则")
    elif top["kind"] == "special" and top["draws"]:
        c.err("draws", "专项检查计划不抽取，不应有 draws")

    case_kinds = tuple(
        CaseKind(k, n) for k, n in _key_names(c, "case_kinds", top["case_kinds"], "案件分类").items()
    )
    case_keys = [ck.key for ck in case_kinds]

    sections = _sections(c, top["sections"] or [], cat_keys, vocab, case_keys)
    if top["sections"] is not None and not top["sections"]:
        c.err("sections", "至少需要一个检查内容部分")
    items = {i.key: i for s in sections for i in s.items}

    generated = bool(top["generated_summary"])
    summaries: tuple[Summary, ...] = ()
    if generated:
        if top["summaries"]:
            c.err("summaries", "已设 generated_summary = true，不应再写 summaries")
        for s_index, section in enumerate(sections):
            for i_index, item in enumerate(section.items):
                if item.short is None:
                    c.err(
                        f"sections[{s_index}].items[{i_index}]",
                        "生成汇总表需要检查项简称 “short”",
                    )
        title = top["title"] or ""
        summaries = (_generated_summary(title, categories, sections),)
    else:
        if not top["summaries"]:
            c.err("", "缺少汇总表：请写 [[summaries]]，或设 generated_summary = true")
        summaries = _summaries(c, top["summaries"] or [], cat_keys, items, case_keys)

    if c.errors:
        return None
    return Plan(
        id=top["id"],
        title=top["title"],
        year=top["year"],
        authority=top["authority"],
        seed=top["seed"],
        kind=top["kind"],
        version=version,
        source=c.name,
        tiers=tiers,
        categories=categories,
        draws=draws,
        sections=sections,
        summaries=summaries,
        deadlines=tuple(deadlines),
        case_kinds=case_kinds,
        document=top["document"],
        note=top["note"],
        lookback=lookback,
        generated_summary=generated,
    )


def _categories(c: _Checker, tables: list[dict], vocab: Vocabulary) -> tuple[Category, ...]:
    out: list[Category] = []
    owner: dict[str, str] = {}  # register kind -> plan category holding it
    for i, table in enumerate(tables):
        place = _place("", "categories", i)
        f = c.fields(place, table, _CATEGORY_SPEC)
        key = c.key(place, f["key"])
        if key is not None and any(cat.key == key for cat in out):
            c.err(f"{place}.key", f"单位类别 “{key}” 重复")
            continue
        kinds = _check_refs(c, f"{place}.kinds", f["kinds"] or [], vocab.kinds, "登记类别")
        if f["kinds"] is not None and not f["kinds"]:
            c.err(f"{place}.kinds", "至少需要一个登记类别")
        # A register kind in two rows would make category_of() ambiguous.
        for k in kinds:
            if k in owner:
                c.err(f"{place}.kinds", f"登记类别 “{k}” 已归入单位类别 “{owner[k]}”")
            elif key is not None:
                owner[k] = key
        if key is not None and f["name"] is not None:
            out.append(Category(key, f["name"], kinds))
    return tuple(out)


def _draws(
    c: _Checker, tables: list[dict], cat_keys: list[str], tiers: Mapping[str, str]
) -> tuple[Draw, ...]:
    out: list[Draw] = []
    seen: dict[tuple[str, str], int] = {}  # (tier, category) -> draw index
    for i, table in enumerate(tables):
        place = _place("", "draws", i)
        f = c.fields(place, table, _DRAW_SPEC)
        ok = all(f[k] is not None for k in ("categories", "ratio"))
        cats = _check_refs(c, f"{place}.categories", f["categories"] or [], cat_keys, "单位类别")
        if f["categories"] is not None and not f["categories"]:
            c.err(f"{place}.categories", "至少需要一个单位类别")
            ok = False

        tier = f["tier"]
        if "tier" not in table:
            if len(tiers) == 1:
                tier = next(iter(tiers))
            else:
                c.err(place, "计划有多个抽取层级，须写明 “tier”")
                ok = False
        elif tier is not None and tier not in tiers:
            c.err(f"{place}.tier", f"未知的抽取层级 “{tier}”")
            ok = False

        ratio = None
        if f["ratio"] is not None:
            # via str() so that 0.12 becomes Decimal("0.12"), not 0.11999999999999999555910790149937
            ratio = Decimal(str(f["ratio"]))
            if not 0 < ratio <= 1:
                c.err(f"{place}.ratio", f"抽取比例应大于 0 且不大于 1，实为 {f['ratio']}")
                ok = False

        base = f["base"]
        if base is not None:
            other = base[len(_REMAINDER_PREFIX):] if base.startswith(_REMAINDER_PREFIX) else None
            if other is None:
                c.err(f"{place}.base", f"应为 “remainder:<层级>”，实为 “{base}”")
                ok = False
            elif other not in tiers:
                c.err(f"{place}.base", f"未知的抽取层级 “{other}”")
                ok = False
            elif other == tier:
                c.err(f"{place}.base", "不能取本层级的剩余单位")
                ok = False

        if f["per_district"] is not None and f["per_district"] < 1:
            c.err(f"{place}.per_district", "每个区县抽取数应至少为 1")
            ok = False
        if f["rounding"] is not None and f["rounding"] != "ceil":
            c.err(f"{place}.rounding", f"取整方式只支持 “ceil”（向上取整），实为 “{f['rounding']}”")
            ok = False

        for cat in cats:
            if tier is not None and (tier, cat) in seen:
                c.err(
                    f"{place}.categories",
                    f"单位类别 “{cat}” 在层级 “{tier}” 已由 draws[{seen[tier, cat]}] 抽取",
                )
                ok = False
            elif tier is not None:
                seen[tier, cat] = i

        if ok and tier is not None and ratio is not None:
            out.append(Draw(cats, tier, ratio, base, f["per_district"], "ceil", f["note"]))

    # A remainder draw needs the other tier to draw the very same pool first.
    for i, d in enumerate(out):
        other = d.remainder_of
        if other and not any(o.tier == other and o.categories == d.categories for o in out):
            c.err(
                _place("", "draws", i) + ".base",
                f"层级 “{other}” 没有对同一单位类别的抽取规则，无剩余单位可取",
            )
    return tuple(out)


def _sections(
    c: _Checker,
    tables: list[dict],
    cat_keys: list[str],
    vocab: Vocabulary,
    case_keys: list[str],
) -> tuple[Section, ...]:
    out: list[Section] = []
    seen_items: dict[str, str] = {}
    for s_index, table in enumerate(tables):
        s_place = _place("", "sections", s_index)
        f = c.fields(s_place, table, _SECTION_SPEC)
        if f["key"] is not None and any(s.key == f["key"] for s in out):
            c.err(f"{s_place}.key", f"部分编号 “{f['key']}” 重复")
        # Section-level categories/services are defaults for its items (a whole section may be
        # for one kind of unit, e.g. 特殊血站管理 in seed 001 附表3).
        s_cats = _check_refs(c, f"{s_place}.categories", f["categories"] or [], cat_keys, "单位类别")
        s_svcs = _check_refs(c, f"{s_place}.services", f["services"] or [], vocab.services, "服务项目")
        items: list[Item] = []
        for i_index, item_table in enumerate(f["items"] or []):
            place = _place(s_place, "items", i_index)
            g = c.fields(place, item_table, _ITEM_SPEC)
            key = g["key"]
            if key is not None:
                if key in seen_items:
                    c.err(f"{place}.key", f"检查项编号 “{key}” 重复（已见于 {seen_items[key]}）")
                    key = None
                else:
                    seen_items[key] = place
            cats = (
                _check_refs(c, f"{place}.categories", g["categories"], cat_keys, "单位类别")
                if g["categories"] is not None
                else (s_cats or tuple(cat_keys))
            )
            if g["categories"] is not None and not g["categories"]:
                c.err(f"{place}.categories", "不能为空列表（适用全部单位类别时省略）")
            svcs = (
                _check_refs(c, f"{place}.services", g["services"], vocab.services, "服务项目")
                if g["services"] is not None
                else s_svcs
            )
            if g["case_kind"] is not None and g["case_kind"] not in case_keys:
                c.err(f"{place}.case_kind", f"未知的案件分类 “{g['case_kind']}”")
            if key is None or g["text"] is None or g["basis"] is None or f["key"] is None:
                continue
            items.append(
                Item(
                    key=key,
                    text=g["text"],
                    basis=g["basis"],
                    section=f["key"],
                    categories=cats,
                    services=svcs,
                    optional_note=g["optional_note"],
                    short=g["short"],
                    case_kind=g["case_kind"],
                )
            )
        if f["items"] is not None and not f["items"]:
            c.err(f"{s_place}.items", "至少需要一个检查项")
        if f["key"] is not None and f["title"] is not None:
            out.append(Section(f["key"], f["title"], tuple(items)))
    return tuple(out)


def _column(
    c: _Checker,
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
            col_items = _check_refs(c, f"{place}.items", f["items"], items, "检查项")
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
            cats = _check_refs(c, f"{place}.categories", f["categories"], cat_keys, "单位类别")
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


def _summaries(
    c: _Checker,
    tables: list[dict],
    cat_keys: list[str],
    items: Mapping[str, Item],
    case_keys: list[str],
) -> tuple[Summary, ...]:
    out: list[Summary] = []
    for s_index, table in enumerate(tables):
        s_place = _place("", "summaries", s_index)
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
                rows = _check_refs(c, f"{s_place}.rows", f["rows"], cat_keys, "单位类别")
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
            g_place = _place(s_place, "groups", g_index)
            g = c.fields(g_place, g_table, _GROUP_SPEC)
            cols: list[Column] = []
            for c_index, c_table in enumerate(g["columns"] or []):
                place = _place(g_place, "columns", c_index)
                col = _column(c, place, c_table, layout, "column", cat_keys, items, case_keys)
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
            place = _place(s_place, "measures", m_index)
            m = _column(c, place, m_table, layout, "measure", cat_keys, items, case_keys)
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


def _generated_summary(
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


# ------------------------------------------------------------------------------------------------
# Entry points
# ------------------------------------------------------------------------------------------------


def _plan_from_bytes(raw: bytes, name: str, vocab: Vocabulary, errors: list[str]) -> Plan | None:
    """Validate one file; its problems are appended to ``errors``. None when it has any."""
    # a checker of its own: _plan() decides success from this file's errors only
    c = _Checker(name)
    try:
        data = _parse(raw.decode("utf-8"), c)
    except UnicodeDecodeError:
        c.err("", "文件不是 UTF-8 编码")
        data = None
    plan = _plan(c, data, vocab, _version(raw)) if data is not None else None
    errors.extend(c.errors)
    return plan


def load_plan_text(text: str, name: str, vocab: Vocabulary) -> Plan:
    """Validate one plan given as text (``name`` is used in messages, e.g. "x.toml")."""
    errors: list[str] = []
    plan = _plan_from_bytes(text.encode("utf-8"), name, vocab, errors)
    if plan is None:
        raise PlanError(errors)
    return plan


def load_plan_file(path: str | Path, vocab: Vocabulary) -> Plan:
    p = Path(path)
    errors: list[str] = []
    plan = _plan_from_bytes(p.read_bytes(), p.name, vocab, errors)
    if plan is None:
        raise PlanError(errors)
    return plan


def _load(path: str | Path | None) -> tuple[Catalog | None, list[str]]:
    directory = Path(path) if path is not None else FORMS_DIR
    errors: list[str] = []
    vocab_path = directory / VOCABULARY_FILE
    if not vocab_path.is_file():
        return None, [f"{directory}: 缺少词表文件 {VOCABULARY_FILE}"]
    vc = _Checker(VOCABULARY_FILE, errors)
    data = _parse(vocab_path.read_text(encoding="utf-8"), vc)
    vocab = _vocabulary(vc, data) if data is not None else Vocabulary({}, {})

    plans: dict[str, Plan] = {}
    files: dict[str, str] = {}
    # file-name order, so a listing of plans is stable and predictable
    for p in sorted(directory.glob("*.toml")):
        if p.name.startswith("_"):
            continue
        plan = _plan_from_bytes(p.read_bytes(), p.name, vocab, errors)
        if plan is None:
            continue
        if plan.id in plans:
            errors.append(f"{p.name}: id: 计划编号 “{plan.id}” 与 {files[plan.id]} 重复")
            continue
        plans[plan.id] = plan
        files[plan.id] = p.name
    if errors:
        return None, errors
    return Catalog(plans=plans, kinds=vocab.kinds, services=vocab.services), []


def load_plans(path: str | Path | None = None) -> Catalog:
    """Load and validate every plan in ``path`` (default: the repository's ``forms/``)."""
    catalog, errors = _load(path)
    if catalog is None:
        raise PlanError(errors)
    return catalog


def check(path: str | Path | None = None) -> list[str]:
    """All problems in the forms directory, as messages; empty when everything is valid."""
    return _load(path)[1]

"""The frozen model of a plan (抽查计划): what the loader returns and every feature reads.

A tree of frozen dataclasses, built only by the schema checks (``schema.py``) once a file has
passed them all. A Plan keeps the exact text it was read from and the category vocabulary
(``_categories.toml``) it was checked against, so that the version a record refers to is stored
exactly as it was loaded (``versions.py``) and read back the same way years later.

The column sources of a summary table (汇总表) are named here, once: the schema checks that a
plan uses known ones; the reports compute them (``webapp/reports/figures.py``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Iterable, Mapping

DEFAULT_TIER_KEY = "default"
DEFAULT_TIER_NAME = "随机抽查"
DEFAULT_FOOTER = ("填表人", "联系电话", "填表日期", "审核人", "单位负责人（签字）")
DEFAULT_ROW_HEADER = "单位类别"
# Every 汇总表 we know of puts the failure groups under one header "不合格情况" (official-tables.md).
FAILURE_PARENT = "不合格情况"
REMAINDER_PREFIX = "remainder:"

# Where a column's figure comes from. The reports compute these; the schema only makes sure a
# plan uses known ones, in the right layout, with a unit where money is shown.
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
    "revocations",          # 吊销行政许可资质: every revocation (许可证, 诊疗科目, 人员资格证)
}
MATRIX_COLUMN_SOURCES = frozenset({"categories", "case_kind"})
# Sums of money (kept in 分, shown in the label's unit), defined here only: the schema, the
# figures and the table layout all ask Column.is_money.
MONEY_SOURCES = frozenset({"fines", "fine_only", "confiscation"})
# Money is shown in the unit the official label names (万元 or 元): the label must say it.
MONEY_UNITS = ("万元", "元")


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
    """The shared vocabulary of ``_categories.toml``; ``text`` is that file as it was read."""

    kinds: Mapping[str, Kind]
    services: Mapping[str, Service]
    text: str = field(default="", compare=False, repr=False)


# What a deadline of a plan means (seed texts 000–004). A "stage" of the 汇总表 period chooser
# runs from the period's start to a stage_summary date.
DEADLINE_KINDS = {
    "stage_summary": "阶段性工作总结",
    "completion": "完成全部抽查任务和数据信息填报",
    "year_summary": "全年工作总结",
    "report_up": "汇总表及总结上报",
    "phase": "工作阶段",
}


@dataclass(frozen=True)
class Period:
    """The span a plan covers (its plan year unless the file says otherwise), both days included."""

    start: date
    end: date

    def __contains__(self, day: date) -> bool:
        return self.start <= day <= self.end


@dataclass(frozen=True)
class Deadline:
    """A date of the plan with its meaning (``kind``, one of DEADLINE_KINDS) and the seed's words."""

    kind: str
    date: date
    label: str
    start: date | None = None       # a phase with a span (seed 004)

    @property
    def kind_name(self) -> str:
        return DEADLINE_KINDS[self.kind]


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
class Sampling:
    """One sampling rule of a plan (a ``[[draws]]`` table of its file): draw ``ratio`` of the
    pooled units of ``categories`` in ``tier``. Not to be confused with a draw that was run
    (``webapp.draw.models.Draw``), which applies these rules to a register."""

    categories: tuple[str, ...]
    tier: str
    ratio: Decimal
    base: str | None = None          # "remainder:<tier>": only units that tier did not draw
    per_district: int | None = None  # at least this many per district (seed 001 附表4)
    rounding: str = "ceil"
    note: str | None = None

    @property
    def remainder_of(self) -> str | None:
        """The tier whose leftovers this rule takes, if any (seed 001 附表2 市级 80%)."""
        if self.base and self.base.startswith(REMAINDER_PREFIX):
            return self.base[len(REMAINDER_PREFIX):]
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

    @property
    def is_money(self) -> bool:
        """A sum of money (in the column's ``unit``) rather than a count."""
        return self.source in MONEY_SOURCES


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
    sampling: tuple[Sampling, ...]    # the file's [[draws]]
    sections: tuple[Section, ...]
    summaries: tuple[Summary, ...]
    period: Period | None = None     # set by the schema: the file's [period], else the plan year
    deadlines: tuple[Deadline, ...] = ()
    case_kinds: tuple[CaseKind, ...] = ()
    document: str | None = None
    note: str | None = None
    lookback: Lookback | None = None
    generated_summary: bool = False
    # As loaded: the file's text (``version`` is its hash) and the vocabulary it was checked against.
    text: str = field(default="", compare=False, repr=False)
    vocabulary: Vocabulary | None = field(default=None, compare=False, repr=False)
    _items: dict[str, Item] = field(default_factory=dict, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_items", {i.key: i for s in self.sections for i in s.items})

    @property
    def items(self) -> tuple[Item, ...]:
        return tuple(self._items.values())

    def item(self, key: str) -> Item:
        return self._items[key]

    def deadline(self, kind: str) -> Deadline | None:
        """The first deadline of this kind (file order), if the plan has one."""
        return next((d for d in self.deadlines if d.kind == kind), None)

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

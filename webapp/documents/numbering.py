"""Document numbers: a pattern per issuing authority, a gap-free sequence per authority and year.

Patterns use named fields (《卫生行政执法文书规范》: 编号 = 年份 + 序号; with a 文号 the local
form is 地区简称 + 卫 + 执法类别 + 执法性质 + 〔年份〕 + 序号, e.g. 津卫医监意〔2025〕12号):
  {简称} the unit's short name · {单位} its full name · {年} the year · {序号} the number,
  which takes a width like {序号:03} → 007.
"""
import string

from flask import current_app

from ..db import is_postgres, transaction
from ..inputs import too_long
from .models import DocumentSeries

DEFAULT_PATTERN = "{简称}卫监意〔{年}〕{序号}号"
FIELDS = {"简称", "单位", "年", "序号"}


def default_pattern():
    return current_app.config.get("OPINION_NUMBER_PATTERN") or DEFAULT_PATTERN


def check_pattern(pattern):
    """A Chinese message when the pattern cannot number documents, else None."""
    pattern = (pattern or "").strip()
    if not pattern:
        return "请填写编号格式。"
    problem = too_long(DocumentSeries.pattern, pattern, "编号格式")
    if problem:
        return problem
    try:
        names = [f for _, f, _, _ in string.Formatter().parse(pattern) if f is not None]
    except ValueError:
        return "编号格式中的花括号不成对。"
    unknown = [n for n in names if n not in FIELDS]
    if unknown:
        return f"编号格式中有未知字段“{{{unknown[0]}}}”，可用字段：{{简称}}、{{单位}}、{{年}}、{{序号}}。"
    if "序号" not in names:
        return "编号格式必须包含 {序号}，否则同一年的文书会重号。"
    try:
        format_number(pattern, "简", "单位", 2025, 1)
    except (ValueError, IndexError, KeyError):
        return "编号格式中的序号宽度写法有误，应如 {序号:03}。"
    return None


def format_number(pattern, short_name, unit_name, year, seq):
    return pattern.format(**{"简称": short_name, "单位": unit_name, "年": year, "序号": seq})


def pattern_for(unit, year):
    """The pattern in force for unit in year: that year's series, else the latest earlier one."""
    row = (DocumentSeries.select().where((DocumentSeries.unit == unit) & (DocumentSeries.kind == "opinion")
                                         & (DocumentSeries.year <= year))
           .order_by(DocumentSeries.year.desc()).first())
    return row.pattern if row else default_pattern()


def take_number(unit, year):
    """Hand out the next sequence number of unit's series for year; returns (seq, pattern).

    Must run inside the caller's `transaction()` (the issue verb's, webapp/workflow.py), so that a failed issue gives the number back
    (rollback) and the sequence stays gap-free. The first statement is a write on purpose: on
    SQLite it takes the database write lock before anything is read, so a concurrent issue waits
    (busy_timeout) instead of reading a stale counter; on PostgreSQL the row is locked with
    SELECT … FOR UPDATE and a concurrent issue waits for our commit.
    """
    where = (DocumentSeries.unit == unit) & (DocumentSeries.kind == "opinion") & (DocumentSeries.year == year)
    if is_postgres():
        row = DocumentSeries.select().where(where).for_update().get_or_none()
        if row is None:
            # first issue of the year: a concurrent creator makes us wait, then we lock its row
            DocumentSeries.insert(unit=unit, kind="opinion", year=year, pattern=pattern_for(unit, year), next_no=1) \
                .on_conflict_ignore().execute()
            row = DocumentSeries.select().where(where).for_update().get()
        DocumentSeries.update(next_no=row.next_no + 1).where(DocumentSeries.id == row.id).execute()
        return row.next_no, row.pattern
    # SQLite: nothing may be read before this write (a read would pin an old snapshot and the
    # later write would fail with "database is locked" instead of waiting).
    if not DocumentSeries.update(next_no=DocumentSeries.next_no + 1).where(where).execute():
        # we hold the write lock now, so no one else can be creating this series meanwhile
        DocumentSeries.insert(unit=unit, kind="opinion", year=year, pattern=pattern_for(unit, year), next_no=2).execute()
    row = DocumentSeries.select().where(where).get()
    return row.next_no - 1, row.pattern


def set_pattern(unit, year, pattern):
    """Set the pattern of unit's series for year (created if missing); numbers already given stay."""
    with transaction():
        DocumentSeries.insert(unit=unit, kind="opinion", year=year, pattern=pattern, next_no=1).on_conflict_ignore().execute()
        DocumentSeries.update(pattern=pattern).where((DocumentSeries.unit == unit) & (DocumentSeries.kind == "opinion")
                                                     & (DocumentSeries.year == year)).execute()

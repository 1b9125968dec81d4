"""The period a 汇总表 counts (issue 14 "Periods"): the plan year by default, a stage (from the
period's start to the plan's 阶段性工作总结 date), or a custom range. A record counts when its
visit date falls in the period, both days included.

One parser for the page's chooser and the CLI's --period, with Chinese messages by field.
"""
import datetime

from ..errors import Invalid
from .figures import Period

YEAR, STAGE, CUSTOM = "year", "stage", "custom"
KIND_LABELS = {YEAR: "计划年度", STAGE: "阶段", CUSTOM: "自定义期间"}
RANGE_SEPARATOR = ".."


def year(plan):
    """The plan's own period (its plan year)."""
    return Period(plan.period.start, plan.period.end, YEAR)


def stage(plan):
    """From the period's start to the plan's stage-summary date, or None when the plan has none."""
    d = plan.deadline("stage_summary")
    return Period(plan.period.start, d.date, STAGE) if d else None


def of(plan, period):
    """The period as asked, the plan year when none was (an empty Period)."""
    return period if period else year(plan)


def _day(text, field, errors):
    text = (text or "").strip()
    if not text:
        return None
    try:
        return datetime.date.fromisoformat(text)
    except ValueError:
        errors[field] = "日期格式应为 2025-06-30"
        return None


def choose(plan, kind, start="", end=""):
    """The Period of the chooser's fields; raises Invalid({field: message}) on a mistake."""
    kind = (kind or "").strip() or (CUSTOM if (start or "").strip() or (end or "").strip() else YEAR)
    if kind == YEAR:
        return year(plan)
    if kind == STAGE:
        found = stage(plan)
        if found is None:
            raise Invalid({"period": "该计划没有阶段性工作总结日期，不能按阶段统计"})
        return found
    if kind != CUSTOM:
        raise Invalid({"period": "统计期间应为计划年度、阶段或自定义期间"})
    errors = {}
    first, last = _day(start, "start", errors), _day(end, "end", errors)
    if not errors and first is None and last is None:
        errors["start"] = "自定义期间请至少填写开始或结束日期"
    if first and last and first > last:
        errors["end"] = "结束日期不能早于开始日期"
    if errors:
        raise Invalid(errors)
    return Period(first, last, CUSTOM)


def parse(plan, text):
    """--period of the CLI: "year", "stage" or "YYYY-MM-DD..YYYY-MM-DD"; raises Invalid."""
    text = (text or "").strip() or YEAR
    if text in (YEAR, STAGE):
        return choose(plan, text)
    if RANGE_SEPARATOR not in text:
        raise Invalid({"period": f"统计期间“{text}”应为 year、stage 或 2025-01-01..2025-06-30"})
    first, last = text.split(RANGE_SEPARATOR, 1)
    try:
        return choose(plan, CUSTOM, first, last)
    except Invalid as exc:
        raise Invalid({"period": f"统计期间“{text}”：" + "；".join(exc.errors.values())}) from None


def describe(period):
    """The words printed on the form: e.g. 计划年度（2025-01-01 至 2025-12-31）."""
    if not period:
        return "不限检查日期"  # a summary submitted before periods were recorded (migration 0150)
    span = f"{period.start or '…'} 至 {period.end or '…'}"
    label = KIND_LABELS.get(period.kind)
    return f"{label}（{span}）" if label else span

"""年度抽查计划：计划数据、检查内容与汇总表

Plans are data (forms/*.toml). Layout, bottom up:
- model.py: the frozen dataclasses (Plan, Category, Sampling = one [[draws]] rule, Item, Summary,
  Column …) and the column sources, MONEY_SOURCES defined once (Column.is_money).
- checker.py: generic TOML table checks; every problem in Chinese, all collected at once.
- schema.py: what a plan file and _categories.toml contain; summaries.py: the 汇总表 columns.
- loader.py: the entry points that read files (load_plans, load_plan_text, check …).
- versions.py: PlanVersion, a version stored exactly as loaded (text + vocabulary).
- catalog.py: what other features call: catalog(), get_plan(id), plan_for(record),
  plan_at(id, version); the one cache of plans by version.
- headers.py: the merged header grid of a 汇总表; views.py: pages and the `plans` CLI.
"""
from flask import Blueprint

# `flask --app webapp plans …` commands hang on this blueprint's CLI group.
bp = Blueprint("plans", __name__, url_prefix="/plans", cli_group="plans")

from . import commands, views  # noqa: E402,F401  (routes and commands register on bp)

from ..nav import register as _nav  # noqa: E402

_nav("抽查计划", "plans.index", ["inspector", "reviewer", "head", "admin"], "年度抽查计划、检查内容与汇总表样式")


@bp.app_template_global("plan_title")
def plan_title(plan_id):
    """A plan's title for lists (the id only when the plan has left forms/)."""
    from .catalog import get_plan

    plan = get_plan(plan_id)
    return plan.title if plan is not None else plan_id

"""年度抽查计划：计划数据、检查内容与汇总表"""
from flask import Blueprint

# `flask --app webapp plans …` commands hang on this blueprint's CLI group.
bp = Blueprint("plans", __name__, url_prefix="/plans", cli_group="plans")

from . import views  # noqa: E402,F401  (routes and commands register on bp)

from ..nav import register as _nav  # noqa: E402

_nav("抽查计划", "plans.index", ["inspector", "reviewer", "head", "admin"], "年度抽查计划、检查内容与汇总表样式")


@bp.app_template_global("plan_title")
def plan_title(plan_id):
    """A plan's title for lists (the id only when the plan has left forms/)."""
    from .catalog import get_plan

    plan = get_plan(plan_id)
    return plan.title if plan is not None else plan_id

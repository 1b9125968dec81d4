"""现场检查：逐项检查、自动保存、处理"""
from flask import Blueprint

# `flask --app webapp inspection …` commands hang on this blueprint's CLI group.
bp = Blueprint("inspection", __name__, url_prefix="/inspection", cli_group="inspection")

from . import views  # noqa: E402,F401  (routes and commands register on bp)

from ..nav import register as _nav  # noqa: E402

_nav("我的任务", "inspection.tasks", ["inspector"], "分配给我的检查任务，发起临时检查，逐项检查并提交审核")

"""双随机抽取与检查任务"""
from flask import Blueprint

# `flask --app webapp draw …` commands hang on this blueprint's CLI group.
bp = Blueprint("draw", __name__, url_prefix="/draw", cli_group="draw")

from . import commands, views  # noqa: E402,F401  (routes and commands register on bp)

from ..nav import register as _nav  # noqa: E402

_nav("双随机抽取", "draw.index", ["admin"], "按计划抽取检查对象和执法人员，生成检查任务")

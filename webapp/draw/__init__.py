"""双随机抽取与检查任务"""
from flask import Blueprint

# `flask --app webapp draw …` commands hang on this blueprint's CLI group.
bp = Blueprint("draw", __name__, url_prefix="/draw", cli_group="draw")

from . import commands, views  # noqa: E402,F401  (routes and commands register on bp)

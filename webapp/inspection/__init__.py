"""现场检查：逐项检查、自动保存、处理"""
from flask import Blueprint

# `flask --app webapp inspection …` commands hang on this blueprint's CLI group.
bp = Blueprint("inspection", __name__, url_prefix="/inspection", cli_group="inspection")

from . import views  # noqa: E402,F401  (routes and commands register on bp)

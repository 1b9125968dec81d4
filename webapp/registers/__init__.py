"""名录库：检查对象与执法检查人员"""
from flask import Blueprint

# `flask --app webapp registry …` commands hang on this blueprint's CLI group.
bp = Blueprint("registers", __name__, url_prefix="/registers", cli_group="registry")

from . import views  # noqa: E402,F401  (routes and commands register on bp)

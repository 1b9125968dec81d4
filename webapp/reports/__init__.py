"""汇总表：页面、PDF 与 Excel"""
from flask import Blueprint

# `flask --app webapp report …` commands hang on this blueprint's CLI group.
bp = Blueprint("reports", __name__, url_prefix="/reports", cli_group="report")

from . import views  # noqa: E402,F401  (routes and commands register on bp)

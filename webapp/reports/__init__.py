"""汇总表：页面、PDF 与 Excel"""
from flask import Blueprint

from .. import nav

# `flask --app webapp report …` commands hang on this blueprint's CLI group.
bp = Blueprint("reports", __name__, url_prefix="/reports", cli_group="report")

nav.register("汇总表", "reports.index", ["inspector", "reviewer", "head", "admin"],
             "按计划、地区和期间统计的官方汇总表：下载 PDF / Excel，报送与审批")

from . import commands, views  # noqa: E402,F401  (routes and commands register on bp)

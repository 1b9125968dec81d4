"""名录库：检查对象与执法检查人员"""
from flask import Blueprint

# `flask --app webapp registry …` commands hang on this blueprint's CLI group.
bp = Blueprint("registers", __name__, url_prefix="/registers", cli_group="registry")

from . import commands, views  # noqa: E402,F401  (routes and commands register on bp)

from ..nav import register as _nav  # noqa: E402

_nav("检查对象名录库", "registers.institutions", ["admin", "reviewer", "inspector"], "检查对象的查询、维护与 Excel 导入导出")
_nav("执法人员名录库", "registers.inspectors", ["admin", "reviewer", "inspector"], "执法检查人员与回避申报")

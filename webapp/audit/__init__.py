"""审计日志：哈希链"""
from flask import Blueprint

from .. import nav

# `flask --app webapp audit …` commands hang on this blueprint's CLI group.
bp = Blueprint("audit", __name__, url_prefix="/audit", cli_group="audit")

nav.register("审计日志", "audit.log", ["admin"], "谁在何时改了什么：本辖区的变更记录与哈希链校验")

from . import views  # noqa: E402,F401  (routes and commands register on bp)

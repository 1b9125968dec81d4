"""审计日志与历史：what people read of the audit trail — an area's log, a record's and an
institution's history. Above the features: it names their objects (display.py)."""
from flask import Blueprint

from .. import nav

bp = Blueprint("history", __name__, url_prefix="/audit")

nav.register("审计日志", "history.log", ["admin"], "谁在何时改了什么：本辖区的变更记录与哈希链校验")

from . import views  # noqa: E402,F401  (routes register on bp)

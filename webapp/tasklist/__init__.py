"""导入上级任务清单：上级平台下发的双随机名单导入为检查任务"""
from flask import Blueprint

# `flask --app webapp tasklist …` commands hang on this blueprint's CLI group.
bp = Blueprint("tasklist", __name__, url_prefix="/tasklist", cli_group="tasklist")

from . import views  # noqa: E402,F401  (routes and commands register on bp)

from ..nav import register as _nav  # noqa: E402

_nav("导入上级任务清单", "tasklist.index", ["admin"], "上级平台下发的双随机名单（Excel/CSV）导入为检查任务")

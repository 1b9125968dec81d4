"""卫生监督意见书"""
from flask import Blueprint

# `flask --app webapp opinion …` commands hang on this blueprint's CLI group.
bp = Blueprint("documents", __name__, url_prefix="/documents", cli_group="opinion")

from . import commands, views  # noqa: E402,F401  (routes and commands register on bp)

from ..nav import register as _nav  # noqa: E402

_nav("监督意见书", "documents.index", ["inspector", "reviewer"], "由不合格项生成、签发、打印卫生监督意见书")
_nav("逾期未复查", "documents.overdue", ["inspector", "reviewer"], "改正期限已过仍未复查的意见书", badge=views.overdue_count)

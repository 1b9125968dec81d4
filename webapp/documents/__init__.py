"""卫生监督意见书"""
from flask import Blueprint

# `flask --app webapp opinion …` commands hang on this blueprint's CLI group.
bp = Blueprint("documents", __name__, url_prefix="/documents", cli_group="opinion")

from . import views  # noqa: E402,F401  (routes and commands register on bp)

"""审计日志：哈希链"""
from flask import Blueprint

# `flask --app webapp audit …` commands hang on this blueprint's CLI group.
bp = Blueprint("audit", __name__, url_prefix="/audit", cli_group="audit")

from . import views  # noqa: E402,F401  (routes and commands register on bp)

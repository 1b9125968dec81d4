"""审核：审核通过、退回、撤回审核"""
from flask import Blueprint

# `flask --app webapp review …` commands hang on this blueprint's CLI group.
bp = Blueprint("review", __name__, url_prefix="/review", cli_group="review")

from . import views  # noqa: E402,F401  (routes and commands register on bp)

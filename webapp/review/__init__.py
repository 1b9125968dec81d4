"""审核：审核通过、退回、撤回审核"""
from flask import Blueprint

from .. import nav

# `flask --app webapp review …` commands hang on this blueprint's CLI group.
bp = Blueprint("review", __name__, url_prefix="/review", cli_group="review")


def _badge(user):
    from .queue import queue_count

    return queue_count(user)


nav.register("审核", "review.queue", ["reviewer"], "待审核的检查记录：通过、退回、批量通过", badge=_badge)

from . import views  # noqa: E402,F401  (routes and commands register on bp)

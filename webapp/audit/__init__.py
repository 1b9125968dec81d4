"""审计：哈希链 — the trail every feature writes (trail.py), its entries (models.py), their
Chinese words (labels.py) and `flask --app webapp audit verify`. The pages that show it are
webapp/history, above the features."""
from flask import Blueprint

# `flask --app webapp audit …` commands hang on this blueprint's CLI group; it has no routes.
bp = Blueprint("audit", __name__, cli_group="audit")

from . import commands  # noqa: E402,F401

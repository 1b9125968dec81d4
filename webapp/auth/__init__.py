from flask import Blueprint

# cli_group=None: `flask --app webapp set-password …` sits beside create-user.
bp = Blueprint("auth", __name__, cli_group=None)

from . import commands, views  # noqa: E402,F401  (routes and commands register on bp)

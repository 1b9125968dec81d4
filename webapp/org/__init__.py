"""Organisation: the area tree, supervision units, users and their roles."""
from flask import Blueprint

bp = Blueprint("org", __name__, url_prefix="/org")

from . import views  # noqa: E402,F401

from ..nav import register as _nav  # noqa: E402

_nav("用户", "org.users", ["admin", "head", "reviewer"], "本辖区的用户和角色")

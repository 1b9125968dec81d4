"""系统维护: the users of the area, sign-in lock-outs, and `flask --app webapp backup|restore|create-area|create-unit`."""
from flask import Blueprint

# cli_group=None: `flask --app webapp backup FILE`, not `flask admin backup`.
bp = Blueprint("admin", __name__, url_prefix="/admin", cli_group=None)

from . import commands, views  # noqa: E402,F401  (routes and commands register on bp)

from ..nav import register as _nav  # noqa: E402


def _waiting(user):
    from ..auth.services import lockouts

    return sum(1 for r in lockouts(user) if r["waiting"])


_nav("用户", "admin.users", ["admin", "head", "reviewer"], "本辖区的用户和角色")
_nav("登录锁定", "admin.lockouts", ["admin"], "登录失败次数过多而被延迟的账号和地址，可解除锁定", badge=_waiting)

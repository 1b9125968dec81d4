"""Checking a password with throttling, changing it, and lifting a lock-out.

A sign-in first reserves its attempt: inside one transaction the throttle rows of the account
name (or of the known device) and of the client address are locked, the wait they impose is
checked, and the attempt is counted as a failure. Only then is the password checked, outside
the lock (scrypt takes ~0.1 s and must not hold the write lock); a success takes the reservation
back. So N parallel attempts are N counted attempts: the limit cannot be outrun.
"""
import datetime
import re

from flask import current_app
from werkzeug.security import generate_password_hash

from ..audit import trail
from ..db import locked, transaction
from ..errors import Invalid
from ..org.models import User
from . import sessions
from .models import LoginAttempt, LoginThrottle

KIND_LABELS = {"account": "账号", "address": "客户端地址", "device": "账号（本人常用设备）"}


class LoginRefused(Exception):
    def __init__(self, message):
        super().__init__(message)
        self.message = message


def _params(kind):
    cfg = current_app.config
    if kind == "address":
        return cfg["LOGIN_ADDR_MAX_FAILURES"], cfg["LOGIN_DELAY_SECONDS"], cfg["LOGIN_ADDR_DELAY_MAX_SECONDS"]
    return cfg["LOGIN_MAX_FAILURES"], cfg["LOGIN_DELAY_SECONDS"], cfg["LOGIN_DELAY_MAX_SECONDS"]


def delay_after(kind, failures):
    """Seconds to wait after `failures` failures: none for the free ones, then doubling."""
    free, base, cap = _params(kind)
    if failures < free:
        return 0
    return min(cap, base * 2 ** min(failures - free, 30))


def _window():
    return datetime.timedelta(seconds=current_app.config["LOGIN_WINDOW_SECONDS"])


def unlock_at(row):
    """When row's wait is over (None: no wait)."""
    wait = delay_after(row.kind, row.failures)
    if not wait or row.last_failure is None:
        return None
    return row.last_failure + datetime.timedelta(seconds=wait)


def _locked_row(kind, key):
    LoginThrottle.insert(kind=kind, key=key, failures=0).on_conflict_ignore().execute()
    return locked(LoginThrottle.select().where((LoginThrottle.kind == kind) & (LoginThrottle.key == key))).get()


def _wait_text(seconds):
    if seconds < 60:
        return f"{int(seconds) + 1} 秒"
    return f"{int(seconds // 60) + 1} 分钟"


# A wrong password for a missing account costs a hash check like a real one (no enumeration
# of user names by timing). One dummy hash per hash method, made on first use.
_DUMMY = {}


def _dummy_hash():
    method = current_app.config["PASSWORD_HASH_METHOD"]
    if method not in _DUMMY:
        _DUMMY[method] = generate_password_hash("dummy password that matches nothing", method=method)
    return _DUMMY[method]


def _keys(username, remote_addr, device):
    """What an attempt is counted against. From the inspector's own browser only its device
    key: neither a stranger guessing the account nor one sharing the address (a NAT) can
    slow it down, and its own failures are still counted."""
    if device:
        return [("device", f"{device[:40]}:{username}")]
    keys = [("account", username)]
    if remote_addr:
        keys.append(("address", remote_addr[:64]))
    return keys


# No account name holds a control character (and PostgreSQL refuses NUL in text): such a
# name is looked up as nothing, and counted under a cleaned key.
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
LOG_DAYS = 30  # failed attempts kept for the admin's inquiries


def _reserve(keys, now):
    """Lock the throttle rows, refuse while one of them imposes a wait, count this attempt."""
    with transaction():
        rows = [_locked_row(kind, key) for kind, key in keys]
        waits = []
        for row in rows:
            if row.last_failure is not None and now - row.last_failure > _window():
                row.failures = 0
            until = unlock_at(row)
            waits.append(((until - now).total_seconds() if until and until > now else 0, row.kind))
        wait, kind = max(waits)
        if wait > 0:
            who = "本机（客户端地址）" if kind == "address" else "账号"
            raise LoginRefused(f"登录失败次数过多，{who}已暂时锁定，请 {_wait_text(wait)}后再试"
                               "（如需立即登录，请联系管理员解除锁定）。")
        for row in rows:
            row.failures += 1
            row.last_failure = now
            row.save()
        return rows


def authenticate(username, password, remote_addr="", device=None, now=None):
    """Return the user, or raise LoginRefused with a Chinese message.

    device: the id from this browser's signed device cookie when it has signed in as username
    before; its failures are then counted apart from the account's, so a stranger's failures
    do not delay the inspector's own browser."""
    now = now or datetime.datetime.now()
    typed = username.strip()[:64]
    username = _CONTROL.sub("?", typed)
    remote_addr = _CONTROL.sub("?", remote_addr or "")
    keys = _keys(username, remote_addr, device)
    rows = _reserve(keys, now)
    user = User.get_or_none(User.username == username) if username == typed else None
    # always one hash check, whether the account exists, is inactive or not
    ok = User(password_hash=user.password_hash if user else _dummy_hash()).check_password(password)
    if not ok or user is None or not user.active:
        with transaction():
            LoginAttempt.create(username=username, remote_addr=remote_addr[:64], at=now)
            # both indexed: the log and the counters cannot grow without end
            LoginAttempt.delete().where(LoginAttempt.at < now - datetime.timedelta(days=LOG_DAYS)).execute()
            LoginThrottle.delete().where(LoginThrottle.last_failure < now - _window()).execute()
        free, _, _ = _params(rows[0].kind)
        left = free - rows[0].failures
        if left > 0:
            raise LoginRefused(f"用户名或密码错误（还可尝试 {left} 次）。")
        raise LoginRefused(f"用户名或密码错误。再次尝试前需等待 {_wait_text(delay_after(rows[0].kind, rows[0].failures) - 1)}。")
    with transaction():
        for kind, key in keys:
            q = LoginThrottle.kind == kind
            q &= LoginThrottle.key == key
            if kind == "address":
                # a success from an address only takes back its own attempt: signing in to
                # one's own account between guesses must not reset the address count
                LoginThrottle.update(failures=LoginThrottle.failures - 1).where(q & (LoginThrottle.failures > 0)).execute()
            else:
                # a success on the inspector's own device leaves the account-wide count alone:
                # it may be a stranger's, and must keep slowing the stranger down
                LoginThrottle.delete().where(q).execute()
    return user


MIN_PASSWORD = 8


def check_new_password(username, new, confirm, field="new", confirm_field="confirm"):
    errors = {}
    if len(new) < MIN_PASSWORD:
        errors[field] = f"新密码至少 {MIN_PASSWORD} 位。"
    elif new == username:
        errors[field] = "新密码不能与用户名相同。"
    if confirm is not None and new != confirm:
        errors[confirm_field] = "两次输入的新密码不一致。"
    if errors:
        raise Invalid(errors)


def set_password(user, new, actor, keep_key=None):
    """Store a new password and end the user's other sessions (all of them when keep_key is
    None, e.g. from the command line). Call inside transaction()."""
    user.set_password(new)
    user.save(only=[User.password_hash])
    ended = sessions.end_all(user, "password", keep_key=keep_key)
    trail.record(actor, "user.password", "user", user.id, after={"username": user.username, "ended_sessions": ended})
    return ended


def change_password(user, current, new, confirm, remote_addr="", keep_key=None):
    """The signed-in user's own change: the current password is checked through the same
    throttle as a sign-in (a stolen session cannot guess it quickly)."""
    check_new_password(user.username, new, confirm)
    try:
        authenticate(user.username, current, remote_addr)
    except LoginRefused as refused:
        raise Invalid({"current": refused.message})
    if current == new:
        raise Invalid({"new": "新密码不能与当前密码相同。"})
    with transaction():
        return set_password(User.get_by_id(user.id), new, user, keep_key=keep_key)


def lockouts(viewer, now=None):
    """Throttle rows that impose a wait now or have used up their free attempts, newest first.
    An admin sees the accounts of their own area and below, and names and addresses that
    belong to no account (they are nobody's data, and may be an attack on anyone)."""
    from ..org.models import Unit
    from ..scope import visible

    now = now or datetime.datetime.now()
    rows = []
    for row in (LoginThrottle.select().where(LoginThrottle.last_failure >= now - _window())
                .order_by(LoginThrottle.last_failure.desc())):
        if row.failures >= _params(row.kind)[0]:
            rows.append(row)
    name_of = {row.id: (row.key.split(":", 1)[1] if row.kind == "device" else row.key) for row in rows}
    names = {name_of[r.id] for r in rows if r.kind != "address"}
    existing = {u.username for u in User.select(User.username).where(User.username.in_(names))} if names else set()
    mine = ({u.username for u in visible(User.select(User.username).join(Unit), Unit.area, viewer)
             .where(User.username.in_(existing))} if existing else set())
    out = []
    for row in rows:
        name = name_of[row.id]
        if row.kind != "address" and name in existing and name not in mine:
            continue
        until = unlock_at(row)
        out.append({"id": row.id, "kind": KIND_LABELS.get(row.kind, row.kind), "name": name,
                    "known": row.kind == "address" or name in existing, "failures": row.failures,
                    "last": row.last_failure, "until": until, "waiting": bool(until and until > now)})
    return out


def can_unlock(viewer, row_id):
    return any(r["id"] == row_id for r in lockouts(viewer))


def unlock(row_id, actor):
    """Lift one lock-out (the admin's 解除锁定); False when it was already gone."""
    with transaction():
        row = locked(LoginThrottle.select().where(LoginThrottle.id == row_id)).get_or_none()
        if row is None:
            return False
        trail.record(actor, "login.unlock", "login_throttle", row.id,
                     before={"kind": row.kind, "key": row.key, "failures": row.failures})
        row.delete_instance()
    return True

"""Server-side sessions: the signed cookie only names a session row, and every request checks
that row. Sign-out, a password change, deactivation, inactivity and the absolute lifetime end
the row, so a copied cookie stops working everywhere at once.

Other features call `end_all(user, why)` when they take an account away (deactivation)."""
import datetime
import hashlib
import secrets

from flask import current_app, session

from ..db import Busy, transaction
from ..org.models import Area, Unit, User
from .models import UserSession

# ended_why → what the user reads when the ended session comes back
WHY = {
    "logout": "您已退出登录，请重新登录。",
    "password": "账号密码已修改，请用新密码重新登录。",
    "inactive": "账号已停用，请联系管理员。",
    "idle": "长时间未操作，已自动退出，请重新登录。",
    "expired": "登录已超过有效期，请重新登录。",
    "restore": "系统已从备份恢复，请重新登录。",
}


def _hash(token):
    return hashlib.sha256(token.encode("ascii")).hexdigest()


def _now():
    return datetime.datetime.now()


def issue(user, remote_addr=""):
    """A new session row for user; returns the token the cookie carries as session["sid"]
    (benchmarks and load tests that skip the sign-in form use this)."""
    token = secrets.token_urlsafe(32)
    with transaction():
        UserSession.create(key=_hash(token), user=user, remote_addr=(remote_addr or "")[:64])
    return token


def start(user, remote_addr=""):
    """Sign user in on this browser: a fresh session row and a fresh cookie (no fixation)."""
    token = issue(user, remote_addr)
    session.clear()
    session["sid"] = token
    session.permanent = True


def _limits():
    cfg = current_app.config
    idle = datetime.timedelta(minutes=cfg["SESSION_IDLE_MINUTES"])
    life = cfg["PERMANENT_SESSION_LIFETIME"]
    life = life if isinstance(life, datetime.timedelta) else datetime.timedelta(seconds=life)
    # last_seen is written at most once a minute (one write per active user per minute, not
    # one per request), but often enough that a short idle limit is still measured well.
    touch = min(datetime.timedelta(minutes=1), idle / 4)
    return idle, life, touch


def _end(row, why, now):
    with transaction():
        UserSession.update(ended_at=now, ended_why=why).where(
            (UserSession.id == row.id) & UserSession.ended_at.is_null()).execute()


def load():
    """(user, None) for this request's live session, or (None, Chinese reason) when the cookie
    names a session that has ended (the reason is shown on the sign-in page), (None, None) when
    there is no session at all."""
    token = session.get("sid")
    if not token or not isinstance(token, str):
        return None, None
    row = (UserSession.select(UserSession, User, Unit, Area).join(User).join(Unit).join(Area)
           .where(UserSession.key == _hash(token)).get_or_none())
    if row is None:
        return None, WHY["logout"]
    if row.ended_at is not None:
        return None, WHY.get(row.ended_why, WHY["logout"])
    now = _now()
    idle, life, touch = _limits()
    why = None
    if not row.user.active:
        why = "inactive"
    elif now - row.last_seen > idle:
        why = "idle"
    elif now - row.created_at > life:
        why = "expired"
    if why:
        _end(row, why, now)
        return None, WHY[why]
    if now - row.last_seen > touch:
        try:
            with transaction():
                UserSession.update(last_seen=now).where(UserSession.id == row.id).execute()
        except Busy:
            pass  # only bookkeeping: the next request touches it again
    return row.user, None


def current_key():
    token = session.get("sid")
    return _hash(token) if isinstance(token, str) and token else None


def end_current(why="logout"):
    """End this browser's session on the server and forget the cookie."""
    key = current_key()
    if key:
        with transaction():
            UserSession.update(ended_at=_now(), ended_why=why).where(
                (UserSession.key == key) & UserSession.ended_at.is_null()).execute()
    session.clear()


def end_all(user, why, keep_key=None):
    """End every live session of user (but keep_key's); call it inside the transaction that
    changes the password or deactivates the account. Returns how many were ended."""
    q = UserSession.update(ended_at=_now(), ended_why=why).where(
        (UserSession.user == user) & UserSession.ended_at.is_null())
    if keep_key:
        q = q.where(UserSession.key != keep_key)
    return q.execute()


def end_everyone(why):
    """End every live session (after a restore from backup)."""
    return UserSession.update(ended_at=_now(), ended_why=why).where(UserSession.ended_at.is_null()).execute()

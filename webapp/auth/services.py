"""Checking a password with throttling: repeated failures lock the account name for a while."""
import datetime

from flask import current_app

from ..db import db
from ..org.models import User
from .models import LoginAttempt


class LoginRefused(Exception):
    def __init__(self, message):
        super().__init__(message)
        self.message = message


def _recent_failures(username, now):
    since = now - datetime.timedelta(seconds=current_app.config["LOGIN_WINDOW_SECONDS"])
    return LoginAttempt.select().where((LoginAttempt.username == username) & (LoginAttempt.at >= since))


def authenticate(username, password, remote_addr="", now=None):
    """Return the user, or raise LoginRefused with a Chinese message."""
    now = now or datetime.datetime.now()
    cfg = current_app.config
    username = username.strip()
    failures = _recent_failures(username, now)
    if failures.count() >= cfg["LOGIN_MAX_FAILURES"]:
        last = failures.order_by(LoginAttempt.at.desc()).first().at
        unlock = last + datetime.timedelta(seconds=cfg["LOGIN_LOCK_SECONDS"])
        if unlock > now:
            minutes = max(1, int((unlock - now).total_seconds() // 60) + 1)
            raise LoginRefused(f"登录失败次数过多，账号已暂时锁定，请 {minutes} 分钟后再试。")
    user = User.get_or_none(User.username == username)
    if user is None or not user.active or not user.check_password(password):
        with db.atomic():
            LoginAttempt.create(username=username, remote_addr=remote_addr, at=now)
        left = cfg["LOGIN_MAX_FAILURES"] - failures.count()
        if left <= 0:
            raise LoginRefused("登录失败次数过多，账号已暂时锁定，请稍后再试。")
        raise LoginRefused(f"用户名或密码错误（还可尝试 {left} 次）。")
    with db.atomic():
        LoginAttempt.delete().where(LoginAttempt.username == username).execute()
    return user

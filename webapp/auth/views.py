import re
import secrets
from urllib.parse import urlsplit

from flask import current_app, flash, g, redirect, render_template, request, url_for
from itsdangerous import BadSignature, URLSafeTimedSerializer

from ..errors import Invalid
from ..security import cookie_secure
from . import bp, sessions
from .forms import LoginForm, PasswordForm
from .services import LoginRefused, authenticate, change_password

# One slash, then no second slash or backslash (browsers read "/\host" as "//host"), and no
# control character (browsers drop tabs and newlines from a URL, so "/\t/host" is "//host").
_LOCAL_PATH = re.compile(r"/(?![/\\])[^\\\x00-\x1f\x7f]*")

DEVICE_COOKIE = "suijian_device"


def safe_next(target):
    """Only follow a same-site path after sign-in (no open redirect)."""
    if not target or not _LOCAL_PATH.fullmatch(target):
        return url_for("main.home")
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return url_for("main.home")
    return target


def _devices():
    return URLSafeTimedSerializer(current_app.secret_key, salt="suijian-device")


def _device_cookie():
    """{"d": device id, "u": [user names signed in here]} from the signed cookie, or None."""
    raw = request.cookies.get(DEVICE_COOKIE)
    if not raw:
        return None
    try:
        data = _devices().loads(raw, max_age=current_app.config["LOGIN_DEVICE_DAYS"] * 86400)
    except BadSignature:
        return None
    return data if isinstance(data, dict) and isinstance(data.get("u"), list) else None


def _remember_device(resp, username):
    known = _device_cookie() or {"d": secrets.token_urlsafe(12), "u": []}
    names = [username] + [u for u in known["u"] if u != username][:4]
    cfg = current_app.config
    resp.set_cookie(DEVICE_COOKIE, _devices().dumps({"d": known["d"], "u": names}),
                    max_age=cfg["LOGIN_DEVICE_DAYS"] * 86400, httponly=True, samesite="Lax",
                    secure=cookie_secure(current_app))
    return resp


@bp.route("/login", methods=["GET", "POST"])
def login():
    """Sign-in form; repeated failures make the next attempt wait longer each time."""
    if g.user is not None and request.method == "GET":
        return redirect(url_for("main.home"))
    form = LoginForm()
    if form.validate_on_submit():
        username = form.username.data.strip()
        known = _device_cookie()
        device = known["d"] if known and username in known["u"] else None
        try:
            user = authenticate(username, form.password.data, request.remote_addr or "", device=device)
        except LoginRefused as refused:
            form.password.errors.append(refused.message)
        else:
            sessions.start(user, request.remote_addr or "")
            return _remember_device(redirect(safe_next(request.args.get("next"))), user.username)
    return render_template("auth/login.html", form=form), (200 if request.method == "GET" or not form.errors else 422)


@bp.route("/logout", methods=["POST"])
def logout():
    """Sign out: the session ends on the server, so a copy of the cookie is worthless too."""
    sessions.end_current("logout")
    flash("您已安全退出。", "info")
    return redirect(url_for("auth.login"))


@bp.route("/password", methods=["GET", "POST"])
def password():
    """修改密码 for the signed-in user; every other session of theirs ends."""
    form = PasswordForm()
    if form.validate_on_submit():
        try:
            ended = change_password(g.user, form.current.data, form.new.data, form.confirm.data,
                                    request.remote_addr or "", keep_key=sessions.current_key())
        except Invalid as e:
            for name, message in e.errors.items():
                getattr(form, name).errors.append(message)
        else:
            flash("密码已修改。" + (f"其他 {ended} 处登录已退出。" if ended else ""), "info")
            return redirect(url_for("main.home"))
    return render_template("auth/password.html", form=form), (200 if request.method == "GET" or not form.errors else 422)

from urllib.parse import urlparse

from flask import flash, g, redirect, render_template, request, session, url_for

from . import bp
from .forms import LoginForm
from .services import LoginRefused, authenticate


def _safe_next(target):
    """Only follow a same-site relative path after sign-in (no open redirect)."""
    parts = urlparse(target or "")
    if not target or parts.scheme or parts.netloc or not target.startswith("/"):
        return url_for("main.home")
    return target


@bp.route("/login", methods=["GET", "POST"])
def login():
    """Sign-in form; repeated failures lock the account name for a while."""
    if g.user is not None and request.method == "GET":
        return redirect(url_for("main.home"))
    form = LoginForm()
    if form.validate_on_submit():
        try:
            user = authenticate(form.username.data, form.password.data, request.remote_addr or "")
        except LoginRefused as refused:
            form.password.errors.append(refused.message)
        else:
            session.clear()
            session["uid"] = user.id
            session.permanent = True
            return redirect(_safe_next(request.args.get("next")))
    return render_template("auth/login.html", form=form), (200 if request.method == "GET" or not form.errors else 422)


@bp.route("/logout", methods=["POST"])
def logout():
    """Sign out and forget the session."""
    session.clear()
    flash("您已安全退出。", "info")
    return redirect(url_for("auth.login"))

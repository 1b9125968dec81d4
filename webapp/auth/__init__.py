"""登录与账号：sign-in, sessions, passwords, and the users of the area."""
from flask import Blueprint, flash, g, redirect, request, session, url_for

# cli_group=None: `flask --app webapp set-password …` sits beside create-user.
bp = Blueprint("auth", __name__, cli_group=None)

# Endpoints reachable without signing in.
PUBLIC_ENDPOINTS = {"auth.login", "static"}


@bp.before_app_request
def _load_user():
    """g.user for every request, from the server-side session the cookie names."""
    from . import sessions

    g.user = None
    if request.endpoint == "static":
        return None
    g.user, ended = sessions.load()
    if ended:
        # the cookie names a session that has ended (sign-out, new password, idle, …)
        session.clear()
        flash(ended, "info")
    if g.user is None and request.endpoint not in PUBLIC_ENDPOINTS and request.endpoint is not None:
        if request.headers.get("HX-Request"):
            # htmx cannot follow a redirect to a full login page into a fragment slot.
            from ..htmx import redirect as hx_redirect

            return hx_redirect(url_for("auth.login"))
        return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
    return None


from . import commands, views  # noqa: E402,F401  (routes and commands register on bp)

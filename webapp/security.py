"""CSRF, cookies, response headers and the access checks shared by every blueprint.

Who is signed in (g.user) is decided by webapp/auth (its sessions), which sits above this module."""
import functools

from flask import abort, g, has_request_context, request
from flask.sessions import SecureCookieSessionInterface
from flask_wtf.csrf import CSRFProtect

csrf = CSRFProtect()


def cookie_secure(app):
    """Secure cookies when SESSION_COOKIE_SECURE says so, and always on a request that came
    over HTTPS (directly, or through a proxy counted in TRUSTED_PROXIES)."""
    return bool(app.config["SESSION_COOKIE_SECURE"] or (has_request_context() and request.is_secure))


class _SessionInterface(SecureCookieSessionInterface):
    def get_cookie_secure(self, app):
        return cookie_secure(app)


def init_app(app):
    csrf.init_app(app)
    app.session_interface = _SessionInterface()
    if app.config.get("TRUSTED_PROXIES"):
        from werkzeug.middleware.proxy_fix import ProxyFix

        n = app.config["TRUSTED_PROXIES"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n, x_host=n)

    @app.after_request
    def _headers(resp):
        # The intranet has no outside hosts: the browser is told to load nothing from elsewhere.
        resp.headers.setdefault(
            "Content-Security-Policy",
            "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
            "frame-ancestors 'none'; form-action 'self'",
        )
        resp.headers.setdefault("X-Content-Type-Options", "nosniff")
        resp.headers.setdefault("Referrer-Policy", "same-origin")
        if g.get("user") is not None or request.endpoint == "auth.login":
            # Signed-in pages (and downloads) hold personal and case data: never kept in the
            # browser's or a proxy's cache, so Back after sign-out or a shared PC shows nothing.
            resp.headers["Cache-Control"] = "no-store"
            resp.headers.pop("Expires", None)
        return resp

    @app.context_processor
    def _inject():
        return {"current_user": g.get("user")}


def require(condition):
    """Abort with 403 unless condition holds: routes state their access rule in one line."""
    if not condition:
        abort(403)


def roles_required(*roles):
    def deco(view):
        @functools.wraps(view)
        def wrapped(*args, **kwargs):
            require(g.user is not None and g.user.has_role(*roles))
            return view(*args, **kwargs)

        return wrapped

    return deco

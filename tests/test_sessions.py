"""Sessions end for good: sign-out, a password change, deactivation and inactivity end them on
the server, so a copied cookie stops working; cookies and cache headers of signed-in pages."""
import os
import subprocess
import sys
import time

import pytest

from . import factories
from .conftest import CSRF_RE

COOKIE = "suijian_session"


def _cookie(b):
    return b.client.get_cookie(COOKIE).value


def _replay(app, value):
    """A second browser that only has a copy of the cookie."""
    other = app.test_client()
    other.set_cookie(COOKIE, value)
    return other


def test_logout_then_reused_cookie_is_refused(app, browser, org):
    b = browser("jdy1")
    stolen = _cookie(b)
    assert _replay(app, stolen).get("/").status_code == 200
    assert b.post("/logout").status_code == 302
    resp = _replay(app, stolen).get("/")
    assert resp.status_code == 302 and resp.headers["Location"].startswith("/login")
    # the copy stays dead, also for htmx requests
    assert _replay(app, stolen).get("/", headers={"HX-Request": "true"}).headers.get("HX-Redirect") == "/login"


def _change_password(b, current, new, confirm=None):
    page = b.get("/password").get_data(as_text=True)
    token = CSRF_RE.search(page).group(1)
    return b.client.post("/password", data={"current": current, "new": new, "confirm": confirm or new, "csrf_token": token})


def test_password_change_ends_other_sessions(app, browser, org):
    here, elsewhere = browser("jdy1"), browser("jdy1")
    copy = _cookie(here)
    other_user = browser("jdy2")
    resp = _change_password(here, factories.PASSWORD, "brand-new-pass-9")
    assert resp.status_code == 302, resp.get_data(as_text=True)
    assert elsewhere.get("/").status_code == 302  # the other browser is signed out
    assert here.get("/").status_code == 200  # the one that changed it stays in
    assert _replay(app, copy).get("/").status_code == 200  # (same session as `here`)
    assert other_user.get("/").status_code == 200  # nobody else is touched
    assert browser().login("jdy1").status_code == 422  # old password refused
    assert browser().login("jdy1", "brand-new-pass-9").status_code == 302


@pytest.mark.parametrize("current,new,confirm,message", [
    ("wrong-pass-000", "brand-new-pass-9", None, "用户名或密码错误"),
    (factories.PASSWORD, "short", None, "至少 8 位"),
    (factories.PASSWORD, "brand-new-pass-9", "brand-new-pass-8", "不一致"),
    (factories.PASSWORD, factories.PASSWORD, None, "不能与当前密码相同"),
])
def test_password_change_refusals_keep_sessions(browser, org, current, new, confirm, message):
    here, elsewhere = browser("jdy1"), browser("jdy1")
    resp = _change_password(here, current, new, confirm)
    assert resp.status_code == 422 and message in resp.get_data(as_text=True)
    assert elsewhere.get("/").status_code == 200
    assert browser().login("jdy1").status_code == 302


def test_password_page_is_linked_for_the_signed_in_user(browser, org):
    page = browser("jdy1").get("/").get_data(as_text=True)
    assert 'href="/password"' in page and "修改密码" in page


def test_cli_set_password_ends_every_session(app, browser, org, runner):
    b = browser("jdy1")
    result = runner.invoke(args=["set-password", "jdy1"], input="cli-new-pass-1\ncli-new-pass-1\n")
    assert result.exit_code == 0, result.output
    assert "已为 jdy1 设置新密码" in result.output
    assert b.get("/").status_code == 302
    assert browser().login("jdy1", "cli-new-pass-1").status_code == 302
    assert runner.invoke(args=["set-password", "jdy1"], input="short\nshort\n").exit_code != 0
    assert runner.invoke(args=["set-password", "nobody"], input="cli-new-pass-1\ncli-new-pass-1\n").exit_code != 0


def test_deactivation_ends_the_session_and_reactivation_does_not_revive_it(app, browser, org):
    b = browser("jdy1")
    copy = _cookie(b)
    user = org.users.insp1
    user.active = False
    user.save()
    assert b.get("/").status_code == 302
    user.active = True
    user.save()
    assert _replay(app, copy).get("/").status_code == 302  # that session is over for good
    assert browser().login("jdy1").status_code == 302


def test_cli_deactivation_ends_sessions_at_once(app, browser, org, runner):
    b = browser("jdy1")
    result = runner.invoke(args=["deactivate-user", "jdy1"])
    assert result.exit_code == 0 and "已停用 jdy1，并结束其 1 处登录" in result.output
    assert runner.invoke(args=["activate-user", "jdy1"]).exit_code == 0
    assert b.get("/").status_code == 302  # no request came in meanwhile: still ended
    assert browser().login("jdy1").status_code == 302
    assert runner.invoke(args=["deactivate-user", "nobody"]).exit_code != 0


def test_idle_session_ends(app, browser, org):
    app.config["SESSION_IDLE_MINUTES"] = 1.8 / 60  # 1.8 s
    b = browser("jdy1")
    for _ in range(3):  # activity keeps it alive past the limit (3 s in all)
        time.sleep(1.0)
        assert b.get("/").status_code == 200
    time.sleep(2.3)
    resp = b.get("/")
    assert resp.status_code == 302 and resp.headers["Location"].startswith("/login")
    assert "长时间未操作" in b.client.get(resp.headers["Location"]).get_data(as_text=True)


def test_session_ends_after_its_lifetime(app, browser, org):
    import datetime

    from webapp.auth.models import UserSession

    b = browser("jdy1")
    UserSession.update(created_at=datetime.datetime.now() - datetime.timedelta(hours=9)).execute()
    assert b.get("/").status_code == 302


def test_signed_in_pages_are_not_stored(browser, org):
    b = browser("jdy1")
    assert b.get("/").headers["Cache-Control"] == "no-store"
    assert b.get("/password").headers["Cache-Control"] == "no-store"
    assert browser().get("/login").headers["Cache-Control"] == "no-store"
    static = b.get("/static/css/app.css")
    assert "no-store" not in static.headers.get("Cache-Control", "")
    static.close()


def test_cookies_are_secure_when_configured(app, browser, org):
    app.config["SESSION_COOKIE_SECURE"] = True
    client = app.test_client()
    page = client.get("https://localhost/login").get_data(as_text=True)
    token = CSRF_RE.search(page).group(1)
    resp = client.post("https://localhost/login", data={"username": "jdy1", "password": factories.PASSWORD, "csrf_token": token},
                       headers={"Referer": "https://localhost/login"})  # flask-wtf checks it on https
    assert resp.status_code == 302
    cookies = resp.headers.getlist("Set-Cookie")
    assert {c.split("=", 1)[0] for c in cookies} == {COOKIE, "suijian_device"}
    assert all("; Secure" in c and "HttpOnly" in c for c in cookies)


def test_cookies_are_secure_on_https_without_the_setting(app, org):
    client = app.test_client()
    page = client.get("https://localhost/login").get_data(as_text=True)
    token = CSRF_RE.search(page).group(1)
    resp = client.post("https://localhost/login", data={"username": "jdy1", "password": factories.PASSWORD, "csrf_token": token},
                       headers={"Referer": "https://localhost/login"})
    cookies = resp.headers.getlist("Set-Cookie")
    assert len(cookies) == 2 and all("; Secure" in c for c in cookies)


def test_cookies_are_not_secure_by_default(browser, org):
    resp = browser().login("jdy1")
    assert all("Secure" not in c for c in resp.headers.getlist("Set-Cookie"))


@pytest.mark.parametrize("value,expected", [("1", True), ("true", True), ("", False), ("0", False)])
def test_secure_cookie_setting_comes_from_the_environment(value, expected):
    env = dict(os.environ, SESSION_COOKIE_SECURE=value)
    out = subprocess.run([sys.executable, "-c", "from webapp.config import Config; print(Config.SESSION_COOKIE_SECURE)"],
                         env=env, capture_output=True, text=True, check=True, cwd=os.path.dirname(os.path.dirname(__file__)))
    assert out.stdout.strip() == str(expected)


def test_session_cookie_holds_no_user_id(browser, org):
    """The cookie names a server-side session; it does not say who the user is."""
    from flask.sessions import SecureCookieSessionInterface

    b = browser("jdy1")
    s = SecureCookieSessionInterface().get_signing_serializer(b.app).loads(_cookie(b))
    assert "uid" not in s and isinstance(s.get("sid"), str) and len(s["sid"]) >= 40

"""Sign-in, sign-out, lock-out, CSRF and the login requirement."""
import pytest

from webapp.auth.models import LoginAttempt


def test_login_page_renders(browser, org):
    resp = browser().get("/login")
    assert resp.status_code == 200
    assert "登录随检" in resp.get_data(as_text=True)


def test_password_hash_is_salted(org):
    a, b = org.users.insp1, org.users.insp2
    assert a.password_hash != b.password_hash  # same password, different salt
    assert "test-pass-123" not in a.password_hash


def test_login_and_logout(browser, org):
    b = browser()
    resp = b.login("jdy1")
    assert resp.status_code == 302 and resp.headers["Location"] == "/"
    home = b.get("/").get_data(as_text=True)
    assert "甲监督员一" in home
    cookie = resp.headers.get("Set-Cookie", "")
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    resp = b.post("/logout")
    assert resp.status_code == 302
    assert b.get("/").status_code == 302


def test_wrong_password_message_beside_field(browser, org):
    b = browser()
    resp = b.login("jdy1", "wrong")
    page = resp.get_data(as_text=True)
    assert resp.status_code == 422
    assert "用户名或密码错误" in page and 'value="jdy1"' in page  # what was typed is kept


def test_lockout_after_repeated_failures(browser, org, app):
    b = browser()
    for _ in range(app.config["LOGIN_MAX_FAILURES"]):
        b.login("jdy1", "wrong")
    resp = b.login("jdy1")  # right password, but locked
    assert resp.status_code == 422
    assert "账号已暂时锁定" in resp.get_data(as_text=True)
    assert LoginAttempt.select().where(LoginAttempt.username == "jdy1").count() == app.config["LOGIN_MAX_FAILURES"]
    # another account is not affected
    assert browser().login("jdy2").status_code == 302


def test_lock_expires(browser, org, app):
    import datetime

    from webapp.auth.models import LoginThrottle

    b = browser()
    for _ in range(app.config["LOGIN_MAX_FAILURES"]):
        b.login("jdy1", "wrong")
    past = datetime.datetime.now() - datetime.timedelta(seconds=app.config["LOGIN_DELAY_SECONDS"] + 60)
    LoginThrottle.update(last_failure=past).execute()
    assert b.login("jdy1").status_code == 302
    # success forgets the account's failures (the address keeps its own count)
    assert not LoginThrottle.select().where(LoginThrottle.kind == "account").exists()


def test_unknown_user_is_throttled_too(browser, org, app):
    b = browser()
    for _ in range(app.config["LOGIN_MAX_FAILURES"]):
        b.login("nobody", "x")
    assert "锁定" in b.login("nobody", "x").get_data(as_text=True)


def test_inactive_user_cannot_sign_in(browser, org):
    org.users.insp1.active = False
    org.users.insp1.save()
    assert browser().login("jdy1").status_code == 422


def test_next_only_follows_local_paths(browser, org):
    b = browser()
    page = b.client.get("/login").get_data(as_text=True)
    from .conftest import CSRF_RE

    token = CSRF_RE.search(page).group(1)
    resp = b.client.post("/login?next=https://evil.example/x", data={"username": "jdy1", "password": "test-pass-123", "csrf_token": token})
    assert resp.headers["Location"] == "/"


@pytest.mark.parametrize("path", ["/", "/admin/users"])
def test_pages_need_login(browser, org, path):
    resp = browser().get(path)
    assert resp.status_code == 302 and resp.headers["Location"].startswith("/login")


def test_htmx_request_without_login_gets_hx_redirect(browser, org):
    resp = browser().get("/", htmx=True)
    assert resp.headers["HX-Redirect"] == "/login"


def test_post_without_csrf_token_is_rejected(browser, org):
    b = browser("jdy1")
    resp = b.post("/logout", csrf=False)
    assert resp.status_code == 400
    assert "安全令牌无效" in resp.get_data(as_text=True)
    assert b.get("/").status_code == 200  # still signed in


def test_login_post_without_csrf_token_is_rejected(browser, org):
    resp = browser().client.post("/login", data={"username": "jdy1", "password": "test-pass-123"})
    assert resp.status_code == 400


def test_htmx_post_sends_csrf_as_header(browser, org):
    b = browser("jdy1")
    assert b.post("/logout", htmx=True, csrf=False).status_code == 400
    resp = b.post("/logout", htmx=True)
    assert resp.status_code == 302


@pytest.mark.parametrize("username,allowed", [("jdy1", False), ("shr1", True), ("fzr1", True), ("admin", True)])
def test_users_page_by_role(browser, org, username, allowed):
    resp = browser(username).get("/admin/users")
    assert resp.status_code == (200 if allowed else 403)
    if not allowed:
        assert "无权访问" in resp.get_data(as_text=True)

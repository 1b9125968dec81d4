"""Sign-in throttling that holds: under parallel attempts, by account and by client address,
with doubling waits instead of a lock a stranger could keep on; equal cost of a wrong password
for real and missing accounts; the admin's 登录锁定 page; only local `next` targets."""
import datetime
import http.cookiejar
import re
import statistics
import threading
import time
import urllib.error
import urllib.parse
import urllib.request

import pytest

from webapp.auth import services
from webapp.audit.models import AuditEntry
from webapp.db import db
from webapp.org import models as org_models
from webapp.org.models import Role

from . import factories, liveserver
from .conftest import CSRF_RE


@pytest.fixture
def live(app):
    """The app served by a real threaded WSGI server on loopback; yields the base URL."""
    with liveserver.threaded(app) as base:
        yield base
    db.connect(reuse_if_open=True)


@pytest.fixture
def count_checks(monkeypatch):
    """How many password hashes were checked (real ones and the dummy)."""
    calls = []
    real = org_models.check_password_hash

    def counting(pwhash, password):
        calls.append(1)
        return real(pwhash, password)

    monkeypatch.setattr(org_models, "check_password_hash", counting)
    return calls


def test_limit_holds_under_parallel_attempts(app, org, live, count_checks):
    # a realistic hash cost (production uses scrypt, ~0.1 s): the race lives in that time
    app.config.update(LOGIN_MAX_FAILURES=5, PASSWORD_HASH_METHOD="pbkdf2:sha256:150000")
    with app.app_context():
        org.users.insp1.set_password(factories.PASSWORD)
        org.users.insp1.save()
    n = 30
    clients = []
    for _ in range(n):
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
        token = CSRF_RE.search(opener.open(live + "/login").read().decode()).group(1)
        clients.append((opener, token))
    start = threading.Barrier(n)
    statuses = []

    def attempt(opener, token):
        body = urllib.parse.urlencode({"username": "jdy1", "password": "wrong-password", "csrf_token": token}).encode()
        start.wait()
        try:
            statuses.append(opener.open(live + "/login", body).status)
        except urllib.error.HTTPError as e:
            statuses.append(e.code)

    threads = [threading.Thread(target=attempt, args=c) for c in clients]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert statuses == [422] * n  # every one answered, none a 500
    assert len(count_checks) == 5, f"{len(count_checks)} passwords checked for a limit of 5"


def _post_seconds(client, token, username):
    t0 = time.perf_counter()
    resp = client.post("/login", data={"username": username, "password": "wrong-password", "csrf_token": token})
    elapsed = time.perf_counter() - t0
    assert resp.status_code == 422
    return elapsed


def test_wrong_password_costs_the_same_for_missing_accounts(app, org):
    app.config.update(PASSWORD_HASH_METHOD="pbkdf2:sha256:150000", LOGIN_MAX_FAILURES=10_000, LOGIN_ADDR_MAX_FAILURES=10_000)
    with app.app_context():
        org.users.insp1.set_password(factories.PASSWORD)
        org.users.insp1.save()
    client = app.test_client()
    token = CSRF_RE.search(client.get("/login").get_data(as_text=True)).group(1)
    real, missing = [], []
    for i in range(24):  # pairs in alternating order, so load elsewhere on the machine hits both alike
        pair = [("jdy1", real), ("no-such-user", missing)]
        for username, times in (pair if i % 2 else pair[::-1]):
            times.append(_post_seconds(client, token, username))
    m_real, m_missing = statistics.median(real), statistics.median(missing)
    assert m_real > 0.02, "the hash must be costly for this test to mean anything"
    # before: 126 ms against 10 ms; now the same work, so only noise separates the medians
    assert abs(m_real - m_missing) < 0.3 * max(m_real, m_missing), (m_real, m_missing)


def test_waits_double_instead_of_a_hard_lock(app, org):
    app.config.update(LOGIN_MAX_FAILURES=3, LOGIN_DELAY_SECONDS=10, LOGIN_DELAY_MAX_SECONDS=40, LOGIN_ADDR_MAX_FAILURES=100)
    t = datetime.datetime(2026, 3, 2, 9, 0, 0)
    sec = datetime.timedelta(seconds=1)
    with app.app_context():
        for _ in range(3):
            with pytest.raises(services.LoginRefused, match="用户名或密码错误"):
                services.authenticate("jdy1", "wrong", "10.1.1.1", now=t)
        expected_waits = [10, 20, 40, 40]  # doubling, capped
        for wait in expected_waits:
            with pytest.raises(services.LoginRefused, match="已暂时锁定"):
                services.authenticate("jdy1", factories.PASSWORD, "10.1.1.1", now=t + (wait - 1) * sec)
            t += wait * sec
            with pytest.raises(services.LoginRefused, match="用户名或密码错误"):
                services.authenticate("jdy1", "wrong", "10.1.1.1", now=t)
        t += 40 * sec
        assert services.authenticate("jdy1", factories.PASSWORD, "10.1.1.1", now=t).username == "jdy1"
        # a success forgets the account's failures: three free attempts again
        for _ in range(3):
            with pytest.raises(services.LoginRefused, match="用户名或密码错误"):
                services.authenticate("jdy1", "wrong", "10.1.1.1", now=t)


def _post_login(client, username, password, addr):
    env = {"REMOTE_ADDR": addr}
    token = CSRF_RE.search(client.get("/login", environ_base=env).get_data(as_text=True)).group(1)
    return client.post("/login", data={"username": username, "password": password, "csrf_token": token}, environ_base=env)


@pytest.mark.parametrize("stranger_addr", ["10.9.9.9", "10.0.0.5"])  # elsewhere, or behind the same NAT
def test_a_stranger_cannot_lock_the_inspector_out_of_their_own_browser(app, org, stranger_addr):
    app.config["LOGIN_ADDR_MAX_FAILURES"] = 4
    own = app.test_client()
    assert _post_login(own, "jdy1", factories.PASSWORD, "10.0.0.5").status_code == 302
    own.post("/logout", data={"csrf_token": CSRF_RE.search(own.get("/password").get_data(as_text=True)).group(1)})
    stranger = app.test_client()
    for _ in range(app.config["LOGIN_MAX_FAILURES"] + 2):
        _post_login(stranger, "jdy1", "guess", stranger_addr)
    for i in range(4):
        _post_login(stranger, f"other{i}", "guess", stranger_addr)
    # the stranger, and any other browser, now waits …
    assert "已暂时锁定" in _post_login(stranger, "jdy1", factories.PASSWORD, stranger_addr).get_data(as_text=True)
    assert "已暂时锁定" in _post_login(stranger, "jdy2", factories.PASSWORD, stranger_addr).get_data(as_text=True)
    assert _post_login(app.test_client(), "jdy1", factories.PASSWORD, "10.0.0.6").status_code == 422
    # … but the inspector's own browser signs in at once
    assert _post_login(own, "jdy1", factories.PASSWORD, "10.0.0.5").status_code == 302


def test_one_address_trying_many_names_is_slowed_down(app, org):
    app.config["LOGIN_ADDR_MAX_FAILURES"] = 4
    client = app.test_client()
    for i in range(4):
        assert "用户名或密码错误" in _post_login(client, f"name{i}", "guess", "10.7.7.7").get_data(as_text=True)
    assert "已暂时锁定" in _post_login(client, "jdy2", factories.PASSWORD, "10.7.7.7").get_data(as_text=True)
    # another address is not affected
    assert _post_login(app.test_client(), "jdy2", factories.PASSWORD, "10.7.7.8").status_code == 302


def test_admin_sees_lockouts_and_unlocks(app, browser, org):
    with app.app_context():
        other_admin = factories.make_user("admin2", org.units.d2, Role.ADMIN, name="乙区管理员")
    stranger = app.test_client()
    for _ in range(app.config["LOGIN_MAX_FAILURES"]):
        _post_login(stranger, "jdy1", "guess", "10.9.9.9")
        _post_login(stranger, "ghost", "guess", "10.9.9.9")
    admin = browser("admin")
    page = admin.get("/admin/lockouts").get_data(as_text=True)
    assert "登录锁定" in page and "jdy1" in page and "ghost" in page and "无此账号" in page and "解除锁定" in page
    # an admin of another district does not see 甲区's inspector, only the unknown name
    page2 = browser("admin2").get("/admin/lockouts").get_data(as_text=True)
    assert "jdy1" not in page2 and "ghost" in page2
    from webapp.auth.models import LoginThrottle

    row = LoginThrottle.get((LoginThrottle.kind == "account") & (LoginThrottle.key == "jdy1"))
    assert browser("admin2").post(f"/admin/lockouts/{row.id}/unlock").status_code == 403
    assert browser("jdy2").get("/admin/lockouts").status_code == 403
    resp = admin.post(f"/admin/lockouts/{row.id}/unlock")
    assert resp.status_code == 302
    assert "已解除锁定" in admin.get("/admin/lockouts").get_data(as_text=True)
    assert AuditEntry.select().where((AuditEntry.action == "login.unlock") & (AuditEntry.actor == org.users.admin.id)).count() == 1
    assert _post_login(app.test_client(), "jdy1", factories.PASSWORD, "10.0.0.6").status_code == 302
    assert admin.post(f"/admin/lockouts/{row.id}/unlock").status_code == 403  # gone
    assert other_admin.active


def test_nav_shows_lockouts_to_admins_only(app, browser, org):
    assert 'href="/admin/lockouts"' in browser("admin").get("/").get_data(as_text=True)
    stranger = app.test_client()
    for _ in range(app.config["LOGIN_MAX_FAILURES"]):
        _post_login(stranger, "jdy1", "guess", "10.9.9.9")
    assert 'href="/admin/lockouts" data-badge="1"' in browser("admin").get("/").get_data(as_text=True)
    assert 'href="/admin/lockouts"' not in browser("jdy2").get("/").get_data(as_text=True)


@pytest.mark.parametrize("username, status, text", [
    ("jdy1\x00", 302, ""),  # the one input rule (webapp.inputs.clean_text) removes control characters:
    ("jdy1\x7f", 302, ""),  # what is left is the real account, signed in with its own password
    ("a\x01b", 422, "用户名或密码错误"),
    ("\x00", 422, "用户名"),
])
def test_control_characters_in_the_user_name_are_removed_never_a_500(app, org, username, status, text):
    resp = _post_login(app.test_client(), username, factories.PASSWORD, "10.3.3.3")
    assert resp.status_code == status and text in resp.get_data(as_text=True)


def test_old_failures_are_forgotten(app, org):
    from webapp.auth.models import LoginAttempt, LoginThrottle

    long_ago = datetime.datetime.now() - datetime.timedelta(days=40)
    with app.app_context():
        for _ in range(2):
            with pytest.raises(services.LoginRefused):
                services.authenticate("ghost", "x", "10.4.4.4", now=long_ago)
        with pytest.raises(services.LoginRefused):
            services.authenticate("jdy1", "x", "10.4.4.5")
    assert not LoginAttempt.select().where(LoginAttempt.username == "ghost").exists()
    assert not LoginThrottle.select().where(LoginThrottle.key.in_(["ghost", "10.4.4.4"])).exists()


def test_client_address_comes_from_the_proxy_only_when_configured(app, org):
    from webapp import create_app
    from webapp.auth.models import LoginAttempt

    fwd = {"X-Forwarded-For": "10.8.8.8"}
    app.test_client().post("/login", data={"username": "x", "password": "y"}, headers=fwd)  # CSRF refused: no row
    client = app.test_client()
    token = CSRF_RE.search(client.get("/login").get_data(as_text=True)).group(1)
    client.post("/login", data={"username": "ghost", "password": "y", "csrf_token": token}, headers=fwd)
    assert LoginAttempt.get(LoginAttempt.username == "ghost").remote_addr == "127.0.0.1"  # header ignored
    db.close()  # create_app rebinds the one database object
    proxied = create_app({"DATABASE_URL": app.config["DATABASE_URL"], "SECRET_KEY": "test-secret", "TRUSTED_PROXIES": 1})
    client = proxied.test_client()
    token = CSRF_RE.search(client.get("/login").get_data(as_text=True)).group(1)
    client.post("/login", data={"username": "ghost2", "password": "y", "csrf_token": token}, headers=fwd)
    assert LoginAttempt.get(LoginAttempt.username == "ghost2").remote_addr == "10.8.8.8"


EVIL = ["////evil.example/x", "//evil.example/x", "///evil.example", "/\\evil.example", "\\\\evil.example",
        "/\\/evil.example", "https://evil.example/x", "http:evil.example", "javascript:alert(1)",
        "/\t/evil.example", "/\n/evil.example", "evil.example", " //evil.example", "%2F%2Fevil.example"]


@pytest.mark.parametrize("target", EVIL)
def test_next_refuses_anything_but_a_local_path(browser, org, target):
    b = browser()
    token = CSRF_RE.search(b.client.get("/login").get_data(as_text=True)).group(1)
    resp = b.client.post("/login?" + urllib.parse.urlencode({"next": target}),
                         data={"username": "jdy1", "password": factories.PASSWORD, "csrf_token": token})
    assert resp.status_code == 302 and resp.headers["Location"] == "/"


def test_next_follows_a_local_path(browser, org):
    b = browser()
    login_url = b.client.get("/admin/users?sort=name").headers["Location"]
    token = CSRF_RE.search(b.client.get(login_url).get_data(as_text=True)).group(1)
    resp = b.client.post(login_url, data={"username": "admin", "password": factories.PASSWORD, "csrf_token": token})
    assert resp.headers["Location"] == "/admin/users?sort=name"
    assert re.match(r"^/[^/\\]", resp.headers["Location"])

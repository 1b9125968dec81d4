"""修改密码 in Chromium: a refusal beside its field, and the change ends the other browser's
session (which is told why on the sign-in page)."""
import pytest

from webapp import demo

from .conftest import sign_in

pytestmark = pytest.mark.e2e


def test_change_password_ends_the_other_session(live_server, page, chromium):
    other = chromium.new_context(locale="zh-CN").new_page()
    try:
        sign_in(other, live_server, "ts_jdy1")
        sign_in(page, live_server, "ts_jdy1")
        page.click("text=修改密码")
        page.fill("#current", "not-my-password")
        page.fill("#new", "a-new-password-1")
        page.fill("#confirm", "a-new-password-1")
        page.click("main button[type=submit]")  # not the 退出 button of the top bar
        assert "用户名或密码错误" in page.locator("#current-err").inner_text()
        page.fill("#current", demo.DEMO_PASSWORD)
        page.fill("#new", "a-new-password-1")
        page.fill("#confirm", "a-new-password-1")
        page.click("main button[type=submit]")  # not the 退出 button of the top bar
        page.wait_for_url(live_server + "/")
        assert "密码已修改" in page.locator(".flashes").inner_text()
        other.reload()
        assert other.url.startswith(live_server + "/login")
        assert "账号密码已修改" in other.locator(".flashes").inner_text()
    finally:
        other.context.close()


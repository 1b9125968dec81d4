"""Each demo role signs in through Chromium and sees its own home page and area."""
import pytest

from webapp import demo

from .conftest import ARTIFACTS, sign_in

pytestmark = pytest.mark.e2e

EXPECTED = {  # username -> (name, area shown, whether the 用户 page is in the navigation)
    "admin": ("王建国", "乌鲁木齐市", True),
    "ts_jdy1": ("刘洋", "天山区", False),
    "ts_shr": ("赵敏", "天山区", True),
    "sy_fzr": ("何平", "沙依巴克区", True),
    "xs_jdy2": ("吴娟", "新市区", False),
    "city_shr": ("李秀兰", "乌鲁木齐市", True),
}


@pytest.mark.parametrize("username", sorted(EXPECTED))
def test_each_demo_role_signs_in(live_server, page, username):
    name, area, sees_users = EXPECTED[username]
    sign_in(page, live_server, username)
    assert page.locator("h1").inner_text() == f"您好，{name}"
    assert page.locator("#my-area").inner_text() == area
    assert (page.locator("nav.mainnav >> text=用户").count() == 1) is sees_users
    # the visible areas stop at the user's own area
    rows = page.locator("#visible-areas tbody tr").all_inner_texts()
    assert all("自治区" not in r for r in rows)
    if area != "乌鲁木齐市":
        assert len(rows) == 1 and area in rows[0]
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"home-{username}.png"))
    page.click("text=退出")
    page.wait_for_url(live_server + "/login")


def test_wrong_password_keeps_username(live_server, page):
    page.goto(live_server + "/login")
    page.fill("#username", "ts_jdy1")
    page.fill("#password", "nope")
    page.click("button[type=submit]")
    assert "用户名或密码错误" in page.locator(".field-error").inner_text()
    assert page.input_value("#username") == "ts_jdy1"


def test_demo_password_documented():
    import pathlib

    readme = (pathlib.Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    assert demo.DEMO_PASSWORD in readme
    for username, *_ in demo.USERS:
        assert username in readme

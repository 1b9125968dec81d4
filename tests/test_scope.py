"""Area scoping: a user sees their own area and every area below it, nothing else."""
import pytest

from webapp.org.models import Unit, User
from webapp.registers.models import Institution
from webapp.scope import can_see_area, visible

from .factories import make_institution


def _names(query):
    return sorted(x.name for x in query)


def test_district_user_sees_only_own_district(org):
    make_institution(org.d1, "甲区医院")
    make_institution(org.d2, "乙区医院")
    user = org.users.insp1
    assert _names(visible(Institution.select(), Institution.area, user)) == ["甲区医院"]
    assert _names(visible(Unit.select(), Unit.area, user)) == ["甲区卫生监督所"]


def test_city_user_sees_all_districts(org):
    make_institution(org.d1, "甲区医院")
    make_institution(org.d2, "乙区医院")
    assert _names(visible(Institution.select(), Institution.area, org.users.admin)) == ["乙区医院", "甲区医院"]


def test_can_see_area(org):
    assert can_see_area(org.users.admin, org.d1)
    assert not can_see_area(org.users.insp1, org.d2)
    assert not can_see_area(org.users.insp1, org.city)


@pytest.mark.parametrize("username,expected", [
    ("shr1", {"jdy1", "jdy2", "shr1", "fzr1"}),
    ("shr2", {"jdy3", "shr2"}),
    ("city_shr", {"admin", "city_shr", "city_fzr", "jdy1", "jdy2", "shr1", "fzr1", "jdy3", "shr2"}),
])
def test_users_page_scoped(browser, org, username, expected):
    page = browser(username).get("/admin/users").get_data(as_text=True)
    shown = {u.username for u in User.select() if f"<td>{u.username}</td>" in page}
    assert shown == expected


def test_home_shows_only_visible_areas(browser, org):
    page = browser("jdy3").get("/").get_data(as_text=True)
    assert "乙区" in page and "甲区" not in page and "测试市卫生监督所" not in page

"""Admin commands: create-user and demo."""
from webapp.org.models import Area, Role, User
from webapp.registers.models import Institution, InstitutionKind


def test_create_user_prompts_for_password(runner, org):
    result = runner.invoke(args=["create-user", "--username", "newbie", "--name", "新人", "--unit", "甲区卫生监督所",
                                 "--role", "inspector", "--role", "reviewer"], input="secret-pass\nsecret-pass\n")
    assert result.exit_code == 0, result.output
    assert "已创建用户 newbie" in result.output
    user = User.get(User.username == "newbie")
    assert user.roles == {Role.INSPECTOR, Role.REVIEWER}
    assert user.check_password("secret-pass") and "secret-pass" not in user.password_hash


def test_create_user_refuses_unknown_unit_and_duplicate(runner, org):
    r1 = runner.invoke(args=["create-user", "--username", "x1", "--name", "x", "--unit", "不存在", "--role", "admin"], input="secret-pass\nsecret-pass\n")
    assert r1.exit_code != 0 and "找不到单位" in r1.output
    r2 = runner.invoke(args=["create-user", "--username", "jdy1", "--name", "x", "--unit", "甲区卫生监督所", "--role", "admin"], input="secret-pass\nsecret-pass\n")
    assert r2.exit_code != 0 and "已存在" in r2.output


def test_create_user_refuses_short_password(runner, org):
    r = runner.invoke(args=["create-user", "--username", "x2", "--name", "x", "--unit", "甲区卫生监督所", "--role", "admin"], input="short\nshort\n")
    assert r.exit_code != 0 and "至少 8 位" in r.output


def test_demo_loads_once(runner, app):
    result = runner.invoke(args=["demo"])
    assert result.exit_code == 0, result.output
    assert "已载入演示数据" in result.output
    assert Area.select().count() == 5
    assert Institution.select().count() >= 200
    # every register category the seed plans name has demo institutions
    kinds = {k.kind for k in InstitutionKind.select(InstitutionKind.kind).distinct()}
    assert {"hospital", "mch", "psych", "chc", "chs", "thc", "village", "clinic", "other_med", "mch_other", "cosmetic",
            "cosmetic_dept", "blood_general", "blood_special", "plasma", "art", "sperm_bank", "other_org"} <= kinds
    roles = {r for u in User.select() for r in u.roles}
    assert roles == set(Role)
    again = runner.invoke(args=["demo"])
    assert "已有数据" in again.output and User.select().count() == 16

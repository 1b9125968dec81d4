"""The defects of issue 13 about input, one test each (both databases), and the rules of
webapp/inputs.py: ids, numbers, NUL and control characters, lengths, dates."""
import datetime

import pytest

from webapp import inputs
from webapp.errors import Invalid
from webapp.inspection.models import Record, Visit
from webapp.registers.models import Institution

from . import factories


@pytest.fixture
def task(app, org):
    with app.app_context():
        inst = factories.make_institution(org.d1, "甲区人民医院", ("hospital",), address="胜利路1号")
        factories.register_inspector(org.users.insp1)
        factories.register_inspector(org.users.insp2)
        return factories.make_task(inst, [org.users.insp1, org.users.insp2], plan_id="2025-xj-yiliao")


def _start_form(app, org, **changes):
    with app.app_context():
        ids = [str(factories.register_inspector(u).id) for u in (org.users.insp1, org.users.insp2)]
    form = {"date": datetime.date.today().isoformat(), "place": "现场", "representative": "张院长",
            "representative_title": "院长", "inspectors": ids}
    form.update(changes)
    return form


# ---- ids in URLs ---------------------------------------------------------------------------

@pytest.mark.parametrize("raw", [str(2**63), str(2**63 + 1), str(2**31), "9" * 5000, "²", "１", "٣", "1_0", "-1"])
def test_an_id_out_of_range_or_not_ascii_is_a_404(browser, org, raw):
    b = browser("admin")
    for url in (f"/registers/institutions/{raw}", f"/inspection/records/{raw}", f"/draw/{raw}"):
        resp = b.get(url)
        assert resp.status_code == 404, (url, resp.status_code)
        assert "页面不存在" in resp.get_data(as_text=True)


def test_a_real_id_still_routes_and_urls_are_built_alike(app, browser, org, task):
    b = browser("jdy1")
    assert b.get(f"/inspection/tasks/{task.id}/start").status_code == 200
    with app.test_request_context():
        from flask import url_for

        assert url_for("inspection.start", task_id=task.id) == f"/inspection/tasks/{task.id}/start"


def test_a_control_character_in_a_path_segment_is_a_404(browser, org):
    b = browser("admin")
    assert b.get("/plans/ab%00c").status_code == 404
    assert b.get("/documents/verify/%01ABC").status_code == 404


# ---- numbers in forms and query strings ----------------------------------------------------

def test_a_huge_page_number_is_page_one_not_a_500(browser, org):
    b = browser("admin")
    for page in ("99999999999999999999", "9" * 5000, "²", "-3", "0"):
        resp = b.get(f"/registers/institutions?page={page}")
        assert resp.status_code == 200, (page, resp.status_code)


@pytest.mark.parametrize("seed", ["²", "9" * 5000, "１２", "1" * 16])
def test_a_draw_seed_that_is_not_a_plain_number_is_a_field_error(browser, org, seed):
    b = browser("admin")
    resp = b.post("/draw/run", data={"plan": "2024-county-yiliao", "area": "650102", "seed": seed, "witnesses": "见证人"})
    assert resp.status_code == 422
    assert "随机种子应为不超过15位的非负整数" in resp.get_data(as_text=True)


@pytest.mark.parametrize("value", ["²", "9" * 5000, str(2**63)])
def test_digit_lookalikes_in_filters_and_ticks_are_ignored(browser, org, value):
    assert browser("shr1").get(f"/review/?area={value}&inspector={value}").status_code == 200
    assert browser("admin").get(f"/audit/?actor={value}").status_code == 200
    resp = browser("shr1").post("/review/bulk-approve", data={"record": value})
    assert resp.status_code in (204, 303)


def test_parse_int_and_decimal_say_what_is_wrong():
    assert inputs.parse_int("42", "n") == 42
    with pytest.raises(Invalid) as e:
        inputs.parse_int("9" * 5000, "n")
    assert "整数" in e.value.errors["n"]
    with pytest.raises(Invalid) as e:
        inputs.parse_int("99", "n", hi=10)
    assert "0 至 10" in e.value.errors["n"]
    with pytest.raises(Invalid):
        inputs.parse_int("²", "n")
    assert inputs.parse_decimal("5000.50", "fine") == inputs.Decimal("5000.50")
    for bad in ("1" * 5000, "5.555", "-1", "１", "1e3", "NaN"):
        with pytest.raises(Invalid):
            inputs.parse_decimal(bad, "fine")
    assert inputs.to_int("１") is None and inputs.to_int(str(2**63)) is None and inputs.to_int("7") == 7
    assert inputs.parse_page("99999999999999999999") == 1 and inputs.parse_page("3") == 3


# ---- text: NUL and control characters --------------------------------------------------------

def test_clean_text_removes_control_characters_and_keeps_tabs_and_newlines():
    assert inputs.clean_text("a\x00b\x1b[0m\x7f\x85c") == "ab[0mc"
    assert inputs.clean_text("一\r\n二\r三\t四\n") == "一\n二\n三\t四\n"
    assert inputs.clean_text("x\ud800y") == "xy"
    assert inputs.clean_text("\u202e右\u0301𠀀") == "\u202e右\u0301𠀀"  # marks and 4-byte characters stay


def test_a_nul_in_the_login_user_name_is_a_refusal_not_a_500(browser, org):
    b = browser()
    resp = b.login("jdy1\x00")
    # the NUL is removed by the one rule: this is the real account and its password
    assert resp.status_code == 302
    resp = browser().login("nobody\x00x", "wrong")
    assert resp.status_code == 422
    assert "用户名或密码错误" in resp.get_data(as_text=True)


def test_a_nul_in_search_parameters_is_harmless(browser, org):
    b = browser("admin")
    assert b.get("/registers/institutions?q=%00&kind=%00&area=%00&status=%00").status_code == 200
    assert b.get("/inspection/adhoc?q=a%00b", headers={}).status_code in (200, 403)
    assert browser("jdy1").get("/inspection/adhoc?q=a%00b&institution=%00").status_code == 200


def test_a_nul_in_a_saved_field_is_not_stored(app, browser, org, task):
    b = browser("jdy1")
    resp = b.post(f"/inspection/tasks/{task.id}/start", data=_start_form(app, org, place="胜利\x00路"))
    assert resp.status_code == 303
    with app.app_context():
        assert Visit.get().place == "胜利路"


# ---- lengths: the column is the limit -----------------------------------------------------

@pytest.mark.parametrize("field,n", [("place", 256), ("representative", 65), ("representative_title", 65)])
def test_a_visit_field_longer_than_its_column_is_a_field_error_and_nothing_is_stored(app, browser, org, task, field, n):
    b = browser("jdy1")
    resp = b.post(f"/inspection/tasks/{task.id}/start", data=_start_form(app, org, **{field: "长" * n}))
    assert resp.status_code == 422
    assert f"不能超过 {n - 1} 字" in resp.get_data(as_text=True)
    with app.app_context():
        assert Visit.select().count() == 0 and Record.select().count() == 0


def test_a_visit_field_exactly_at_its_limit_is_saved(app, browser, org, task):
    b = browser("jdy1")
    resp = b.post(f"/inspection/tasks/{task.id}/start", data=_start_form(app, org, place="长" * 255, representative="名" * 64))
    assert resp.status_code == 303
    with app.app_context():
        assert len(Visit.get().place) == 255


def test_limits_come_from_the_model_and_templates_can_read_them(app):
    assert inputs.limit(Visit.place) == 255 and inputs.limit("Visit.representative") == 64
    assert inputs.limit(Institution.name) == Institution.name.max_length
    with app.app_context():
        from flask import render_template_string

        assert render_template_string("{{ limit('Visit.place') }}") == "255"


def test_the_model_layer_refuses_an_overlong_text_that_a_service_let_through(app, org):
    with app.app_context():
        with pytest.raises(Invalid) as e:
            Institution.create(name="名" * 129, credit_code=factories.credit_code(), area=org.d1)
        assert "不能超过 128 字" in e.value.errors["name"]
        with pytest.raises(Invalid):
            Institution.update(address="\x00").execute()


# ---- dates --------------------------------------------------------------------------------

@pytest.mark.parametrize("day,message", [("0001-01-01", "不能早于 2000-01-01"), ("1999-12-31", "不能早于 2000-01-01"),
                                         ("2999-01-01", "不能晚于"), ("2025-02-30", "格式应为"), ("２０２５-０６-０１", "格式应为")])
def test_a_visit_date_out_of_range_is_refused(app, browser, org, task, day, message):
    b = browser("jdy1")
    resp = b.post(f"/inspection/tasks/{task.id}/start", data=_start_form(app, org, date=day))
    assert resp.status_code == 422
    assert message in resp.get_data(as_text=True)
    with app.app_context():
        assert Visit.select().count() == 0


def test_parse_date_range():
    assert inputs.parse_date("2025-06-15", "d") == datetime.date(2025, 6, 15)
    assert inputs.parse_date("", "d", required=False) is None
    with pytest.raises(Invalid):
        inputs.parse_date("2025-W24-1", "d")
    with pytest.raises(Invalid):
        inputs.parse_date(inputs.within_a_year() + datetime.timedelta(days=1), "d", latest=inputs.within_a_year())


# ---- the rules themselves, for any input ----------------------------------------------------

from hypothesis import given, settings, strategies as st  # noqa: E402

ANY_TEXT = st.text(st.characters(codec=None, exclude_categories=()), max_size=200)


@settings(max_examples=300, derandomize=True, database=None)
@given(ANY_TEXT)
def test_clean_text_leaves_no_control_character_and_is_idempotent(text):
    out = inputs.clean_text(text)
    assert not inputs._CONTROL.search(out) and "\r" not in out
    assert inputs.clean_text(out) == out
    out.encode("utf-8")  # always storable: no lone surrogate left


@settings(max_examples=300, derandomize=True, database=None)
@given(st.one_of(ANY_TEXT, st.integers().map(str)))
def test_number_parsers_never_raise_anything_but_a_field_error(text):
    n = inputs.to_int(text)
    assert n is None or 0 <= n <= inputs.ID_MAX
    assert 1 <= inputs.parse_page(text) <= inputs.PAGE_MAX
    for parse in (lambda t: inputs.parse_int(t, "n"), lambda t: inputs.parse_decimal(t, "n"),
                  lambda t: inputs.parse_date(t, "n")):
        try:
            parse(text)
        except Invalid as e:
            assert set(e.errors) == {"n"}

"""The registers: the credit-code check, Excel import (all or nothing, row errors, re-import
updates without duplicates), export, the CLI, and the pages (search, forms, versions, 回避)."""
import io

import pytest
from openpyxl import Workbook, load_workbook

from webapp.audit.models import AuditEntry
from webapp.registers import creditcode, services
from webapp.registers.models import Inspector, Institution, InstitutionKind, Recusal

from .factories import credit_code, make_institution

HEADERS = [h for _, h in services.INSTITUTION_COLUMNS]


def workbook(rows, headings=("检查对象名录库",)):
    wb = Workbook()
    ws = wb.active
    for line in headings:
        ws.append([line])
    ws.append(HEADERS)
    for r in rows:
        ws.append(r)
    out = io.BytesIO()
    wb.save(out)
    out.seek(0)
    return out


def row(name, code, kinds="医院（含中医院）", area="650102", services_="", status="在业"):
    return [name, code, "PDY001", kinds, area, "某路1号", "张三", "0991-1234567", services_, status]


# ------------------------------------------------------------------------------------------------
# 统一社会信用代码 (GB 32100-2015)
# ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("code,message", [
    ("91350100M000100Y43", None),  # a published valid code
    ("91350100M000100Y44", "校验位错误：第18位应为“3”"),
    ("91350100M000100Y4", "应为18位"),
    ("91350100M000100YI3", "不允许的字符“I”"),
    ("", "应为18位，当前为0位"),
])
def test_credit_code_check(code, message):
    problem = creditcode.problem(code)
    if message is None:
        assert problem is None
    else:
        assert message in problem


def test_check_institution_gives_field_messages(app, org):
    with app.app_context():
        clean, errors = services.check_institution({"name": "", "credit_code": "91350100M000100Y44", "kinds": ["nope"],
                                                    "area": "999999", "status": "关门"})
        assert errors == {"name": "请填写单位名称", "credit_code": "统一社会信用代码校验位错误：第18位应为“3”，实为“4”",
                          "kinds": "未知的单位类别“nope”", "area": "找不到地区“999999”", "status": "状态应为“在业”或“停业”"}
        ok, errors = services.check_institution({"name": "甲医院", "credit_code": credit_code(), "kinds": ["医院（含中医院）", "cosmetic_dept"],
                                                 "area": "甲区", "services": ["医疗美容"]})
        assert errors == {} and ok["kinds"] == ["hospital", "cosmetic_dept"] and ok["services"] == ["cosmetic_surgery"]
        # a district user may not place a unit outside their area
        _, errors = services.check_institution({"name": "乙医院", "credit_code": credit_code(), "kinds": ["hospital"], "area": "650103"},
                                               user=org.users.insp1)
        assert errors["area"] == "“乙区”不在您的辖区内"


# ------------------------------------------------------------------------------------------------
# Excel import
# ------------------------------------------------------------------------------------------------


def test_import_is_all_or_nothing_with_row_errors(app, org):
    good = credit_code()
    bad_check = good[:-1] + ("0" if good[-1] != "0" else "1")
    with app.app_context():
        result = services.import_institutions(workbook([
            row("甲区人民医院", good),
            row("", credit_code()),
            row("乙诊所", bad_check, kinds="诊所"),
            row("丙诊所", credit_code(), kinds="不存在的类别"),
            row("丁诊所", good, kinds="诊所"),
        ]), actor=org.users.admin)
        assert not result.ok
        # row numbers are the sheet's: a heading line, the header, then the data from row 3
        assert (4, "单位名称", "请填写单位名称") in result.errors
        assert any(r == 5 and c == "统一社会信用代码" and "校验位错误" in m for r, c, m in result.errors)
        assert (6, "单位类别", "未知的单位类别“不存在的类别”") in result.errors
        assert (7, "统一社会信用代码", "与第3行的统一社会信用代码重复") in result.errors
        assert len(result.errors) == 4
        assert Institution.select().count() == 0  # nothing written


def test_import_then_reimport_updates_without_duplicates(app, org):
    a, b = credit_code(), credit_code("650103")
    with app.app_context():
        first = services.import_institutions(workbook([
            row("甲区人民医院", a, kinds="医院（含中医院）、内设医疗美容科室的医疗机构", services_="医疗美容、临床用血"),
            row("乙区诊所", b.lower(), kinds="clinic", area="乙区"),
        ]), actor=org.users.admin)
        assert first.ok and (first.created, first.updated) == (2, 0)
        inst = Institution.get(Institution.credit_code == a)
        assert inst.kind_keys == ["cosmetic_dept", "hospital"] and inst.service_keys == ["blood_use", "cosmetic_surgery"]
        assert Institution.get(Institution.credit_code == b).area.code == "650103"
        again = services.import_institutions(workbook([
            row("甲区人民医院（新名）", a, kinds="医院（含中医院）", status="停业"),
            row("乙区诊所", b, kinds="诊所", area="650103"),
        ]), actor=org.users.admin)
        assert again.ok and (again.created, again.updated, again.unchanged) == (0, 1, 1)
        assert Institution.select().count() == 2
        inst = Institution.get(Institution.credit_code == a)
        assert (inst.name, inst.status, inst.kind_keys, inst.service_keys, inst.version) == ("甲区人民医院（新名）", "停业", ["hospital"], [], 2)
        assert AuditEntry.select().where(AuditEntry.action == "institution.import").count() == 2


def test_export_round_trips_through_import(app, org):
    with app.app_context():
        make_institution(org.d1, "=cmd|'/C calc'!A0 医院", ("hospital", "cosmetic_dept"), services=("blood_use",))
        make_institution(org.d2, "乙区诊所", ("clinic",))
        data = services.institution_export()
        ws = load_workbook(io.BytesIO(data)).active
        values = [[c.value for c in r] for r in ws.iter_rows()]
        assert values[1] == HEADERS
        assert values[2][0] == "=cmd|'/C calc'!A0 医院" and ws.cell(row=3, column=1).data_type == "s"  # not a formula
        assert values[2][3] == "医院（含中医院）、内设医疗美容科室的医疗机构"
        result = services.import_institutions(io.BytesIO(data), actor=org.users.admin)
        assert result.ok and (result.created, result.updated, result.unchanged) == (0, 0, 2)


def test_template_has_the_headers_and_imports_as_empty(app, org):
    with app.app_context():
        data = services.institution_template()
        ws = load_workbook(io.BytesIO(data)).active
        assert HEADERS in [[c.value for c in r] for r in ws.iter_rows()]
        result = services.import_institutions(io.BytesIO(data))
        assert result.errors == [(0, "", "文件中没有数据行")]
        bad = services.import_institutions(io.BytesIO(b"not a workbook"))
        assert "xlsx" in bad.errors[0][2]


def test_cli_import(app, org, runner, tmp_path):
    good = tmp_path / "good.xlsx"
    good.write_bytes(workbook([row("甲区人民医院", credit_code())]).getvalue())
    bad = tmp_path / "bad.xlsx"
    bad.write_bytes(workbook([row("甲区诊所", credit_code(), kinds="诊所"), row("", "123")]).getvalue())
    result = runner.invoke(args=["registry", "import", str(bad)])
    assert result.exit_code == 1
    assert "第 4 行「单位名称」：请填写单位名称" in result.output
    assert "第 4 行「统一社会信用代码」：统一社会信用代码应为18位" in result.output
    assert "未导入任何数据" in result.output
    with app.app_context():
        assert Institution.select().count() == 0
    ok = runner.invoke(args=["registry", "import", str(good)])
    assert ok.exit_code == 0 and "新增 1 家" in ok.output


# ------------------------------------------------------------------------------------------------
# Pages
# ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("username,status", [("admin", 200), ("shr1", 200), ("jdy1", 200), ("fzr1", 403)])
def test_list_access(app, org, browser, username, status):
    assert browser(username).get("/registers/institutions").status_code == status
    assert browser(username).get("/registers/inspectors").status_code == status


def test_active_search_fragment_and_plain_get(app, org, browser):
    with app.app_context():
        make_institution(org.d1, "甲区人民医院")
        make_institution(org.d1, "甲区口腔诊所", ("clinic",))
        make_institution(org.d2, "乙区人民医院")
    b = browser("jdy1")  # 甲区 inspector: sees 甲区 only
    frag = b.get("/registers/institutions?q=医院", htmx=True).get_data(as_text=True)
    assert "<html" not in frag and 'id="institution-results"' in frag
    assert "甲区人民医院" in frag and "甲区口腔诊所" not in frag and "乙区人民医院" not in frag
    page = b.get("/registers/institutions?kind=clinic").get_data(as_text=True)
    assert "<html" in page and "甲区口腔诊所" in page and "甲区人民医院" not in page
    assert 'hx-trigger="input changed delay:300ms, search"' in page
    admin = browser("admin").get("/registers/institutions?area=650103").get_data(as_text=True)
    assert "乙区人民医院" in admin and "甲区人民医院" not in admin


def test_create_with_field_errors_keeps_input(app, org, browser):
    b = browser("admin")
    resp = b.post("/registers/institutions/new", {"name": "新医院", "credit_code": "91350100M000100Y44", "area": "650102", "address": "幸福路8号"})
    html = resp.get_data(as_text=True)
    assert resp.status_code == 422
    assert "校验位错误" in html and "请至少选择一个单位类别" in html
    assert 'value="新医院"' in html and 'value="幸福路8号"' in html and 'value="91350100M000100Y44"' in html
    resp = b.post("/registers/institutions/new", {"name": "新医院", "credit_code": "91350100M000100Y43", "area": "650102", "kinds": ["hospital", "cosmetic_dept"]})
    assert resp.status_code == 303
    with app.app_context():
        inst = Institution.get(Institution.credit_code == "91350100M000100Y43")
        assert inst.kind_keys == ["cosmetic_dept", "hospital"]
        assert AuditEntry.select().where(AuditEntry.action == "institution.create").count() == 1
    dup = b.post("/registers/institutions/new", {"name": "另一家", "credit_code": "91350100M000100Y43", "area": "650102", "kinds": ["clinic"]})
    assert dup.status_code == 422 and "已登记为“新医院”" in dup.get_data(as_text=True)
    inline = b.post("/registers/institutions/check", {"credit_code": "91350100M000100Y4"}, htmx=True).get_data(as_text=True)
    assert 'id="credit-code-field"' in inline and "应为18位" in inline and "<html" not in inline


def test_non_admin_cannot_edit(app, org, browser):
    with app.app_context():
        inst = make_institution(org.d1, "甲区人民医院")
    b = browser("shr1")
    assert b.get(f"/registers/institutions/{inst.id}").status_code == 200
    assert b.get(f"/registers/institutions/{inst.id}/edit").status_code == 403
    assert b.post("/registers/institutions/new", {"name": "x"}).status_code == 403
    assert browser("jdy3").get(f"/registers/institutions/{inst.id}").status_code == 404  # 乙区 sees no 甲区 unit: as if it did not exist


def test_concurrent_edit_is_detected(app, org, browser):
    with app.app_context():
        inst = make_institution(org.d1, "甲区人民医院")
    a, b = browser("admin"), browser("admin")
    form = {"name": "甲区人民医院", "credit_code": inst.credit_code, "area": "650102", "kinds": ["hospital"], "version": "1"}
    assert a.post(f"/registers/institutions/{inst.id}/edit", dict(form, phone="111")).status_code == 303
    resp = b.post(f"/registers/institutions/{inst.id}/edit", dict(form, phone="222"))
    html = resp.get_data(as_text=True)
    assert resp.status_code == 409 and "已被他人修改" in html and 'value="222"' in html
    with app.app_context():
        assert Institution.get_by_id(inst.id).phone == "111"


def test_detail_shows_history(app, org, browser):
    import datetime

    from webapp.inspection.models import Record, Status, Visit

    with app.app_context():
        inst = make_institution(org.d1, "甲区人民医院")
        visit = Visit.create(institution=inst, area=org.d1, date=datetime.date(2024, 6, 3), created_by=org.users.insp1)
        Record.create(visit=visit, plan_id="2024-county-yiliao", plan_version="v", institution=inst, area=org.d1,
                      category="hospital", status=Status.APPROVED, created_by=org.users.insp1)
    html = browser("jdy1").get(f"/registers/institutions/{inst.id}").get_data(as_text=True)
    assert "2024-06-03" in html and "2024年医疗机构随机监督抽查工作计划表" in html and "已通过" in html
    # the sections the inspection and the draw add to the page arrive as markup, not as escaped text
    assert '<table class="grid" id="inspection-history">' in html and '<table class="grid" id="institution-tasks">' in html
    assert "&lt;table" not in html


def test_import_page_lists_row_errors(app, org, browser):
    b = browser("admin")
    data = {"file": (workbook([row("甲区人民医院", credit_code()), row("乙诊所", "123", kinds="诊所")]), "名录.xlsx")}
    resp = b.post("/registers/institutions/import", data, content_type="multipart/form-data")
    html = resp.get_data(as_text=True)
    assert resp.status_code == 422 and 'id="import-errors"' in html and "未导入任何数据" in html
    assert "<td class=\"num\">4</td><td>统一社会信用代码</td>" in html
    with app.app_context():
        assert Institution.select().count() == 0
    data = {"file": (workbook([row("甲区人民医院", credit_code())]), "名录.xlsx")}
    ok = b.post("/registers/institutions/import", data, content_type="multipart/form-data")
    assert ok.status_code == 200 and "新增 1 家" in ok.get_data(as_text=True)
    assert b.get("/registers/institutions/template.xlsx").status_code == 200
    export = b.get("/registers/institutions/export.xlsx")
    assert export.status_code == 200 and export.data[:2] == b"PK"


def test_inspector_edit_and_recusal(app, org, browser):
    with app.app_context():
        inst = make_institution(org.d1, "甲区人民医院")
        insp = Inspector.create(name="甲监督员一", cert_no="650102001", unit=org.units.d1, user=org.users.insp1)
    b = browser("admin")
    resp = b.post(f"/registers/inspectors/{insp.id}", {"name": "甲监督员一", "cert_no": "650102001", "unit": org.units.d1.id,
                                                       "specialties": "医疗、母婴", "active": "1", "user": "jdy1", "version": "1"})
    assert resp.status_code == 303
    bad = b.post(f"/registers/inspectors/{insp.id}/recusals", {"credit_code": "X", "reason": ""}, htmx=True).get_data(as_text=True)
    assert 'id="recusals"' in bad and "名录库中没有" in bad and "请填写回避理由" in bad
    ok = b.post(f"/registers/inspectors/{insp.id}/recusals", {"credit_code": inst.credit_code, "reason": "近亲属任职"}, htmx=True)
    assert "甲区人民医院" in ok.get_data(as_text=True)
    with app.app_context():
        rec = Recusal.get()
        assert rec.institution_id == inst.id and Inspector.get_by_id(insp.id).specialties == "医疗,母婴"
    assert b.post(f"/registers/inspectors/{insp.id}/recusals/{rec.id}/delete", {}, htmx=True).status_code == 200
    with app.app_context():
        assert Recusal.select().count() == 0
        actions = {e.action for e in AuditEntry.select()}
        assert {"inspector.update", "recusal.create", "recusal.delete"} <= actions
    new = b.post("/registers/inspectors/new", {"name": "", "cert_no": "650102001", "unit": ""})
    html = new.get_data(as_text=True)
    assert new.status_code == 422 and "请填写姓名" in html and "已登记给" in html and "请选择所属执法单位" in html
    export = b.get("/registers/inspectors/export.xlsx")
    ws = load_workbook(io.BytesIO(export.data)).active
    assert any(r[0] == "甲监督员一" for r in ws.iter_rows(values_only=True))


def test_kind_rows_are_replaced_on_edit(app, org, browser):
    with app.app_context():
        inst = make_institution(org.d1, "甲区人民医院", ("hospital", "cosmetic_dept"))
    form = {"name": "甲区人民医院", "credit_code": inst.credit_code, "area": "650102", "kinds": ["hospital"], "version": "1"}
    assert browser("admin").post(f"/registers/institutions/{inst.id}/edit", form).status_code == 303
    with app.app_context():
        assert [k.kind for k in InstitutionKind.select().where(InstitutionKind.institution == inst.id)] == ["hospital"]


# ------------------------------------------------------------------------------------------------
# Import defects: the template's own category; 联系电话
# ------------------------------------------------------------------------------------------------


MCH_OTHER = "其他医疗、保健机构（开展母婴保健技术服务）"  # the name itself holds the list separator 、


def test_import_takes_a_category_whose_name_holds_the_separator(app, org):
    with app.app_context():
        assert MCH_OTHER in str(load_workbook(io.BytesIO(services.institution_template())).active["A3"].value)
        a, b = credit_code(), credit_code()
        result = services.import_institutions(workbook([
            row("甲区某母婴保健服务机构", a, kinds=MCH_OTHER),
            row("甲区某妇幼保健院", b, kinds=f"妇幼保健机构、{MCH_OTHER}"),
        ]), actor=org.users.admin)
        assert result.ok, result.errors
        assert Institution.get(Institution.credit_code == a).kind_keys == ["mch_other"]
        assert sorted(Institution.get(Institution.credit_code == b).kind_keys) == ["mch", "mch_other"]
        # the export names it in full and imports back unchanged
        again = services.import_institutions(services.institution_export(), actor=org.users.admin)
        assert again.ok and again.unchanged == 2


def test_the_form_takes_the_category_by_its_name_too(app, org):
    with app.app_context():
        _, errors = services.check_institution({"name": "甲机构", "credit_code": credit_code(), "kinds": MCH_OTHER, "area": "650102"})
        assert errors == {}


@pytest.mark.parametrize("phone,ok", [
    ("0991-1234567", True), ("13900000000", True), ("(0991) 123 4567", True), ("０９９１－１２３４５６７", True),
    ("0991-1234567 转 8001", True), ("+86 139 0000 0000", True), ("0991-1234567、13900000000", True), ("", True),
    ("😀", False), ("0991😀1234567", False), ("请找王科长", False), ("12", False), ("٠٩٩١١٢٣٤٥٦٧", False),
])
def test_phone_must_look_like_a_phone_number(app, org, phone, ok):
    with app.app_context():
        clean, errors = services.check_institution({"name": "甲诊所", "credit_code": credit_code(), "kinds": ["clinic"],
                                                    "area": "650102", "phone": phone})
        assert ("phone" not in errors) == ok, errors
        if not ok:
            assert errors["phone"].startswith("联系电话只能是电话号码")


def test_phone_refused_beside_the_field_on_the_form_and_in_the_import(app, org, browser):
    b = browser("admin")
    resp = b.post("/registers/institutions/new", {"name": "新诊所", "credit_code": credit_code(), "area": "650102",
                                                  "kinds": ["clinic"], "phone": "🙂🙂"})
    html = resp.get_data(as_text=True)
    assert resp.status_code == 422 and "联系电话只能是电话号码" in html and 'value="🙂🙂"' in html
    with app.app_context():
        bad = row("甲诊所", credit_code(), kinds="诊所")
        bad[7] = "电话😀"
        result = services.import_institutions(workbook([bad]), actor=org.users.admin)
        assert [(r, c) for r, c, _ in result.errors] == [(3, "联系电话")]
        assert Institution.select().count() == 0


def test_import_reads_csv_through_the_same_reader(app, org):
    code = credit_code()
    text = ",".join(HEADERS) + "\r\n" + ",".join(row("甲区诊所", code, kinds="诊所")) + "\r\n"
    with app.app_context():
        result = services.import_institutions(text.encode("gbk"), actor=org.users.admin)
        assert result.ok and result.created == 1

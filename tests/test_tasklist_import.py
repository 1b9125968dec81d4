"""Importing an upper platform's list: matching, resolution, the all-or-nothing write, re-import."""
from types import SimpleNamespace

import pytest
from werkzeug.datastructures import MultiDict

from webapp.audit.models import AuditEntry
from webapp.draw.models import Draw, DrawSource, Task, TaskInspector
from webapp.registers import creditcode
from webapp.registers.models import Inspector, Institution, Recusal
from webapp.tasklist import services
from webapp.tasklist.models import BatchStatus, ImportBatch, SourceMapping

from . import factories
from .test_tasklist_files import csv_bytes, upload, xlsx_bytes

PLAN = "2024-county-yiliao"  # two tiers: 国家双随机 / 市级双随机


def wrong(code):
    """The same code with a wrong check character."""
    good = code[17]
    return code[:17] + ("1" if good != "1" else "2")


@pytest.fixture
def world(app, org):
    with app.app_context():
        d1 = org.d1
        w = SimpleNamespace(org=org, admin=org.users.admin)
        w.hospital = factories.make_institution(d1, "甲区人民医院", ("hospital",), address="甲区胜利路1号")
        w.clinic_a = factories.make_institution(d1, "甲区仁和诊所", ("clinic",), address="甲区胜利路2号")
        w.clinic_b = factories.make_institution(d1, "甲区仁和诊所", ("clinic",), address="甲区和平路3号")
        w.company = factories.make_institution(d1, "新疆康宁医疗科技有限责任公司（门诊部）", ("other_med",), address="甲区团结路8号")
        w.chc = factories.make_institution(d1, "甲区东门社区卫生服务中心", ("chc",), address="甲区东门1号")
        w.elsewhere = factories.make_institution(org.d2, "乙区人民医院", ("hospital",))
        w.insp1 = factories.inspector_for(org.users.insp1)
        w.insp2 = factories.inspector_for(org.users.insp2)
        w.insp3 = Inspector.create(name="甲监督员三", cert_no="J0003", unit=org.units.d1)
        Recusal.create(inspector=w.insp1, institution=w.chc, reason="近亲属任职")
        w.rows = [
            # by credit code; inspectors named
            [1, "甲区人民医院", w.hospital.credit_code, "甲区胜利路1号", "医院", "国家", "甲监督员一、甲监督员二", "2024-09-30"],
            # by credit code although the name differs; no inspectors → system assignment with 回避
            [2, "甲区东门街道社区卫生服务中心", w.chc.credit_code, "", "社区卫生服务机构", "市级", "", ""],
            # by normalised name (full-width, 有限公司, brackets), inspector by 执法证号
            [3, "新疆康宁医疗科技有限公司 (门诊部)", "", "", "其他医疗机构", "国家双随机", "J0003", "2024年10月15日"],
            # ambiguous name
            [4, "甲区仁和诊所", "", "", "诊所", "国家", "", ""],
            # missing from the register
            [5, "甲区天佑口腔诊所", "", "甲区幸福路9号", "诊所", "市级", "", ""],
            # wrong credit code (check character)
            [6, "甲区人民医院", wrong(w.hospital.credit_code), "", "医院", "市级", "", ""],
        ]
    return w  # no app context stays pushed: requests in the test would share its `g`


def counts():
    return (Draw.select().count(), Task.select().count(), TaskInspector.select().count(), Institution.select().count())


def start(w, data, name, source="测试市执法平台", area=None):
    form = {"plan": PLAN, "area": str((area or w.org.d1).id), "source": source}
    return services.start(w.admin, form, upload(data, name))


def mapped(w, batch):
    services.save_mapping(batch, MultiDict({"name": "单位名称", "credit_code": "统一社会信用代码", "address": "单位地址",
                                           "category": "单位类别", "tier": "抽查层级", "inspectors": "执法人员",
                                           "deadline": "完成时限"}), w.admin)
    return ImportBatch.get_by_id(batch.id)


def by_number(rows):
    return {r.number: r for r in rows}


@pytest.mark.parametrize("fmt", ["xlsx", "gbk-csv"])
def test_every_problem_row_is_listed_and_nothing_is_written(app, world, fmt):
    w = world
    data, name = (xlsx_bytes(w.rows), "任务清单.xlsx") if fmt == "xlsx" else (csv_bytes(w.rows, "gbk"), "任务清单.csv")
    with app.test_request_context():
        before = counts()
        batch, _ = start(w, data, name)
        batch = mapped(w, batch)
        plan, table, reg, rows = services.analysis(batch)
        first = 3 if fmt == "xlsx" else 2  # the header row number
        r = {n - first: row for n, row in by_number(rows).items()}
        assert r[1].ok and r[1].institution.id == w.hospital.id and [p.name for p in r[1].inspectors] == ["甲监督员一", "甲监督员二"]
        assert r[1].tier == "national" and r[1].deadline.isoformat() == "2024-09-30"
        assert r[2].ok and r[2].institution.id == w.chc.id and r[2].random and r[2].tier == "city" and r[2].category == "community"
        assert "按统一社会信用代码匹配" in r[2].notes[0]
        assert r[3].ok and r[3].institution.id == w.company.id and [p.cert_no for p in r[3].inspectors] == ["J0003"]
        assert "2 个名为“甲区仁和诊所”" in r[4].institution_problem
        assert {u.id for u in r[4].candidates} == {w.clinic_a.id, w.clinic_b.id}
        assert r[5].institution_problem.startswith("名录库中找不到该单位")
        assert "校验位错误" in r[6].institution_problem and [u.id for u in r[6].candidates] == [w.hospital.id]
        assert [x.number - first for x in rows if not x.ok] == [4, 5, 6]

        audit_before = AuditEntry.select().count()
        with pytest.raises(services.Invalid, match="还有 3 行未处理.*本次未写入任何数据"):
            services.confirm(batch, w.admin)
        assert counts() == before
        assert AuditEntry.select().count() == audit_before
        assert ImportBatch.get_by_id(batch.id).status == BatchStatus.PENDING


def _resolve_all(w, batch, first=3):
    services.resolve(batch, first + 4, MultiDict({"action": "link", "institution": str(w.clinic_b.id)}), w.admin)
    services.resolve(batch, first + 5, MultiDict([("action", "create"), ("name", "甲区天佑口腔诊所"),
                                                 ("credit_code", factories.credit_code()), ("address", "甲区幸福路9号"),
                                                 ("area", w.org.d1.code), ("kinds", "clinic")]), w.admin)
    services.resolve(batch, first + 6, MultiDict({"action": "link", "institution": str(w.hospital.id)}), w.admin)
    return ImportBatch.get_by_id(batch.id)


def test_resolved_list_is_imported_as_one_confirmed_upper_draw(app, world):
    w = world
    with app.test_request_context():
        batch, _ = start(w, xlsx_bytes(w.rows), "任务清单.xlsx")
        batch = _resolve_all(w, mapped(w, batch))
        assert Institution.select().where(Institution.name == "甲区天佑口腔诊所").count() == 0  # not before confirming
        draw = services.confirm(batch, w.admin)

        draw = Draw.get_by_id(draw.id)
        assert draw.source == DrawSource.UPPER == "上级平台下发"
        assert draw.confirmed and draw.confirmed_at and draw.drawn_by_id == w.admin.id
        assert draw.file_hash == batch.file_hash and len(draw.file_hash) == 64
        tasks = {(t.institution.name, t.tier): t for t in Task.select().where(Task.draw == draw)}
        assert len(tasks) == 6
        teams = {k: [ti.inspector.name for ti in t.inspector_rows.order_by(TaskInspector.position)] for k, t in tasks.items()}
        assert teams[("甲区人民医院", "national")] == ["甲监督员一", "甲监督员二"]
        assert teams[("新疆康宁医疗科技有限责任公司（门诊部）", "national")] == ["甲监督员三"]
        # the system's assignment filled the rest: two inspectors each, 回避 respected
        assert sorted(teams[("甲区东门社区卫生服务中心", "city")]) == ["甲监督员三", "甲监督员二"]
        assert all(len(teams[k]) == 2 for k in [("甲区仁和诊所", "national"), ("甲区天佑口腔诊所", "city"), ("甲区人民医院", "city")])
        assert tasks[("甲区人民医院", "national")].deadline.isoformat() == "2024-09-30"
        assert tasks[("甲区东门社区卫生服务中心", "city")].deadline.isoformat() == "2024-10-30"  # the plan's 完成 deadline
        assert tasks[("甲区仁和诊所", "national")].institution_id == w.clinic_b.id
        assert tasks[("甲区人民医院", "city")].category == "hospital"
        assert all(t.plan_id == PLAN and t.area_id == w.org.d1.id for t in tasks.values())

        new = Institution.get(Institution.name == "甲区天佑口腔诊所")
        assert new.area_id == w.org.d1.id and new.kind_keys == ["clinic"]
        actions = [e.action for e in AuditEntry.select().order_by(AuditEntry.id)]
        assert "institution.create" in actions and actions.count("task.import") == 6 and actions[-1] == "draw.import"
        assert ImportBatch.get_by_id(batch.id).status == BatchStatus.DONE


def test_reimporting_the_same_file_changes_nothing(app, world):
    w = world
    data = xlsx_bytes(w.rows)
    with app.test_request_context():
        batch, _ = start(w, data, "任务清单.xlsx")
        draw = services.confirm(_resolve_all(w, mapped(w, batch)), w.admin)
        before, audit = counts(), AuditEntry.select().count()
        with pytest.raises(services.AlreadyImported) as e:
            start(w, data, "改了名字的同一文件.xlsx")
        assert e.value.draw.id == draw.id
        assert "本次未做任何更改" in str(e.value) and "6 项任务" in str(e.value)
        with pytest.raises(services.AlreadyImported):
            services.confirm(ImportBatch.get_by_id(batch.id), w.admin)
        assert counts() == before and AuditEntry.select().count() == audit
        assert ImportBatch.select().count() == 1


def test_a_second_upload_of_a_pending_file_continues_the_same_import(app, world):
    w = world
    with app.test_request_context():
        a, _ = start(w, xlsx_bytes(w.rows), "a.xlsx")
        b, note = start(w, xlsx_bytes(w.rows), "a.xlsx")
        assert a.id == b.id and "继续之前的导入" in note


def test_the_mapping_is_kept_per_source_for_next_years_file(app, world):
    w = world
    with app.test_request_context():
        first, note = start(w, xlsx_bytes(w.rows), "2024.xlsx")
        assert first.mapping == "" and note == ""
        mapped(w, first)
        assert SourceMapping.select().count() == 1
        again, note = start(w, csv_bytes(w.rows[:2], "gbk", title="2025年度任务清单"), "2025.csv")
        assert again.id != first.id and again.mapping_dict["name"] == "单位名称" and "自动对应" in note
        other, _ = start(w, csv_bytes(w.rows[:3], "gbk"), "x.csv", source="另一个平台")
        assert other.mapping == ""


def test_a_failure_while_writing_rolls_everything_back(app, world):
    """Two units to create; the second's code is registered elsewhere meanwhile: nothing stays."""
    w = world
    with app.test_request_context():
        batch, _ = start(w, xlsx_bytes(w.rows), "任务清单.xlsx")
        batch = _resolve_all(w, mapped(w, batch))
        taken = factories.credit_code()
        services.resolve(batch, 3 + 4, MultiDict([("action", "create"), ("name", "甲区仁和诊所新店"), ("credit_code", taken),
                                                  ("area", w.org.d1.code), ("kinds", "clinic")]), w.admin)
        factories.make_institution(w.org.d2, "乙区某诊所", ("clinic",), credit_code=taken)
        before, audit = counts(), AuditEntry.select().count()
        with pytest.raises(services.Invalid, match="未通过校验.*本次未写入任何数据"):
            services.confirm(ImportBatch.get_by_id(batch.id), w.admin)
        assert counts() == before and AuditEntry.select().count() == audit
        assert Institution.select().where(Institution.name == "甲区天佑口腔诊所").count() == 0
        assert ImportBatch.get_by_id(batch.id).status == BatchStatus.PENDING


def test_inspector_and_unit_problems_are_listed(app, world):
    w = world
    Recusal.create(inspector=w.insp2, institution=w.hospital)
    rows = [[1, "甲区人民医院", "", "", "", "国家", "甲监督员二", ""],
            [2, "甲区东门社区卫生服务中心", "", "", "", "省级", "查无此人", "十月底"],
            [3, "乙区人民医院", w.elsewhere.credit_code, "", "", "国家", "", ""],
            [4, "", "", "无名之地", "", "国家", "", ""],
            [5, "甲区人民医院", "", "", "", "国家", "", ""]]
    with app.test_request_context():
        batch, _ = start(w, xlsx_bytes(rows), "x.xlsx")
        r = by_number(services.analysis(mapped(w, batch))[3])
        assert "已声明回避" in r[4].problems["inspectors"]
        assert "查无此人" in r[5].problems["inspectors"]
        assert "省级" in r[5].problems["tier"] and "十月底" in r[5].problems["deadline"]
        assert "属于乙区" in r[6].institution_problem
        assert r[7].institution_problem == "该行没有单位名称和统一社会信用代码"
        assert "与第 4 行是同一单位" in r[8].institution_problem

        for number, form in [(4, {"action": "inspectors", "random": "1"}), (5, {"action": "tier", "tier": "national"}),
                             (5, {"action": "deadline", "deadline": "2024-10-31"}), (5, {"action": "inspectors", "random": "1"}),
                             (6, {"action": "skip", "reason": "辖区外"}), (7, {"action": "skip", "reason": "无名称"}), (8, {"action": "skip", "reason": "重复"})]:
            services.resolve(ImportBatch.get_by_id(batch.id), number, MultiDict(form), w.admin)
        rows_now = services.analysis(ImportBatch.get_by_id(batch.id))[3]
        assert all(x.ok for x in rows_now) and sum(x.skipped for x in rows_now) == 3
        draw = services.confirm(ImportBatch.get_by_id(batch.id), w.admin)
        assert Task.select().where(Task.draw == draw).count() == 2
        team = [ti.inspector_id for ti in TaskInspector.select().join(Task).where(Task.institution == w.hospital)]
        assert w.insp2.id not in team


@pytest.mark.parametrize("form,field,message", [
    ({"action": "link", "institution": ""}, "institution", "请选择要关联的单位"),
    ({"action": "link", "institution": "999999"}, "institution", "不在本次导入地区"),
    ({"action": "create", "name": "", "credit_code": "123", "area": "650102", "kinds": "clinic"}, "name", "请填写单位名称"),
    ({"action": "create", "name": "新诊所", "credit_code": "123", "area": "650102", "kinds": "clinic"}, "credit_code", "应为18位"),
    ({"action": "create", "name": "新诊所", "credit_code": "", "area": "650103", "kinds": "clinic"}, "area", "新单位应属于"),
    ({"action": "deadline", "deadline": "明天"}, "deadline", "请填写正确的日期"),
    ({"action": "tier", "tier": "province"}, "tier", "请选择抽查层级"),
])
def test_resolution_mistakes_get_a_message_beside_the_field(app, world, form, field, message):
    w = world
    with app.test_request_context():
        batch, _ = start(w, xlsx_bytes(w.rows), "x.xlsx")
        batch = mapped(w, batch)
        with pytest.raises(services.Invalid) as e:
            services.resolve(batch, 8, MultiDict(form), w.admin)
        assert message in e.value.errors[field]
        assert ImportBatch.get_by_id(batch.id).resolutions == "{}"


@pytest.mark.parametrize("form,field,message", [
    ({"plan": "", "area": "", "source": ""}, "plan", "请选择计划"),
    ({"plan": PLAN, "area": "", "source": "x"}, "area", "请选择导入到哪个地区"),
    ({"plan": PLAN, "area": "AREA", "source": ""}, "source", "请填写清单来源"),
])
def test_upload_mistakes(app, world, form, field, message):
    w = world
    with app.test_request_context():
        if form["area"] == "AREA":
            form["area"] = str(w.org.d1.id)
        with pytest.raises(services.Invalid) as e:
            services.start(w.admin, form, upload(b"", ""))
        assert message in e.value.errors[field]
        assert "请选择要上传的清单文件" in e.value.errors["file"]
        assert ImportBatch.select().count() == 0


def test_an_area_outside_ones_own_is_refused(app, world):
    w = world
    with app.test_request_context():
        with pytest.raises(services.Invalid) as e:
            services.start(w.org.users.reviewer1, {"plan": PLAN, "area": str(w.org.d2.id), "source": "x"},
                           upload(xlsx_bytes(w.rows), "x.xlsx"))
        assert "不在您的辖区内" in e.value.errors["area"]


def test_credit_code_helper_matches_the_registers_check():
    code = creditcode.complete("12650102000000001")
    assert creditcode.problem(code) is None and creditcode.problem(wrong(code))

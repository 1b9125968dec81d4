"""The audit log and the history pages read in Chinese: no raw key (an action such as
`record.submit`, a field such as `fine_fen`, a stored code such as `pass`) reaches a page, and
values are shown as a person reads them."""
import ast
import html
import json
import pathlib
import re

import pytest

from webapp.audit import labels
from webapp.audit.models import AuditEntry
from webapp.demo import DEMO_PASSWORD
from webapp.inspection.services import OTHER_FLAGS, PENALTY_FLAGS, handling_dict
from webapp.org.models import User
from webapp.registers.models import Inspector

from . import factories

WEBAPP = pathlib.Path(__file__).resolve().parent.parent / "webapp"
HEX_RUN = re.compile(r"[0-9a-f]{16,}")  # a whole hash or plan version, not shortened
# Fields whose values are the user's own data, shown as typed (a user name such as jdy1).
DATA_KEYS = {"username", "credit_code", "license_no", "cert_no", "file", "phone", "name"}
TOKEN_EDGE = r"(?<![A-Za-z0-9_]){}(?![A-Za-z0-9_])"


def _visible(page):
    """The text a person sees in the page's main part (tags and attributes dropped)."""
    main = page[page.index('<main id="main">'):page.index("</main>")]
    main = re.sub(r"<script.*?</script>", " ", main, flags=re.S)
    return html.unescape(re.sub(r"<[^>]+>", " ", main))


def _raw_words(entries):
    """Everything a page must not show as is: actions, entities, keys, and stored codes."""
    words = set()

    def walk(value):
        if isinstance(value, dict):
            for k, v in value.items():
                words.add(k) if labels.is_key(k) else None
                if k not in DATA_KEYS:
                    walk(v)
        elif isinstance(value, list):
            for v in value:
                walk(v)
        elif isinstance(value, str) and re.fullmatch(r"[a-z0-9][a-z0-9_.\-]*", value) and re.search(r"[g-z_]", value):
            words.add(value)  # a lowercase code (pass, hospital, national, 2025-xj-yiliao), not a hash

    for e in entries:
        words.update({e.action, e.entity})
        for text in (e.before, e.after):
            walk(json.loads(text) if text else None)
    return words


def _assert_readable(page, words, where):
    text = _visible(page)
    leaked = sorted(w for w in words if re.search(TOKEN_EDGE.format(re.escape(w)), text))
    assert not leaked, f"{where}: raw keys on the page: {leaked}"
    assert not HEX_RUN.search(text), f"{where}: an unshortened hash: {HEX_RUN.search(text).group(0)}"
    assert "未登记的" not in text, f"{where}: a key without a Chinese label"


def test_demo_trail_reads_in_chinese(app, runner, browser):
    assert runner.invoke(args=["demo"]).exit_code == 0
    with app.app_context():
        entries = list(AuditEntry.select().order_by(AuditEntry.id))
        actions = sorted({e.action for e in entries})
        words = _raw_words(entries)
        # every action's first few records and institutions: each kind of entry on each kind of page,
        # without opening hundreds of pages once the demo makes all its records through services
        records, institutions = set(), set()
        for action in actions:
            of_action = [e for e in entries if e.action == action]
            records |= set(sorted({e.record_id for e in of_action if e.record_id})[:3])
            institutions |= set(sorted({e.institution_id for e in of_action if e.institution_id})[:3])
        for user in User.select():
            user.set_password(DEMO_PASSWORD)
            user.save()
    assert len(actions) >= 20 and {"record.submit", "handling.save", "answer.save", "draw.run"} <= set(actions)
    assert {"fine_fen", "status", "result_hash"} <= words  # the check below looks for these
    admin = browser()
    assert admin.login("admin", DEMO_PASSWORD).status_code == 302
    page = admin.get("/audit/").get_data(as_text=True)
    _assert_readable(page, words, "/audit/")
    for action in actions:
        page = admin.get(f"/audit/?action={action}").get_data(as_text=True)
        _assert_readable(page, words, f"/audit/?action={action}")
        assert f'id="audit-' in page and labels.ACTIONS[action] in _visible(page)
    for record_id in sorted(records):
        resp = admin.get(f"/audit/records/{record_id}")
        assert resp.status_code == 200
        _assert_readable(resp.get_data(as_text=True), words, f"record {record_id} history")
    for institution_id in sorted(institutions):
        resp = admin.get(f"/audit/institutions/{institution_id}")
        assert resp.status_code == 200
        _assert_readable(resp.get_data(as_text=True), words, f"institution {institution_id} history")


def test_values_read_as_a_person_reads_them(app, runner, browser):
    """合格, money in 元, 是/否, names joined, plan titles, short hashes, 操作人 with unit."""
    assert runner.invoke(args=["demo"]).exit_code == 0
    with app.app_context():
        handling = AuditEntry.select().where(AuditEntry.action == "handling.save").order_by(AuditEntry.id).first()
        fine = json.loads(handling.after)["fine_fen"]
        draw = AuditEntry.get(AuditEntry.action == "draw.run")
        admin = User.get(User.username == "admin")
        admin.set_password(DEMO_PASSWORD)
        admin.save()
    b = browser()
    b.login("admin", DEMO_PASSWORD)
    text = _visible(b.get(f"/audit/records/{handling.record_id}").get_data(as_text=True))
    assert f"罚款 {fine // 100:,}.{fine % 100:02d} 元" in " ".join(text.split())
    assert "合格" in text and "行政处罚 是" in " ".join(text.split())
    assert "吊销执业许可证" not in text  # a first decision names the measures taken, not all the others
    assert "草稿 → 已提交" in " ".join(text.split())
    log = " ".join(_visible(b.get("/audit/?action=draw.run").get_data(as_text=True)).split())
    result_hash = json.loads(draw.after)["result_hash"]
    assert f"抽取结果哈希 {result_hash[:10]}…" in log
    assert "2025年医疗机构国家随机监督抽查工作计划表" in log and "所属地区 天山区" in log
    assert "王建国（乌鲁木齐市卫生监督所）" in log
    start = " ".join(_visible(b.get("/audit/?action=record.start").get_data(as_text=True)).split())
    assert "检查人员 刘洋、陈静" in start


def test_register_actions_read_in_chinese(app, org, browser):
    """Entries the demo does not make: the register's create, update, 回避 and its withdrawal."""
    with app.app_context():
        insp = Inspector.create(name="甲监督员一", cert_no="650102001", unit=org.units.d1, user=org.users.insp1)
    b = browser("admin")
    form = {"name": "新医院", "credit_code": "91350100M000100Y43", "area": "650102", "kinds": ["hospital", "cosmetic_dept"],
            "address": "幸福路8号"}
    assert b.post("/registers/institutions/new", form).status_code == 303
    with app.app_context():
        inst_id = AuditEntry.get(AuditEntry.action == "institution.create").institution_id
    assert b.post(f"/registers/institutions/{inst_id}/edit", dict(form, phone="0991-1234567", version="1")).status_code == 303
    assert b.post(f"/registers/inspectors/{insp.id}", {"name": "甲监督员一", "cert_no": "650102001", "unit": org.units.d1.id,
                                                       "specialties": "医疗", "active": "1", "user": "jdy1", "version": "1"}).status_code == 303
    assert b.post(f"/registers/inspectors/{insp.id}/recusals", {"credit_code": form["credit_code"], "reason": "近亲属任职"},
                  htmx=True).status_code == 200
    with app.app_context():
        from webapp.registers.models import Recusal

        rec = Recusal.get()
    assert b.post(f"/registers/inspectors/{insp.id}/recusals/{rec.id}/delete", {}, htmx=True).status_code == 200
    with app.app_context():
        entries = list(AuditEntry.select())
        words = _raw_words(entries)
    assert {"institution.create", "institution.update", "inspector.update", "recusal.create", "recusal.delete"} <= {e.action for e in entries}
    page = b.get("/audit/").get_data(as_text=True)
    _assert_readable(page, words, "/audit/")
    text = " ".join(_visible(page).split())
    assert "联系电话 （空） → 0991-1234567" in text and "修改检查对象" in text
    assert "单位类别 内设医疗美容科室的医疗机构、医院（含中医院）" in text and "所属地区 甲区" in text
    assert "修改执法人员 执法人员 甲监督员一" in text and "专业 （空） → 医疗" in text and "回避理由 近亲属任职" in text
    _assert_readable(b.get(f"/audit/institutions/{inst_id}").get_data(as_text=True), words, "institution history")


def _trail_calls():
    """(file, action or f-string prefix, literal keys of before=/after=) of every trail.record call."""
    for path in sorted(WEBAPP.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "record"
                    and isinstance(node.func.value, ast.Name) and node.func.value.id == "trail"):
                continue
            action = node.args[1] if len(node.args) > 1 else None
            keys = set()
            for kw in node.keywords:
                if kw.arg in ("before", "after") and isinstance(kw.value, ast.Dict):
                    keys |= {k.value for k in kw.value.keys if isinstance(k, ast.Constant)}
            yield path.relative_to(WEBAPP.parent), action, keys


def test_every_action_and_field_written_has_a_label():
    """Every trail.record call in webapp/ names an action and fields that labels.py knows."""
    calls = list(_trail_calls())
    assert len(calls) > 30
    for where, action, keys in calls:
        for name, prefix in _action_names(action):
            if prefix:  # f"record.{verb}": some action of that prefix must be labelled
                assert any(a.startswith(name) for a in labels.ACTIONS), f"{where}: {name}… has no label"
            else:
                assert name in labels.ACTIONS, f"{where}: action {name!r} has no label in audit/labels.py"
            for key in keys:
                label, _kind = labels.field(name, key)
                assert not label.startswith("未登记"), f"{where}: field {key!r} of {name} has no label"


def _action_names(node):
    """The action names an argument can take: ("x.y", False), or ("x.", True) for f"x.{verb}"."""
    if isinstance(node, ast.Constant):
        return [(node.value, False)]
    if isinstance(node, ast.JoinedStr):
        if not isinstance(node.values[0], ast.Constant):
            return []  # the state machine's f"{action}.{verb}": checked over every machine below
        return [(node.values[0].value, True)]
    if isinstance(node, ast.IfExp):
        return _action_names(node.body) + _action_names(node.orelse)
    raise AssertionError(f"an action written as {ast.dump(node)}: use a literal so its label can be checked")


def test_every_state_machine_verb_has_a_label(app):
    """The one state mechanism writes f"{machine.action}.{verb}": each of those is labelled."""
    from webapp.workflow import MACHINES

    assert len(MACHINES) >= 5
    for machine in MACHINES.values():
        for verb in machine.verbs:
            assert f"{machine.action}.{verb}" in labels.ACTIONS, f"{machine.action}.{verb} has no label in audit/labels.py"


def test_handling_labels_match_the_form(app, org):
    """处理决定 fields are named in the log as on the form, and every one has a label."""
    for key, label in PENALTY_FLAGS + OTHER_FLAGS:
        assert labels.FIELDS[key][0] == label
    with app.app_context():
        record = factories.make_record(org, fails=1)
        for key in handling_dict(record.handling_rows.get()):
            assert key in labels.FIELDS, key


def test_unknown_action_and_field_are_marked_not_shown_bare(app, org, browser):
    """A key nobody labelled is shown with a marker (and logged), never passed off as a word."""
    from webapp.audit import trail

    with app.app_context():
        trail.record(org.users.admin, "widget.frobnicate", "institution", factories.make_institution(org.d1, "某医院").id,
                     after={"colour_code": "x1"})
    page = " ".join(_visible(browser("admin").get("/audit/").get_data(as_text=True)).split())
    assert "未登记的操作（widget.frobnicate）" in page and "未登记的字段（colour_code）" in page


@pytest.mark.parametrize("fen,text", [(0, "0.00 元"), (1000050, "10,000.50 元"), (5, "0.05 元")])
def test_money_in_yuan(app, org, fen, text):
    from webapp.audit import trail
    from webapp.history import display

    with app.app_context():
        entry = trail.record(org.users.admin, "handling.save", "record", factories.make_record(org).id,
                             before={"penalty": True}, after={"penalty": True, "fine_fen": fen})
        [row] = display.rows([entry])
    assert [(line.label, line.after) for line in row.lines] == [("罚款", text)]


def test_actor_name_and_unit_and_system(app, org):
    from webapp.audit import trail
    from webapp.history import display

    with app.app_context():
        a = trail.record(org.users.insp1, "record.submit", "record", factories.make_record(org).id,
                         before={"status": "草稿"}, after={"status": "已提交"})
        b = trail.record(None, "area.create", "area", org.d1.id, after={"code": "650102", "name": "甲区"})
        rows = display.rows([a, b])
    assert rows[0].actor == "甲监督员一（甲区卫生监督所）" and rows[0].action == "提交审核"
    assert rows[1].actor == labels.SYSTEM_ACTOR and rows[1].target == "地区 甲区"
    assert [(x.label, x.before, x.after) for x in rows[0].lines] == [("状态", "草稿", "已提交")]


def test_a_changed_decision_shows_each_change(app, org):
    from webapp.audit import trail
    from webapp.history import display

    with app.app_context():
        record = factories.make_record(org)
        entry = trail.record(org.users.insp1, "handling.save", "record", record.id,
                             before={"warning": False, "penalty": True, "fine_fen": 0},
                             after={"warning": True, "penalty": True, "fine_fen": 50000})
        [row] = display.rows([entry])
    assert [(x.label, x.before, x.after) for x in row.lines] == [("警告", "否", "是"), ("罚款", "0.00 元", "500.00 元")]


def test_actions_the_demo_does_not_make_read_in_chinese(app, org):
    """Entries shaped as the services write them (tasklist rows, swaps, evidence, imports)."""
    from webapp.audit import trail
    from webapp.history import display

    with app.app_context():
        user = org.users.admin
        inst = factories.make_institution(org.d1, "甲区第一医院")
        record = factories.make_record(org, institution=inst)
        insp = factories.register_inspector(org.users.insp1)
        sha = "ab" * 32
        entries = [
            trail.record(user, "tasklist.resolve", "task_import", 1, after={"row": 3, "action": "link", "resolution": {"unit": inst.id}}),
            trail.record(user, "tasklist.resolve", "task_import", 1, after={"row": 4, "action": "create", "resolution": {
                "create": {"name": "新诊所", "credit_code": "92650102MA0000001X", "address": "幸福路1号", "area": "650102",
                           "kinds": ["clinic"]}}}),
            trail.record(user, "tasklist.resolve", "task_import", 1, after={"row": 5, "action": "skip",
                                                                           "resolution": {"skip": True, "reason": "已注销"}}),
            trail.record(user, "tasklist.resolve", "task_import", 1, after={"row": 6, "action": "inspectors",
                                                                           "resolution": {"inspectors": "random", "tier": "national"}}),
            trail.record(user, "tasklist.discard", "task_import", 1, before={"file": "清单.xlsx", "sha256": sha}),
            trail.record(user, "draw.swap", "task", 1, before={"inspector": insp.id},
                         after={"inspector": insp.id, "reason": "回避", "draw": 1}),
            trail.record(user, "draw.discard", "draw", 1, before={"seed": 7, "result_hash": sha}),
            trail.record(user, "evidence.add", "record", record.id, after={"item": "1.1", "file": "现场.jpg", "sha256": sha, "size": 204800}),
            trail.record(user, "evidence.remove", "record", record.id, before={"item": "1.1", "file": "现场.jpg", "sha256": sha}),
            trail.record(user, "task.adhoc", "task", 1, after={"plan": "2025-xj-yiliao", "institution": "甲区第一医院", "category": "hospital"}),
            trail.record(user, "institution.import", "register", "institutions",
                         after={"created": ["92650102MA0000001X"], "updated": [], "unchanged": 3}),
            trail.record(user, "opinion.edit", "opinion", 1, after={"deadline": "2026-12-31"}),
            trail.record(user, "opinion.draft", "opinion", 2, after={"replaces": "甲卫监意〔2026〕3号"}),
            trail.record(user, "user.create", "user", org.users.insp1.id,
                         after={"username": "jdy1", "name": "甲监督员一", "unit": org.units.d1.id, "roles": ["inspector"]}),
        ]
        rows = display.rows(entries)
        words = _raw_words(entries)
    text = " ".join(" ".join([r.actor, r.action, r.target] + [f"{x.label} {x.before} {x.after}" for x in r.lines]) for r in rows)
    leaked = sorted(w for w in words if re.search(TOKEN_EDGE.format(re.escape(w)), text))
    assert not leaked and "未登记" not in text and not HEX_RUN.search(text), (leaked, text)
    for words in ("关联单位：甲区第一医院", "新建单位（名称：新诊所；所属地区：甲区；统一社会信用代码：92650102MA0000001X；地址：幸福路1号；单位类别：诊所）", "排除此行：是", "执法人员：系统随机分配",
                  "清单行 None 第 3 行", "文件大小 None 200.0 KB", "新增 None 1 家：92650102MA0000001X", "角色 None 监督员",
                  "检查对象名录", "所属单位 None 甲区卫生监督所"):
        assert words in text, words

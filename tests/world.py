"""A small world in which every route of the app has something to show: one object of every
kind a URL can name, in the states the routes act on, and the users of every role.

Used by the property tests (tests/test_input_properties.py) and the access matrix
(tests/test_access_matrix.py): both walk app.url_map and fill each route's arguments from
`World.args`, so a new route is exercised without a change here unless it names a new kind of
object (then `url_args` says which argument is unknown).
"""
import datetime
import io
import re
from types import SimpleNamespace

from werkzeug.datastructures import FileStorage

from webapp.db import db
from webapp.org.models import Role, Unit

from . import factories
from .conftest import Browser

# The six callers of the access matrix: (label, username or None for anonymous).
USERS = [("anonymous", None), ("inspector", "jdy1"), ("reviewer", "shr1"), ("head", "fzr1"), ("admin", "admin"),
         ("other_district", "yi_all")]

# Values of the string arguments of routes (the int ones come from the world's objects).
STRING_ARGS = {"kind": ["pdf", "xlsx"], "verb": ["review", "approve", "return", "withdraw"]}


_plans = {}


def _cached_plans(original):
    """The factories load the repository's plans many times per world: once per session is enough
    (the plan files do not change during the tests)."""
    def load(path=None):
        if path not in _plans:
            _plans[path] = original(path)
        return _plans[path]

    return load


def build(app, org):
    """Make the world (inside an app context); returns a namespace with `.args` {arg: [values]}."""
    from webapp.plans import loader

    original = loader.load_plans
    loader.load_plans = _cached_plans(original)
    try:
        return _build(app, org)
    finally:
        loader.load_plans = original


def _build(app, org):
    from webapp.documents import services as documents
    from webapp import uploads as files
    from webapp.draw import services as draw_services
    from webapp.draw.models import Task
    from webapp.inspection.models import Evidence, Status
    from webapp.plans.catalog import plan_for as plan_of
    from webapp.plans.catalog import catalog
    from webapp.registers.models import Inspector, Recusal
    from webapp.reports import workflow as reports
    from webapp.tasklist import services as tasklist

    u = org.users
    w = SimpleNamespace(org=org)
    with app.app_context():
        with db.atomic():
            # a user of the other district holding every role: the strongest test of scoping
            w.other = factories.make_user("yi_all", org.units.d2, Role.INSPECTOR, Role.REVIEWER, Role.HEAD, Role.ADMIN,
                                          name="乙区全能")
            w.hospital = factories.make_institution(org.d1, "甲区人民医院", ("hospital",), address="甲区胜利路1号")
            w.clinic = factories.make_institution(org.d1, "甲区仁和诊所", ("clinic",), address="甲区胜利路2号")
            w.far = factories.make_institution(org.d2, "乙区人民医院", ("hospital",), address="乙区1号")
            for i in range(3):
                factories.make_institution(org.d1, f"甲区第{i}医院", ("hospital",))
            w.insp1, w.insp2 = factories.inspector_for(u.insp1), factories.inspector_for(u.insp2)
            w.insp3 = factories.inspector_for(u.insp3)
            Inspector.create(name="甲监督员三", cert_no="W0000003", unit=org.units.d1)
            w.recusal = Recusal.create(inspector=w.insp2, institution=w.clinic, reason="近亲属任职")
        # a draft record started through the service (inspection routes), a task not started yet
        w.task = factories.make_task(w.hospital, [u.insp1, u.insp2], plan_id="2025-xj-yiliao")
        w.draft = factories.start_inspection(w.task, [u.insp1, u.insp2])
        w.open_task = factories.make_task(w.clinic, [u.insp1, u.insp2], plan_id="2025-xj-yiliao")
        keys = factories.load_item_keys(w.draft)
        w.evidence = Evidence.create(record=w.draft, item_key=keys[0], sha256=files.store(b"\xff\xd8\xff"),
                                     filename="照片.jpg", mime="image/jpeg", size=3, uploaded_by=u.insp1)
        # a submitted record (review routes) and an approved one with failures (documents)
        w.submitted = factories.make_record(org, status=Status.SUBMITTED, fails=1)
        w.failed = factories.make_failed_record(org.d1, w.hospital, [u.insp1, u.insp2],
                                                [(factories.load_item_keys(w.submitted)[0], "消毒记录缺失")])
        w.draft_opinion = documents.create_draft(u.insp1, w.failed, documents.draft_values(w.failed, org.units.d1))
        issued = documents.create_draft(u.insp1, w.failed, documents.draft_values(w.failed, org.units.d1))
        w.issued = documents.issue(u.insp1, issued)
        w.followup = documents.add_follow_up(u.insp1, w.issued, {"result": "done", "date": datetime.date.today().isoformat(),
                                                                "inspector1": str(w.insp1.id)}, files.Upload(b"%PDF-1.4", "复查.pdf", "application/pdf"))
        # a draw (unconfirmed), a summary report submitted, a pending task-list import
        w.draw = draw_services.run_draw(catalog().get("2024-county-yiliao"), org.d1, u.admin, seed=1, witnesses="见证人")
        plan = next(p for p in catalog().plans.values() if p.summaries)
        w.report = reports.submit(u.insp1, plan, org.d1)
        csv = "序号,单位名称,统一社会信用代码,单位地址,单位类别,抽查层级,执法人员,完成时限\n" \
              f"1,甲区人民医院,{w.hospital.credit_code},甲区胜利路1号,医院,国家,,\n".encode("gbk")
        w.batch, _ = tasklist.start(u.admin, {"plan": "2024-county-yiliao", "area": str(org.d1.id), "source": "测试平台"},
                                    FileStorage(io.BytesIO(csv), filename="清单.csv"))
        from webapp.auth.models import LoginThrottle

        # a sign-in lock-out of a 甲区 account that is not one of the callers (the admin's 解除锁定)
        w.throttle = LoginThrottle.create(kind="account", key=u.insp2.username, failures=9,
                                          last_failure=datetime.datetime.now())
        records = [w.draft, w.submitted, w.failed]
        w.args = {
            "row_id": [w.throttle.id],
            "record_id": [r.id for r in records], "opinion_id": [w.draft_opinion.id, w.issued.id],
            "institution_id": [w.hospital.id, w.far.id], "inst_id": [w.hospital.id, w.far.id],
            "followup_id": [w.followup.id], "draw_id": [w.draw.id],
            "task_id": [w.open_task.id, w.task.id] + [t.id for t in w.draw.tasks],
            "evidence_id": [w.evidence.id], "insp_id": [w.insp1.id, w.insp3.id], "rec_id": [w.recusal.id],
            "report_id": [w.report.id], "batch_id": [w.batch.id], "number": [1, 2],
            "item_key": keys[:2], "section_key": [s.key for s in plan_of(w.draft).sections][:2],
            "plan_id": [w.draft.plan_id, "2024-county-yiliao"], "code": [w.issued.code],
            **STRING_ARGS,
        }
        draw_task = w.draw.tasks.order_by(Task.id).first()
        w.prefer = {("review", "record_id"): w.submitted.id, ("documents", "record_id"): w.failed.id,
                    ("inspection", "task_id"): w.open_task.id, ("draw", "task_id"): draw_task.id,
                    **{(f"documents.{e}", "opinion_id"): w.issued.id for e in ("void", "print_pdf", "follow_up")}}
        w.unit_ids = [x.id for x in Unit.select()]
    return w


def url_args(rule, w, pick=0):
    """The arguments of rule filled from the world (the pick-th value of each, wrapping); a
    feature's own kind of record first (review: the submitted one; documents: the failed one)."""
    out = {}
    for name in rule.arguments:
        values = w.args.get(name)
        preferred = w.prefer.get((rule.endpoint, name), w.prefer.get((rule.endpoint.split(".")[0], name)))
        if values and preferred is not None:
            values = [preferred] + [v for v in values if v != preferred]
        assert values, f"{rule.rule}: the world has no value for <{name}> — add one to tests/world.py"
        conv = rule._converters.get(name)
        options = getattr(conv, "items", None)  # <any(a, b):verb>
        if options:
            values = [v for v in values if v in options] or sorted(options)
        out[name] = values[pick % len(values)]
    return out


def routes(app):
    """Every (rule, method) of the app but static files, in a stable order."""
    out = []
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: (r.rule, r.endpoint)):
        if rule.endpoint == "static":
            continue
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            out.append((rule, method))
    return out


def route_id(rule, method):
    return f"{method} {rule.rule}"


def signed_in(app, username):
    b = Browser(app)
    if username:
        resp = b.login(username)
        assert resp.status_code == 302, resp.get_data(as_text=True)
    else:
        b.token = _anonymous_token(b)
    return b


_TOKEN_RE = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


def _anonymous_token(b):
    page = b.client.get("/login").get_data(as_text=True)
    return _TOKEN_RE.search(page).group(1)

"""Benchmark: the server time of a 70-item checklist section page, against the stack's floor.

The floor is a bare Flask route (returns a short string, no database, no template) served through
the same Flask test client in the same run. The checklist is a synthetic plan: seed 000's file with
one more section of 70 items, so the page renders 70 item forms with their answers. Also timed:
one htmx answer save (the item fragment plus the out-of-band progress).

`run()` returns [(name, seconds, floor_name, floor_seconds)] (median seconds per request);
run directly it prints the ratios.

    .venv/bin/python bench/bench_checklist.py
"""
import os
import pathlib
import shutil
import statistics
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

ITEMS = 70
ROUNDS = 60
BASE_PLAN = "2025-mybj-tianjin.toml"


def _forms(folder):
    """A forms dir with the vocabulary and a plan whose section "9" has ITEMS items."""
    root = pathlib.Path(__file__).resolve().parents[1] / "forms"
    dest = pathlib.Path(folder) / "forms"
    dest.mkdir()
    shutil.copy(root / "_categories.toml", dest / "_categories.toml")
    text = (root / BASE_PLAN).read_text(encoding="utf-8").replace('id = "2025-mybj-tianjin"', 'id = "bench-70"', 1)
    extra = ['\n[[sections]]\nkey = "9"\ntitle = "基准测试检查内容"\n']
    for n in range(1, ITEMS + 1):
        extra.append(f'\n[[sections.items]]\nkey = "9.{n}"\ntext = "第{n}项：机构按规定建立并落实相关管理制度，记录完整、可追溯"\n'
                     f'basis = "《中华人民共和国母婴保健法实施办法》第{n}条"\n')
    # the new section must come after the last section but before the summaries: put it at the end
    # of the sections by inserting before the first summary table
    cut = text.index("[[summaries]]")
    (dest / "bench-70.toml").write_text(text[:cut] + "".join(extra) + "\n" + text[cut:], encoding="utf-8")
    return str(dest)


def _median(fn, rounds=ROUNDS):
    fn()  # warm up (templates compiled, plan parsed)
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def run():
    from flask import Flask

    from webapp import create_app, migrate
    from webapp.auth import sessions
    from webapp.db import db

    folder = tempfile.mkdtemp(prefix="bench-checklist-")
    url = os.environ.get("BENCH_DATABASE_URL") or f"sqlite:///{os.path.join(folder, 'bench.db')}"
    os.environ["SUIJIAN_INSTANCE"] = folder
    app = create_app({"DATABASE_URL": url, "SECRET_KEY": "bench", "WTF_CSRF_ENABLED": False,
                      "FORMS_DIR": _forms(folder)})
    db.connect(reuse_if_open=True)
    migrate.upgrade()
    with app.app_context():
        record, user = _record()
        token = sessions.issue(user)  # signed in without the form: a real server-side session
        section = f"/inspection/records/{record.id}/sections/9"
        item_url = f"/inspection/records/{record.id}/items/9.1"
    db.close()

    client = app.test_client()
    with client.session_transaction() as s:
        s["sid"] = token
    page = client.get(section)
    assert page.status_code == 200 and page.get_data(as_text=True).count("<article ") == ITEMS, page.status_code
    state = {"v": 0, "r": "pass"}

    def save():
        state["r"] = "na" if state["r"] == "pass" else "pass"
        resp = client.post(item_url, data={"result": state["r"], "version": str(state["v"])}, headers={"HX-Request": "true"})
        assert resp.status_code == 200, resp.status_code
        state["v"] += 1

    bare = Flask("bare")
    bare.add_url_rule("/", "hello", lambda: "hello")
    bare_client = bare.test_client()
    floor = _median(lambda: bare_client.get("/"))
    page_t = _median(lambda: client.get(section))
    save_t = _median(save)
    if not db.is_closed():
        db.close()
    shutil.rmtree(folder, ignore_errors=True)
    return [(f"checklist section page, {ITEMS} items", page_t, "bare Flask route", floor),
            ("answer save (htmx fragment + oob progress)", save_t, "bare Flask route", floor)]


def _record():
    """An org, a unit, two inspectors and a started record with every item answered."""
    import datetime

    from werkzeug.datastructures import MultiDict

    from webapp.draw.models import Task, TaskInspector
    from webapp.inspection import services
    from webapp.inspection.models import Answer
    from webapp.org.models import Area, Role, Unit, User
    from webapp.registers.models import Inspector, Institution, InstitutionKind

    prov = Area.make("650000", "新疆维吾尔自治区")
    city = Area.make("650100", "乌鲁木齐市", prov)
    area = Area.make("650102", "天山区", city)
    unit = Unit.create(name="天山区卫生监督所", kind="卫生监督所", area=area)
    users, inspectors = [], []
    for n in (1, 2):
        u = User(username=f"jdy{n}", name=f"监督员{n}", unit=unit, password_hash="-")
        u.save()
        u.grant(Role.INSPECTOR)
        users.append(u)
        inspectors.append(Inspector.create(name=u.name, cert_no=f"B{n:05d}", unit=unit, user=u))
    inst = Institution.create(name="天山区妇幼保健院", credit_code="12650102MB0000001X", area=area)
    InstitutionKind.create(institution=inst, kind="mch")
    plan = services.catalog().get("bench-70")
    task = Task.create(plan_id=plan.id, plan_version=plan.version, institution=inst, area=area, category="mch",
                       deadline=datetime.date.today())
    for i in inspectors:
        TaskInspector.create(task=task, inspector=i)
    record = services.start_record(users[0], task, MultiDict(
        [("date", datetime.date.today().isoformat()), ("place", "院内"), ("representative", "院长")]
        + [("inspectors", str(i.id)) for i in inspectors]))
    Answer.insert_many([(record.id, i.key, "pass", users[0].id) for s in plan.sections for i in s.items if i.key != "9.1"],
                       fields=[Answer.record, Answer.item_key, Answer.result, Answer.answered_by]).execute()
    return record, users[0]


if __name__ == "__main__":
    for name, seconds, floor_name, floor in run():
        print(f"{name}: {seconds * 1000:.2f} ms/request; {floor_name}: {floor * 1000:.3f} ms; ratio {seconds / floor:.0f}×")

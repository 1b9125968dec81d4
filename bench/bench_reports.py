"""Benchmark: one 汇总表 over a province-scale database, against the stack's floor.

A temp SQLite file holds a province (14 cities × 6 districts), 50,000 units, 20,000 approved
records of 2025-xj-yiliao and 800,000 answers (40 a record, ~8% 不合格) with handling. The
floor is a raw SQL query doing the least any such table must do: COUNT(DISTINCT unit) GROUP BY
category and item over the failed answers of the approved records. `run()` returns
[(name, seconds, floor_name, floor_seconds)].

    .venv/bin/python bench/bench_reports.py
"""
import datetime
import os
import random
import shutil
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

UNITS = 50_000
RECORDS = 20_000
ANSWERS_PER_RECORD = 40
PLAN = "2025-xj-yiliao"
KINDS = [("hospital", 4), ("chc", 5), ("chs", 8), ("thc", 4), ("village", 30), ("clinic", 40), ("other_med", 9)]


def _build(app):
    from webapp.db import db
    from webapp.org.models import Area, Unit, User
    from webapp.plans import catalog as plan_store

    r = random.Random(7)
    with app.app_context(), db.atomic():
        plan = plan_store.get_plan(PLAN)
        prov = Area.make("650000", "新疆维吾尔自治区")
        districts = []
        for c in range(1, 15):
            city = Area.make(f"65{c:02d}00", f"市{c}", prov)
            districts += [Area.make(f"65{c:02d}{d:02d}", f"市{c}区{d}", city) for d in range(1, 7)]
        unit = Unit.create(name="自治区卫生监督所", kind="卫生监督所", area=prov)
        user = User(username="bench", name="bench", unit=unit)
        user.password_hash = "x"
        user.save()
        kinds = [k for k, n in KINDS for _ in range(n)]
        conn = db.connection()
        inst, ikind = [], []
        for i in range(1, UNITS + 1):
            inst.append((i, f"单位{i}", f"B{i:017d}", districts[i % len(districts)].id, "在业" if i % 40 else "停业"))
            ikind.append((i, kinds[r.randrange(len(kinds))]))
        conn.executemany("INSERT INTO institution (id, name, credit_code, area_id, status, license_no, address, legal_rep, phone, version, updated_at) "
                         "VALUES (?, ?, ?, ?, ?, '', '', '', '', 1, '2025-01-01')", inst)
        conn.executemany("INSERT INTO institution_kind (institution_id, kind) VALUES (?, ?)", ikind)
        visits, records, answers, handling = [], [], [], []
        chosen = r.sample(range(1, UNITS + 1), RECORDS)
        aid = 0
        for n, i in enumerate(chosen, start=1):
            kind = ikind[i - 1][1]
            cat = plan.category_of([kind]).key
            items = [it.key for it in plan.items_for([kind])] or [plan.items[0].key]
            area = inst[i - 1][3]
            visits.append((n, i, area, "2025-06-01", user.id))
            records.append((n, n, PLAN, plan.version, i, area, cat, 3, user.id))
            fails = 0
            for k in range(ANSWERS_PER_RECORD):
                item = items[k % len(items)] if k < len(items) else f"x{k}"
                res = "fail" if r.random() < 0.08 else "pass"
                fails += res == "fail"
                aid += 1
                answers.append((aid, n, item, res, user.id))
            if fails:
                pen = r.random() < 0.4
                handling.append((n, n, int(pen), int(pen), 500000 if pen else 0, 0, int(pen and r.random() < 0.05), user.id))
        conn.executemany("INSERT INTO visit (id, institution_id, area_id, date, place, representative, representative_title, created_by_id, created_at) "
                         "VALUES (?, ?, ?, ?, '', '', '', ?, '2025-06-01')", visits)
        conn.executemany("INSERT INTO record (id, visit_id, plan_id, plan_version, institution_id, area_id, category, status, version, created_by_id, "
                         "created_at, updated_at, return_reason) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 1, ?, '2025-06-01', '2025-06-01', '')", records)
        conn.executemany("INSERT INTO answer (id, record_id, item_key, result, note, finding, version, answered_by_id, answered_at) "
                         "VALUES (?, ?, ?, ?, '', '', 1, ?, '2025-06-01')", answers)
        conn.executemany("INSERT INTO handling (id, record_id, penalty, case_filed, fine_fen, confiscation_fen, revoke_license, decided_by_id, "
                         "warning, revoke_person, revoke_subject, order_correction, transfer_dept, transfer_judicial, opinion, report_dept, hand_over, "
                         "case_kind, note, version, decided_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 0, 0, 0, 1, 0, 0, 0, 0, 0, '', '', 1, '2025-06-01')", handling)
    with app.app_context():
        db.execute_sql("ANALYZE")
    return prov.id


FLOOR_SQL = """SELECT r.category, a.item_key, COUNT(DISTINCT r.institution_id) FROM answer a
 JOIN record r ON r.id = a.record_id WHERE r.plan_id = ? AND r.status = 3 AND a.result = 'fail'
 GROUP BY r.category, a.item_key"""


def _best(fn, n=3):
    best = None
    for _ in range(n):
        start = time.perf_counter()
        fn()
        took = time.perf_counter() - start
        best = took if best is None else min(best, took)
    return best


def _bare_workbook():
    """The openpyxl floor: a workbook of about the same size with no styling or merges."""
    import io

    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    for r in range(12):
        ws.append([r * 100 + c for c in range(40)])
    wb.save(io.BytesIO())


def run():
    from webapp import create_app, migrate
    from webapp.db import db

    folder = tempfile.mkdtemp(prefix="suijian-bench-reports-")
    try:
        os.environ["SUIJIAN_INSTANCE"] = folder
        app = create_app({"DATABASE_URL": f"sqlite:///{folder}/bench.db", "SECRET_KEY": "bench", "TESTING": False})
        with app.app_context():
            db.connect(reuse_if_open=True)
            migrate.upgrade()
            start = time.perf_counter()
            prov_id = _build(app)
            print(f"  (数据生成 {time.perf_counter() - start:.1f} s：{UNITS} 单位，{RECORDS} 记录，{RECORDS * ANSWERS_PER_RECORD} 检查项答案)")
            from webapp.org.models import Area
            from webapp.reports import export, tables
            from webapp.plans import catalog as plan_store
            from webapp.reports.figures import figures

            plan = plan_store.get_plan(PLAN)
            summary = plan.summaries[0]
            prov = Area.get_by_id(prov_id)
            floor = _best(lambda: db.execute_sql(FLOOR_SQL, (PLAN,)).fetchall())
            table = _best(lambda: figures(plan, summary, prov))
            city = Area.get(Area.code == "650100")
            rollup = _best(lambda: tables.compare(plan, summary, prov), n=1)
            built = tables.build_all(plan, city)
            with app.test_request_context():
                info = export.meta(city.name, city.name)
                export.pdf(built, info)  # warm the fonts
                pdf = _best(lambda: export.pdf(built, info))
                from webapp.printing import render_pdf

                bare = _best(lambda: render_pdf("print/sample.html", title="汇总表", header=["单位类别"], rows=[["合计"]]))
                xlsx = _best(lambda: export.workbook(built, info))
                bare_xlsx = _best(_bare_workbook)
            db.close()
        return [
            ("汇总表 附表2（全省，80万答案）", table, "raw SQL COUNT DISTINCT GROUP BY", floor),
            ("各市对比（14 市 + 全省合计）", rollup, "raw SQL COUNT DISTINCT GROUP BY", floor),
            ("汇总表 PDF（一市）", pdf, "bare one-line PDF", bare),
            ("汇总表 Excel（一市）", xlsx, "bare openpyxl, same cell count", bare_xlsx),
        ]
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    for name, secs, floor, floor_secs in run():
        print(f"{name}: {secs:.4f} s; floor {floor}: {floor_secs:.4f} s; ratio {secs / floor_secs:.1f}x")

"""Benchmark: a 双随机 draw over a 100,000-unit register, against the stack's floor.

The floor is the raw SQL SELECT of the same candidate rows (the least any draw must do), timed
in the same run on the same database. `run()` returns
[(name, seconds, floor_name, floor_seconds)]; run directly it prints the ratios.

    .venv/bin/python bench/bench_draw.py
"""
import os
import random
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

UNITS = 100_000
PLAN = "2024-county-yiliao"  # two tiers, six categories, two pools: the busiest seed plan

# register kinds and their share of the register (clinics and village rooms dominate in reality)
KINDS = [("hospital", 0.04), ("mch", 0.01), ("chc", 0.05), ("chs", 0.08), ("thc", 0.04), ("village", 0.3),
         ("clinic", 0.4), ("other_med", 0.08)]


def _build(app):
    from webapp.db import db
    from webapp.org.models import Area, Unit
    from webapp.registers import creditcode
    from webapp.registers.models import Inspector, Institution, InstitutionKind

    r = random.Random(1)
    with app.app_context(), db.atomic():
        prov = Area.make("650000", "新疆维吾尔自治区")
        city = Area.make("650100", "乌鲁木齐市", prov)
        districts = [Area.make(f"6501{n:02d}", f"区{n}", city) for n in range(2, 10)]
        units = [Unit.create(name=f"{d.name}卫生监督所", kind="卫生监督所", area=d) for d in districts]
        for n in range(60):
            Inspector.create(name=f"执法员{n}", cert_no=f"B{n:05d}", unit=units[n % len(units)])
        kinds = [k for k, share in KINDS for _ in range(int(share * 100))]
        rows, kind_rows = [], []
        for i in range(1, UNITS + 1):
            d = districts[i % len(districts)]
            rows.append((i, f"单位{i}", creditcode.complete(f"92{d.code}{i:09d}"), d.id, "在业" if i % 50 else "停业"))
            kind_rows.append((i, kinds[r.randrange(len(kinds))]))
        fields = [Institution.id, Institution.name, Institution.credit_code, Institution.area, Institution.status]
        for s in range(0, len(rows), 2000):
            Institution.insert_many(rows[s:s + 2000], fields=fields).execute()
            InstitutionKind.insert_many(kind_rows[s:s + 2000], fields=[InstitutionKind.institution, InstitutionKind.kind]).execute()
        if db.obj.__class__.__name__.startswith("Psycopg"):
            db.execute_sql("SELECT setval(pg_get_serial_sequence('institution', 'id'), %s)", (UNITS,))
        db.execute_sql("ANALYZE")
    return city


def _timed(fn):
    start = time.perf_counter()
    value = fn()
    return time.perf_counter() - start, value


def run():
    from webapp import create_app, migrate
    from webapp.db import db

    folder = tempfile.mkdtemp(prefix="bench-draw-")
    url = os.environ.get("BENCH_DATABASE_URL") or f"sqlite:///{os.path.join(folder, 'bench.db')}"
    os.environ["SUIJIAN_INSTANCE"] = folder
    app = create_app({"DATABASE_URL": url, "SECRET_KEY": "bench", "WTF_CSRF_ENABLED": False})
    db.connect(reuse_if_open=True)
    migrate.upgrade()
    city = _build(app)
    results = []
    with app.app_context():
        from webapp.draw import services
        from webapp.org.models import User
        from webapp.registers.services import catalog
        from webapp.org.models import Unit

        plan = catalog().get(PLAN)
        kinds = sorted({k for c in plan.categories for k in c.kinds})
        marks = ", ".join(["%s" if db.obj.__class__.__name__.startswith("Psycopg") else "?"] * len(kinds))
        # the cheapest form of the same selection: no categorising, no folding, no Python rows
        floor_sql = ("SELECT i.id, i.area_id, k.kind FROM institution i JOIN institution_kind k ON k.institution_id = i.id "
                     f"WHERE i.area_id IN (SELECT id FROM area WHERE path LIKE {marks[0]}) AND i.status = {marks[0]} "
                     f"AND k.kind IN ({marks}) ORDER BY i.id")

        def floor():
            return db.execute_sql(floor_sql, [city.path + "%", "在业", *kinds]).fetchall()

        floor()  # warm the page cache for both sides alike
        floor_s, floor_rows = _timed(floor)
        inputs_s, inputs = _timed(lambda: services.gather(plan, city))
        assert len(inputs["candidates"]) == len(floor_rows), (len(inputs["candidates"]), len(floor_rows))
        compute_s, drawn = _timed(lambda: services.compute(plan, inputs, 20260101))
        results.append(("draw: read candidates (SQL, categorised)", inputs_s, "raw SELECT of the candidates", floor_s))
        results.append(("draw: read + sample + assign inspectors", inputs_s + compute_s, "raw SELECT of the candidates", floor_s))
        unit = Unit.select().first()
        admin = User(username="bench", name="基准", unit=unit)
        admin.set_password("x")
        admin.save()
        full_s, draw = _timed(lambda: services.run_draw(plan, city, admin, seed=20260101, witnesses="基准"))
        results.append((f"draw: full run incl. {draw.tasks.count()} tasks written + snapshot", full_s, "raw SELECT of the candidates", floor_s))
        verify_s, (ok, _) = _timed(lambda: services.verify(draw))
        assert ok
        results.append(("draw verify (re-run from snapshot)", verify_s, "raw SELECT of the candidates", floor_s))
    db.close()
    return results


if __name__ == "__main__":
    for name, seconds, floor_name, floor_seconds in run():
        print(f"{name:58s} {seconds:7.3f} s   floor ({floor_name}) {floor_seconds:6.3f} s   ratio {seconds / floor_seconds:5.1f}×")

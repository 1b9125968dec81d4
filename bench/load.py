"""The load figures: `make load` (or `.venv/bin/python bench/load.py [--inspectors 50] [--seconds 45]`).

50 inspectors, each signed in through the real form, save answers one after another on a
record of their own for 45 s, against gunicorn started as `make run` starts it (its workers and
threads read from the Makefile), on a fresh SQLite file and — when TEST_DATABASE_URL or
DATABASE_URL names a PostgreSQL server — on a fresh schema there. Printed per database: saves
acknowledged, errors (any answer but 200, by status), saves lost or duplicated (every acknowledged
save is looked up in the answers and the audit trail afterwards), throughput and latency.

Exit status 1 when any error, lost or duplicated save was seen.
"""
import argparse
import collections
import os
import pathlib
import shutil
import sys
import tempfile

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests import factories, liveserver  # noqa: E402  (the live-server helpers of the test suite)
from webapp import create_app, migrate  # noqa: E402
from webapp.db import db, make_database  # noqa: E402


def _pg_base():
    for name in ("TEST_DATABASE_URL", "DATABASE_URL"):
        url = os.environ.get(name, "")
        if url.startswith(("postgres://", "postgresql://")):
            return url
    return ""


def run_one(label, url, folder, inspectors, seconds):
    app = create_app({"DATABASE_URL": url, "SECRET_KEY": "load-bench"})
    with app.app_context():
        db.connect(reuse_if_open=True)
        migrate.upgrade()
        org = factories.make_org()
        who = liveserver.make_inspectors(org, inspectors)
        db.close()
    with liveserver.Server(url, folder / "instance") as server:
        results = liveserver.save_load(server.base, who, seconds)
        workers, threads = server.workers, server.threads
    with app.app_context():
        db.connect(reuse_if_open=True)
        summary = liveserver.check_saves(results)
        db.close()
    errors = collections.Counter(str(e[0]) if isinstance(e[0], int) else "连接错误" for r in results for e in r.errors)
    latencies = [x for r in results for x in r.latencies]
    elapsed = max(getattr(r, "elapsed", seconds) for r in results)
    figures = {
        "database": label,
        "server": f"gunicorn --workers {workers} --threads {threads}",
        "inspectors": inspectors,
        "seconds": round(elapsed, 1),
        "saves": summary["acked"],
        "errors": sum(errors.values()),
        "errors_by_status": dict(errors),
        "lost": summary["lost"],
        "duplicated": summary["duplicated"],
        "unexpected": summary["unexpected"],
        "saves_per_second": round(summary["acked"] / elapsed, 1) if elapsed else 0,
        "p50_ms": round(liveserver.percentile(latencies, 50) * 1000),
        "p95_ms": round(liveserver.percentile(latencies, 95) * 1000),
        "max_ms": round(max(latencies) * 1000) if latencies else 0,
    }
    return figures


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--inspectors", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=45)
    parser.add_argument("--only", choices=["sqlite", "postgres"])
    args = parser.parse_args(argv)

    bad = False
    tmp = pathlib.Path(tempfile.mkdtemp(prefix="suijian-load-"))
    try:
        runs = []
        if args.only in (None, "sqlite"):
            runs.append(("SQLite", f"sqlite:///{tmp / 'sqlite' / 'load.db'}", tmp / "sqlite"))
        base = _pg_base()
        schema = f"load_{os.getpid()}"
        if base and args.only in (None, "postgres"):
            runs.append(("PostgreSQL", f"{base}{'&' if '?' in base else '?'}schema={schema}", tmp / "postgres"))
        elif args.only == "postgres":
            parser.error("PostgreSQL: set TEST_DATABASE_URL or DATABASE_URL")
        for label, url, folder in runs:
            folder.mkdir(parents=True, exist_ok=True)
            if label == "PostgreSQL":
                admin = make_database(base, str(folder))
                admin.connect()
                admin.execute_sql(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
                admin.execute_sql(f"CREATE SCHEMA {schema}")
                admin.close()
            try:
                f = run_one(label, url, folder, args.inspectors, args.seconds)
            finally:
                if label == "PostgreSQL":
                    admin = make_database(base, str(folder))
                    admin.connect()
                    admin.execute_sql(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
                    admin.close()
            bad |= bool(f["errors"] or f["lost"] or f["duplicated"] or f["unexpected"])
            print(f"{f['database']}: {f['inspectors']} 名监督员 × {f['seconds']} s，{f['server']}")
            print(f"  保存 {f['saves']} 次，{f['saves_per_second']} 次/秒；延迟 p50 {f['p50_ms']} ms，"
                  f"p95 {f['p95_ms']} ms，最长 {f['max_ms']} ms")
            print(f"  错误 {f['errors']} {f['errors_by_status'] or ''}；丢失 {f['lost']}；重复 {f['duplicated']}；"
                  f"多出 {f['unexpected']}")
            sys.stdout.flush()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())

"""kill -9 of the server mid-load (marked `long`: `make test-long`, also run by .ci/run).

Three times over: 20 inspectors save on their own records through gunicorn, and half-way the
master and every worker are killed at once (SIGKILL to the process group). The server is started
again on the same database, which must then be intact: SQLite's integrity check, every save the
server acknowledged present exactly once (the one in flight at the kill once or not at all), the
audit chain whole (`flask --app webapp audit verify`), and new saves accepted.
"""
import sqlite3
import subprocess
import sys

import pytest

from . import factories, liveserver

pytestmark = pytest.mark.long


def test_kill_9_mid_load_loses_nothing_acknowledged(app, org, backend, database_url, tmp_path):
    server = liveserver.Server(database_url, tmp_path / "server")
    all_results = []
    for cycle in range(3):
        with app.app_context():
            inspectors = liveserver.make_inspectors(org, 20, prefix=f"crash{cycle}_")
        server.start()
        results = liveserver.save_load(server.base, inspectors, seconds=4, after_start=server.kill)
        refused = [e for r in results for e in r.errors if isinstance(e[0], int)]
        assert refused == [], f"answers other than 200 before the kill: {refused[:3]}\n{server.log()}"
        assert sum(len(r.acked) for r in results) >= 40, "the load did happen before the kill"
        all_results += results

        server.start()  # the same database, after the crash
        if backend == "sqlite":
            conn = sqlite3.connect(database_url.split("///", 1)[1])
            try:
                assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
            finally:
                conn.close()
        with app.app_context():
            summary = liveserver.check_saves(results, inflight_ok=True)
        assert (summary["lost"], summary["duplicated"], summary["unexpected"]) == (0, 0, 0), summary
        # the restarted server takes new saves
        who = inspectors[0]
        client = liveserver.Client(server.base).login(who["username"], factories.PASSWORD)
        item = who["items"][-1]
        with app.app_context():
            from webapp.inspection.models import Answer
            current = Answer.get_or_none((Answer.record == who["record"]) & (Answer.item_key == item))
        resp = client.post(f"/inspection/records/{who['record']}/items/{item}",
                           {"result": "na", "note": "重启后", "finding": "", "version": str(current.version if current else 0)})
        assert resp.status == 200, resp.text[:300]
        server.stop()

    with app.app_context():
        assert liveserver.check_saves(all_results, inflight_ok=True)["lost"] == 0
    verify = subprocess.run([sys.executable, "-m", "flask", "--app", "webapp", "audit", "verify"], cwd=liveserver.ROOT,
                            env=server.env(), capture_output=True, text=True, timeout=120)
    assert verify.returncode == 0, verify.stdout + verify.stderr
    assert "审计链完整" in verify.stdout

"""A real server for the concurrency tests and bench/load.py: gunicorn started as `make run`
starts it (the worker and thread counts are read from the Makefile), on a free loopback port,
against a database the caller prepared; clients that sign in through the real form with CSRF.

Nothing here mocks anything: requests go over TCP to gunicorn's worker processes, which open
their own connections to the SQLite file or the PostgreSQL schema.

- `Server(database_url, instance)`: start()/stop()/kill() (kill -9 of the master and workers).
  A server whose caller dies stops by itself (the watchdog in tests/gunicorn_conf.py).
- `Client(base)`: login(), get(), post() (htmx style: X-CSRFToken header), over urllib.
- `make_inspectors(org, n)`: n inspector accounts of 甲区, each with a draft record of their own.
- `save_load(base, inspectors, seconds)`: each inspector saves answers on their own record in a
  loop until the time is up; returns what the server acknowledged.
- `threaded(app)`: the app itself served by werkzeug's threaded server in this process (for
  Chromium and for parallel sign-ins, where gunicorn's processes are not needed); yields the URL.
- `check_saves(results, inflight_ok=False)`: every acknowledged save present exactly once in the
  answers and in the audit trail (run in an app context on the same database).
"""
import collections
import http.cookiejar
import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from contextlib import contextmanager

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
WATCHDOG = os.path.join(ROOT, "tests", "gunicorn_conf.py")
CSRF_RE = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')
HX_CSRF_RE = re.compile(r'"X-CSRFToken": "([^"]+)"')


def make_run_options():
    """The gunicorn options of `make run` (workers, threads), so the tests serve the same way."""
    with open(os.path.join(ROOT, "Makefile"), encoding="utf-8") as fh:
        text = fh.read()
    line = next(ln for ln in text.splitlines() if "gunicorn" in ln and "create_app" in ln)
    workers = re.search(r"--workers\s+(\d+)", line)
    threads = re.search(r"--threads\s+(\d+)", line)
    return int(workers.group(1)) if workers else 1, int(threads.group(1)) if threads else 1


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """gunicorn serving webapp:create_app() from this checkout; `base` is its URL once started."""

    def __init__(self, database_url, instance, workers=None, threads=None, env=None, max_seconds=600):
        make_workers, make_threads = make_run_options()
        self.workers = workers or make_workers
        self.threads = threads or make_threads
        self.database_url = database_url
        self.instance = str(instance)
        self.extra_env = dict(env or {})
        self.max_seconds = max_seconds
        self.proc = None
        self.base = None
        os.makedirs(self.instance, exist_ok=True)
        # a fixed key: the workers would otherwise race to create instance/secret_key
        with open(os.path.join(self.instance, "config.py"), "w", encoding="utf-8") as fh:
            fh.write('SECRET_KEY = "live-server-test-key"\n')
        self.log_path = os.path.join(self.instance, "gunicorn.log")

    def env(self):
        env = dict(os.environ)
        env.update(DATABASE_URL=self.database_url, SUIJIAN_INSTANCE=self.instance, PYTHONPATH=ROOT,
                   SUIJIAN_WATCH_PID=str(os.getpid()), SUIJIAN_MAX_SECONDS=str(self.max_seconds))
        env.update(self.extra_env)
        return env

    def start(self, timeout=60):
        port = free_port()
        self.base = f"http://127.0.0.1:{port}"
        log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "--bind", f"127.0.0.1:{port}", "--workers", str(self.workers),
             "--threads", str(self.threads), "--config", WATCHDOG, "webapp:create_app()"],
            cwd=ROOT, env=self.env(), stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        log.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"gunicorn exited ({self.proc.returncode}):\n{self.log()}")
            try:
                with urllib.request.urlopen(self.base + "/login", timeout=5) as resp:
                    if resp.status == 200:
                        return self
            except (OSError, urllib.error.URLError):
                pass
            time.sleep(0.1)
        self.kill()
        raise RuntimeError(f"gunicorn did not answer within {timeout} s:\n{self.log()}")

    def log(self):
        try:
            with open(self.log_path, encoding="utf-8", errors="replace") as fh:
                return fh.read()[-4000:]
        except OSError:
            return ""

    def stop(self):
        """Graceful stop (SIGTERM to the master: workers finish their requests)."""
        if self.proc is None or self.proc.poll() is not None:
            return
        os.killpg(self.proc.pid, signal.SIGTERM)
        try:
            self.proc.wait(20)
        except subprocess.TimeoutExpired:
            self.kill()
        self._reap_group()

    def kill(self):
        """kill -9 of the master and every worker at once (the whole process group)."""
        if self.proc is None:
            return
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.proc.wait(10)
        self._reap_group()

    def _reap_group(self):
        # workers are in the master's process group: none may outlive the test
        for _ in range(50):
            try:
                os.killpg(self.proc.pid, 0)
            except ProcessLookupError:
                return
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                return
            time.sleep(0.1)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


class Response:
    def __init__(self, status, headers, body):
        self.status, self.headers, self.body = status, headers, body

    @property
    def text(self):
        return self.body.decode("utf-8", errors="replace")


class Client:
    """One browser: its own cookies, signed in through the real form, CSRF token carried."""

    def __init__(self, base, timeout=60):
        self.base = base
        self.timeout = timeout
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar), _NoRedirect())
        self.token = None

    def request(self, method, path, data=None, headers=None):
        body = urllib.parse.urlencode(data or {}, doseq=True).encode() if method == "POST" else None
        req = urllib.request.Request(self.base + path, data=body, method=method, headers=headers or {})
        if body is not None:
            req.add_header("Content-Type", "application/x-www-form-urlencoded")
        try:
            with self.opener.open(req, timeout=self.timeout) as resp:
                return Response(resp.status, resp.headers, resp.read())
        except urllib.error.HTTPError as e:
            with e:
                return Response(e.code, e.headers, e.read())

    def get(self, path, htmx=False):
        return self.request("GET", path, headers={"HX-Request": "true"} if htmx else {})

    def post(self, path, data=None, htmx=True):
        """A form post as htmx sends it (token in X-CSRFToken), or a plain one (token in the form)."""
        data = dict(data or {})
        headers = {}
        if htmx:
            headers = {"HX-Request": "true", "X-CSRFToken": self.token}
        else:
            data.setdefault("csrf_token", self.token)
        return self.request("POST", path, data, headers)

    def login(self, username, password):
        page = self.get("/login").text
        token = CSRF_RE.search(page).group(1)
        resp = self.request("POST", "/login", {"username": username, "password": password, "csrf_token": token})
        if resp.status != 302:
            raise AssertionError(f"sign-in of {username} failed: {resp.status} {resp.text[:300]}")
        self.token = HX_CSRF_RE.search(self.get("/").text).group(1)
        return self


# ------------------------------------------------------------------------------------------------
# Data and load
# ------------------------------------------------------------------------------------------------


def make_inspectors(org, n, password=None, prefix="load"):
    """n inspector accounts of 甲区 (load01 …), each the only inspector of a draft record of its
    own. Returns [{"username", "record", "items"}] (items: the record's applicable item keys)."""
    from webapp.inspection.services import Checklist
    from webapp.org.models import Role

    from . import factories

    out = []
    for i in range(n):
        user = factories.make_user(f"{prefix}{i + 1:02d}", org.units.d1, Role.INSPECTOR, name=f"负载监督员{i + 1}",
                                   password=password or factories.PASSWORD)
        record = factories.make_record(org, inspectors=[user], passes=0)
        items = [it.key for s in Checklist.load(record).sections for it in s.items]
        out.append({"username": user.username, "record": record.id, "items": items})
    return out


class SaveResult:
    """What one inspector's session sent and what the server acknowledged."""

    def __init__(self, who):
        self.who = who
        self.acked = []          # (item, note) answered 200, in order
        self.inflight = None     # (item, note) sent when the load stopped without an answer
        self.errors = []         # (status or exception, first characters of the body)
        self.latencies = []      # seconds per acknowledged save


def save_loop(base, who, password, stop, result, start_barrier=None):
    """Sign in, then answer the record's items one after another (each save a new note) until
    stop is set. Every save must be acknowledged with 200: anything else is an error."""
    try:
        client = Client(base).login(who["username"], password)
    except Exception as exc:  # noqa: BLE001 (reported as an error of this session)
        result.errors.append((repr(exc), "sign-in"))
        return
    if start_barrier is not None:
        start_barrier.wait()
    versions = collections.Counter()
    n = 0
    while not stop.is_set():
        item = who["items"][n % len(who["items"])]
        n += 1
        note = f"{who['username']}#{n}"
        path = f"/inspection/records/{who['record']}/items/{item}"
        data = {"result": "pass", "note": note, "finding": "", "version": str(versions[item])}
        result.inflight = (item, note)
        began = time.monotonic()
        try:
            resp = client.post(path, data)
        except Exception as exc:  # noqa: BLE001 (a dropped connection is an error, or the crash)
            result.errors.append((repr(exc), ""))
            return  # this save stays `inflight`: it may or may not have been committed
        if resp.status == 200:
            result.latencies.append(time.monotonic() - began)
            result.acked.append((item, note))
            result.inflight = None
            versions[item] += 1
        else:
            title = re.search(r"<title>(.*?)</title>", resp.text)
            result.errors.append((resp.status, (title.group(1) if title else resp.text[:300]), item))
            result.inflight = None
            if resp.status == 409:
                return  # the session lost track of the versions: nothing sensible to go on with


def save_load(base, inspectors, seconds, password=None, after_start=None, min_acked=40):
    """Run every inspector's save_loop at once for `seconds`; returns [SaveResult].
    after_start() is called once, `seconds / 2` into the load and not before `min_acked` saves
    were acknowledged (the crash test kills there: mid-load however slow the machine is)."""
    from . import factories

    password = password or factories.PASSWORD
    stop = threading.Event()
    results = [SaveResult(w) for w in inspectors]
    barrier = threading.Barrier(len(inspectors) + 1)
    threads = [threading.Thread(target=save_loop, args=(base, w, password, stop, r, barrier), daemon=True)
               for w, r in zip(inspectors, results)]
    for t in threads:
        t.start()
    try:
        barrier.wait(timeout=120)
    except threading.BrokenBarrierError:
        stop.set()
        raise RuntimeError("the sessions did not all sign in: " + "; ".join(str(r.errors[:1]) for r in results if r.errors))
    began = time.monotonic()
    if after_start is not None:
        time.sleep(seconds / 2)
        while sum(len(r.acked) for r in results) < min_acked and time.monotonic() - began < 60:
            time.sleep(0.05)
        after_start()
    time.sleep(max(0.0, seconds - (time.monotonic() - began)))
    stop.set()
    for t in threads:
        t.join(90)
    elapsed = time.monotonic() - began
    for r in results:
        r.elapsed = elapsed
    return results


def check_saves(results, inflight_ok=False):
    """Compare what the server acknowledged with the database (call in an app context).

    Returns {"acked", "lost", "duplicated", "unexpected"}: an acknowledged save is lost when its
    note is not in the audit trail (or the answer does not end on the last one), duplicated when
    its audit entry is there twice; unexpected counts audit entries of saves never sent.
    inflight_ok: the save in flight when the server was killed may be there once, or not at all."""
    from webapp.audit.models import AuditEntry
    from webapp.inspection.models import Answer

    acked = lost = duplicated = unexpected = 0
    for r in results:
        rid = r.who["record"]
        notes = collections.Counter()
        for e in AuditEntry.select().where((AuditEntry.record_id == rid) & (AuditEntry.action == "answer.save")):
            notes[json.loads(e.after)["note"]] += 1
        answers = {a.item_key: a for a in Answer.select().where(Answer.record == rid)}
        sent = {note for _, note in r.acked}
        inflight = r.inflight[1] if (inflight_ok and r.inflight) else None
        for item, note in r.acked:
            acked += 1
            if notes[note] == 0:
                lost += 1
            elif notes[note] > 1:
                duplicated += 1
        for note, count in notes.items():
            if note not in sent and not (note == inflight and count == 1):
                unexpected += count
        last = {}
        for item, note in r.acked:
            last[item] = note
        per_item = collections.Counter(item for item, _ in r.acked)
        for item, note in last.items():
            a = answers.get(item)
            ok_notes = {note} | ({inflight} if inflight and r.inflight[0] == item else set())
            if a is None or a.note not in ok_notes:
                lost += 1
            elif a.version - per_item[item] not in ((0, 1) if a.note == inflight else (0,)):
                duplicated += 1
    return {"acked": acked, "lost": lost, "duplicated": duplicated, "unexpected": unexpected}


def percentile(values, p):
    if not values:
        return 0.0
    values = sorted(values)
    k = min(len(values) - 1, max(0, round(p / 100 * (len(values) - 1))))
    return values[k]


@contextmanager
def threaded(app):
    """Serve app from a threaded werkzeug server on a free loopback port; yields the base URL."""
    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(5)
        server.server_close()

"""gunicorn settings added by tests/liveserver.py (the rest is `make run`'s command line): a
watchdog in the master stops the server when the process that started it is gone, or after
SUIJIAN_MAX_SECONDS, so a test server never outlives its test run."""
import os
import signal
import threading
import time


def when_ready(server):
    parent = int(os.environ.get("SUIJIAN_WATCH_PID") or 0)
    limit = float(os.environ.get("SUIJIAN_MAX_SECONDS") or 600)
    began = time.monotonic()

    def watch():
        while True:
            time.sleep(0.5)
            gone = False
            if parent:
                try:
                    os.kill(parent, 0)
                except ProcessLookupError:
                    gone = True
            if gone or time.monotonic() - began > limit:
                os.kill(os.getpid(), signal.SIGTERM)
                return

    threading.Thread(target=watch, daemon=True).start()

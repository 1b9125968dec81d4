"""The plans in forms/, loaded once and reloaded when a file there changes.

Next year's plan is a new file dropped into forms/: it shows up without a restart, and a file
with mistakes never replaces a good catalog (the error goes to the log and `plans check`)."""
import os
import threading

from flask import current_app, g, has_request_context

from .loader import PlanError, load_plans

_lock = threading.Lock()
_cache = {}  # forms dir -> (signature, Catalog)


def _signature(directory):
    entries = []
    for name in sorted(os.listdir(directory)):
        if name.endswith(".toml"):
            st = os.stat(os.path.join(directory, name))
            entries.append((name, st.st_mtime_ns, st.st_size))
    return tuple(entries)


def catalog(directory=None):
    """The current Catalog for the app's FORMS_DIR (or directory)."""
    directory = directory or current_app.config["FORMS_DIR"]
    # A page may ask for plans many times (a title per row): look at forms/ once per request.
    memo = g.setdefault("_plan_catalogs", {}) if has_request_context() else {}
    if directory in memo:
        return memo[directory]
    memo[directory] = _current(directory)
    return memo[directory]


def _current(directory):
    sig = _signature(directory)
    cached = _cache.get(directory)
    if cached is not None and cached[0] == sig:
        return cached[1]
    with _lock:
        try:
            loaded = load_plans(directory)
        except PlanError:
            if cached is None:
                raise
            current_app.logger.exception("forms/ 中的计划文件有误，继续使用上一次的计划")
            return cached[1]
        _cache[directory] = (sig, loaded)
        return loaded


def get_plan(plan_id):
    """The current version of a plan, or None."""
    return catalog().get(plan_id)

"""The plans of the app: the current ones in forms/, and any plan by version. One cache.

Next year's plan is a new file dropped into forms/: it shows up without a restart, and a file
with mistakes never replaces a good catalog (the error goes to the log and `plans check`).

When the catalog loads a plan, that version is stored at once, exactly as loaded (its text and
the vocabulary it was checked against: versions.remember_version), and every feature that writes
a row naming a version stores it again in its own transaction (a no-op when already there).
`plan_for(record)` is the one way to get the plan a record (task, draw) was made with: from the
cache, the current catalog, or the stored version parsed with its own vocabulary, even when the
file in forms/ has since been changed or broken.
"""
import os
import threading

from flask import current_app, g, has_request_context
from peewee import PeeweeException

from ..db import Busy
from . import versions
from .loader import PlanError, load_plans

_lock = threading.Lock()
_catalogs = {}  # forms dir -> (signature, Catalog)
# The one cache of plans by version, for the whole app. A version is a hash of the file's bytes
# and its stored copy never changes, so an entry never goes stale.
_plans = {}  # (plan id, version) -> Plan


class UnknownVersion(LookupError):
    """A plan version that is neither in forms/ nor stored (Chinese message)."""


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
    cached = _catalogs.get(directory)
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
        _catalogs[directory] = (sig, loaded)
        for plan in loaded.plans.values():
            _plans.setdefault((plan.id, plan.version), plan)
    _store(loaded)
    return loaded


def _store(loaded):
    """Store each loaded version now, as loaded. Best effort: a record's own transaction stores
    its version again, so a busy or not yet migrated database only delays this."""
    try:
        for plan in loaded.plans.values():
            versions.remember_version(plan)
    except (PeeweeException, Busy):
        current_app.logger.warning("计划版本暂未能保存，将在首次使用时保存", exc_info=True)


def get_plan(plan_id):
    """The current version of a plan, or None."""
    return catalog().get(plan_id)


def plan_at(plan_id, version):
    """The plan as it was at `version`, or None when that version is unknown."""
    key = (plan_id, version)
    plan = _plans.get(key)
    if plan is not None:
        return plan
    try:
        current = catalog().get(plan_id)
    except PlanError:  # forms/ is broken and nothing good was loaded since the start
        current_app.logger.warning("forms/ 中的计划文件有误，按已保存的版本读取计划 %s", plan_id)
        current = None
    if current is not None and current.version == version:
        return current
    plan = versions.stored_plan(plan_id, version)
    if plan is not None:
        _plans[key] = plan
    return plan


def plan_for(record):
    """The plan exactly as `record` (a Record, Task or Draw: anything with plan_id and
    plan_version) was made with. Raises UnknownVersion when that version is nowhere."""
    plan = plan_at(record.plan_id, record.plan_version)
    if plan is None:
        raise UnknownVersion(f"找不到计划 {record.plan_id} 的版本 {record.plan_version}")
    return plan


def forget():
    """Empty the caches, as a restarted process would have them (tests, after a restore)."""
    with _lock:
        _catalogs.clear()
        _plans.clear()


def plans_with_summaries():
    """The current plans that have summary tables (汇总表), for the reports' plan chooser."""
    return [p for p in catalog().plans.values() if p.summaries]

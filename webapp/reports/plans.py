"""The plans as the reports see them: the catalog of forms/, and a plan *as of a version*.

A record counts with the plan version it was made with (forms/README.md): when forms/ has moved
on, the old text is read back from PlanVersion, so an item is mapped to the column its own
version put it in.
"""
import functools
import os

from flask import current_app

from ..plans.loader import PlanError, load_plan_text, load_plans, load_vocabulary
from ..plans.versions import PlanVersion


@functools.lru_cache(maxsize=4)
def _catalog(path, stamp):
    return load_plans(path)


def _stamp(path):
    # reload when a plan file changes (mtime of the folder and of each file)
    return tuple(sorted((n, os.stat(os.path.join(path, n)).st_mtime_ns) for n in os.listdir(path) if n.endswith(".toml")))


def catalog():
    path = current_app.config["FORMS_DIR"]
    return _catalog(path, _stamp(path))


def plans_with_summaries():
    return [p for p in catalog().plans.values() if p.summaries]


def current(plan_id):
    return catalog().get(plan_id)


_OLD = {}  # (forms dir, plan id, version) -> Plan; a stored version's text never changes


def _old(path, plan_id, version):
    key = (path, plan_id, version)
    if key not in _OLD:
        row = PlanVersion.get_or_none((PlanVersion.plan_id == plan_id) & (PlanVersion.version == version))
        if row is None:
            return None  # not cached: the text may be stored later
        try:
            _OLD[key] = load_plan_text(row.content, f"{plan_id}.toml", load_vocabulary(path))
        except PlanError:
            _OLD[key] = None
    return _OLD[key]


def plan_for(plan_id, version):
    """The plan as it was at `version`; the current plan when that text was never stored."""
    plan = current(plan_id)
    if plan is not None and plan.version == version:
        return plan
    return _old(current_app.config["FORMS_DIR"], plan_id, version) or plan

"""Navigation by role. Each feature registers its entries once; the layout and the home page
ask `nav_entries(user)` so a link shows only to the roles that may follow it."""
from dataclasses import dataclass

from flask import g, url_for


@dataclass(frozen=True)
class Entry:
    label: str
    endpoint: str
    roles: tuple
    hint: str = ""
    badge: object = None  # callable(user) -> int, for counts such as the review queue


ENTRIES: list[Entry] = []


def register(label, endpoint, roles, hint="", badge=None):
    ENTRIES.append(Entry(label, endpoint, tuple(roles), hint, badge))


def nav_entries(user):
    if user is None:
        return []
    # the layout and the home page both list them: count the badges once per request
    memo = g.setdefault("_nav_entries", {})
    if user.id not in memo:
        memo[user.id] = _entries(user)
    return memo[user.id]


def _entries(user):
    out = []
    for e in ENTRIES:
        if user.has_role(*e.roles):
            out.append({"label": e.label, "url": url_for(e.endpoint), "hint": e.hint, "badge": e.badge(user) if e.badge else None})
    return out


def init_app(app):
    app.jinja_env.globals["nav_entries"] = nav_entries

"""Sections that the features built on the registers add to a unit's page (its 检查记录, its
抽取任务 …): the register shows them without importing those features, which sit above it.
A panel is fn(institution, user) -> HTML, registered with an order (smaller first)."""
from markupsafe import Markup

PANELS = []


def panel(order):
    def register(fn):
        PANELS.append((order, fn))
        PANELS.sort(key=lambda p: p[0])
        return fn

    return register


def render(institution, user):
    # each panel is rendered by its own template (already escaped): joined as markup, not text
    return Markup("").join(Markup(fn(institution, user)) for _, fn in PANELS)

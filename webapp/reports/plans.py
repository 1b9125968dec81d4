"""The plans as the reports see them. A record counts with the plan version it was made with
(forms/README.md): webapp.plans.catalog.plan_at reads an old version back (the one cache of the
app), so an item is mapped to the column its own version put it in."""
from ..plans.catalog import catalog, get_plan as current  # noqa: F401  (one catalog for the app)


def plans_with_summaries():
    return [p for p in catalog().plans.values() if p.summaries]

"""The plans as the reports see them. A record counts with the plan version it was made with
(forms/README.md): webapp.plans.versions.plan_for reads an old version back from PlanVersion,
so an item is mapped to the column its own version put it in."""
from ..plans.catalog import catalog, get_plan as current  # noqa: F401  (one catalog for the app)
from ..plans.versions import plan_for  # noqa: F401


def plans_with_summaries():
    return [p for p in catalog().plans.values() if p.summaries]

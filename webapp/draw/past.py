"""What a draw needs to know of past inspections, answered by the features that hold them.

The draw sits below the inspection and the 卫生监督意见书 (they carry out its tasks), so it does
not import them; when the app starts they register here the questions the draw asks:
- lookback(area, years) -> ids of the units due for 回头看 (seed 001: penalised on an approved
  record of those years; a 意见书 of those years not shown rectified by a 复查);
- visit_teams(area) -> (unit id, visit id, inspector id) rows, oldest visit first: the teams
  that really checked each unit, so that a draw does not send the same pair again.
Every answer is plain data, so a draw stays a pure function of its recorded inputs.
"""
LOOKBACK = []
VISIT_TEAMS = []


def lookback(fn):
    """Register fn(area, years) -> iterable of institution ids."""
    LOOKBACK.append(fn)
    return fn


def visit_teams(fn):
    """Register fn(area) -> iterable of (institution id, visit id, inspector id), oldest first."""
    VISIT_TEAMS.append(fn)
    return fn


def lookback_ids(area, years):
    found = set()
    for fn in LOOKBACK:
        found.update(fn(area, years))
    return sorted(found)


def teams(area):
    for fn in VISIT_TEAMS:
        yield from fn(area)

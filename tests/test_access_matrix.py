"""Who may open what: every route of app.url_map × the six callers (anonymous, 监督员, 审核人,
单位负责人, 管理员, a user of another district holding every role), each answered with the
status written in tests/access_matrix.py. A new route without an entry fails here with the
statuses it gave, to be checked and written down.

Each route gets a fresh world (tests/world.py); the callers ask in the order of world.USERS with
the objects of 甲区 (the other district's user must never see them: 403 or 404, never 200), a
plain request, an empty form with the CSRF token for POST.
"""
import os

import pytest

from webapp.db import db

from . import world
from .access_matrix import EXPECTED
from .test_input_properties import ROUTES


def _statuses(app, org, rule):
    w = world.build(app, org)
    rule_obj = next(r for r in app.url_map.iter_rules() if r.rule == rule.rule and r.endpoint == rule.endpoint)
    return w, rule_obj


@pytest.mark.parametrize("rule,method", ROUTES, ids=[world.route_id(r, m) for r, m in ROUTES])
def test_access(app, org, rule, method):
    w, rule = _statuses(app, org, rule)
    with app.test_request_context():
        from flask import url_for

        url = url_for(rule.endpoint, **world.url_args(rule, w))
    got = {}
    for label, username in world.USERS:
        b = world.signed_in(app, username)
        db.connect(reuse_if_open=True)
        if method == "GET":
            resp = b.client.get(url)
        else:
            resp = b.client.post(url, data={"csrf_token": b.token})
        resp.close()
        got[label] = resp.status_code
    key = world.route_id(rule, method)
    row = tuple(got[label] for label, _ in world.USERS)
    if os.environ.get("ACCESS_MATRIX_PRINT"):  # to write a new route's line: check it, then paste it
        print(f"\n    {key!r}: {row!r},")
    assert key in EXPECTED, f"{key} has no entry in tests/access_matrix.py; it answered {got}"
    expected = dict(zip([label for label, _ in world.USERS], EXPECTED[key]))
    assert got == expected, f"{key}: expected {expected}, got {got}"
    assert got["other_district"] not in (200, 303) or not rule.arguments or key in SHARED, \
        f"{key}: a user of another district reached 甲区's object ({got['other_district']})"
    # one scoped loader: an object outside the user's area is a 404 everywhere, as if it did not exist
    assert got["other_district"] == 404 or not rule.arguments or key in SHARED | NOT_AREA_BOUND, \
        f"{key}: another district's object answered {got['other_district']}, not 404"


# Routes with arguments that are not 甲区's objects (plans, verification codes are for everyone
# signed in; the code answers with the scope shown on the page).
SHARED = {"GET /plans/<plan_id>", "GET /documents/verify/<code>", "GET /reports/export.<kind>"}
# Objects that belong to no area: a sign-in lock-out is keyed by account name or address (403 when
# the account is not the admin's to unlock).
NOT_AREA_BOUND = {"POST /admin/lockouts/<int:row_id>/unlock"}


def test_no_stale_entries():
    keys = {world.route_id(r, m) for r, m in ROUTES}
    assert not set(EXPECTED) - keys, f"entries for routes that no longer exist: {sorted(set(EXPECTED) - keys)}"

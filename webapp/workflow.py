"""One state mechanism for every object that moves through states (记录, 汇总表, 意见书, 抽取,
任务清单导入).

Each feature declares
- a status enum (`State` subclass): an integer per state and its ONE Chinese label, in one place;
- a `Machine`: the transition table as data, ``{(verb, from state): to state}``, a Chinese label
  per verb, and per verb the rule for who may use it (a function returning why not, or None).

The machine answers `allowed(user, obj, verb)` (templates and views ask it to show buttons) and
runs `apply(user, obj, verb, ...)`: the actor check (403), then the state check (409), then, inside
one `webapp.db.transaction()`, the compare-and-set of the status, the other column changes, the
audit entry (webapp/audit/trail.py) and whatever else the verb writes. So buttons and server ask
the same functions and cannot disagree; a refused verb changes nothing.

Refusals are raised as `Refused` (message in Chinese, HTTP `code`, optional form `field`): services
raise it, views (or the app's error handler, webapp/errors.py) turn it into a response.
A verb may keep the state (e.g. 意见书 "print": 已签发 → 已签发): it is listed like any other, so
the same table says in which states it is allowed.
"""
from flask import g

from .audit import trail
from .db import locked, transaction
from .states import Refused, State  # noqa: F401  (one import for features)

# Every machine by the model it runs: allowed(user, obj, verb) finds the right table.
MACHINES = {}


class Machine:
    """The states of one model: transition table, verb labels, actor rules; allowed() and apply().

    - model / states: the peewee model and its State enum; the status column is `model.status`.
    - transitions: {(verb, from): to}.
    - verbs: {verb: Chinese label} (used in messages: "不能{label}").
    - actors: {verb: rule(user, obj) -> refusal message or None}; a verb without a rule is open to
      anyone who can load the object (the views' scope check comes first).
    - noun: how messages name the object ("记录", "汇总表", …).
    - entity / action: the audit entry's entity name and action prefix (action = f"{action}.{verb}").
    - context(obj) -> dict of keyword arguments for trail.record (record=…, institution=…).
    - state_message(obj, verb, current) -> message for a verb the state does not allow (optional).
    - error: the Refused subclass this feature raises (its callers catch it by that name).
    """

    def __init__(self, model, states, transitions, verbs, actors=None, noun="对象", entity=None, action=None,
                 context=None, state_message=None, error=Refused):
        self.model = model
        self.states = states
        self.transitions = dict(transitions)
        self.verbs = dict(verbs)
        self.actors = dict(actors or {})
        self.noun = noun
        self.entity = entity or model._meta.table_name
        self.action = action or self.entity
        self.context = context or (lambda obj: {})
        self._state_message = state_message
        self.error = error
        unknown = {v for v, _ in self.transitions} - set(self.verbs)
        if unknown:
            raise ValueError(f"verbs without a label: {sorted(unknown)}")
        MACHINES[model] = self

    # -- questions -------------------------------------------------------------------------------

    def state(self, obj):
        return self.states(obj.status)

    def target(self, obj, verb):
        """The state verb leads to from obj's state, or None when the table does not list it."""
        return self.transitions.get((verb, self.state(obj)))

    def actor_refusal(self, user, obj, verb):
        """Why user may not use verb on obj whatever its state, or None."""
        if verb not in self.verbs:
            raise ValueError(verb)
        rule = self.actors.get(verb)
        return rule(user, obj) if rule is not None else None

    def state_refusal(self, obj, verb):
        """Why obj's state does not allow verb, or None."""
        current = self.state(obj)
        if (verb, current) in self.transitions:
            return None
        if self._state_message is not None:
            message = self._state_message(obj, verb, current)
            if message:
                return message
        return f"{self.noun}当前状态为“{current.label}”，不能{self.verbs[verb]}。"

    def allowed(self, user, obj, verb):
        """Whether user may apply verb to obj now: what templates ask before showing a button."""
        return self.state_refusal(obj, verb) is None and self.actor_refusal(user, obj, verb) is None

    def asks(self, verb):
        """A `can_<verb>(user, obj)` function: the table's own answer, for views and templates."""
        def can(user, obj):
            return self.allowed(user, obj, verb)

        can.__name__ = f"can_{verb}"
        return can

    def states_allowing(self, verb):
        """The states from which verb is listed (for queries: `status.in_(...)`)."""
        return [int(s) for v, s in self.transitions if v == verb]

    def check(self, user, obj, verb):
        """Raise Refused unless user may apply verb to obj now: who first (403), then state (409).
        Returns the target state."""
        refusal = self.actor_refusal(user, obj, verb)
        if refusal:
            raise self.error(refusal, 403)
        refusal = self.state_refusal(obj, verb)
        if refusal:
            raise self.error(refusal, 409)
        return self.transitions[(verb, self.state(obj))]

    # -- the one way to change state ------------------------------------------------------------

    def apply(self, user, obj, verb, changes=None, where=None, before=None, after=None, then=None,
              conflict=None, audit=True):
        """Check (actor, state), then in one transaction: compare-and-set the status with the other
        `changes`, write the audit entry, run `then(fresh obj)`; return (fresh obj, then's result)
        when `then` is given, else the fresh obj.

        changes / after may be callables (called inside the transaction, after the checks: e.g. to
        take a document number under the write lock). `where` adds a condition to the
        compare-and-set (e.g. the version the user saw); `conflict` is the message when only that
        condition failed.
        """
        self.check(user, obj, verb)
        current = self.state(obj)
        target = self.transitions[(verb, current)]
        if target is None:
            raise ValueError(f"{verb} removes the row: use check() and lock() in the feature's transaction")
        model = self.model
        with transaction():
            values = changes() if callable(changes) else dict(changes or {})
            values[model.status] = int(target)
            cond = (model.id == obj.id) & (model.status == int(current))
            if where is not None:
                cond = cond & where
            # Compare-and-set: two people clicking at once cannot both move it.
            if model.update(values).where(cond).execute() != 1:
                raise self._lost(obj, verb, conflict)
            fresh = model.get_by_id(obj.id)
            if audit:
                extra = after() if callable(after) else dict(after or {})
                trail.record(user, f"{self.action}.{verb}", self.entity, obj.id,
                             before={"status": current.label, **(before or {})},
                             after={"status": target.label, **extra}, **self.context(fresh))
            result = then(fresh) if then is not None else None
        return (fresh, result) if then is not None else fresh

    def lock(self, obj, verb):
        """Inside a transaction: the row, locked (FOR UPDATE on PostgreSQL), re-checked for verb.
        For verbs that do more than change columns (discard deletes the row)."""
        row = locked(self.model.select().where(self.model.id == obj.id)).first()
        if row is None:
            raise self.error(f"{self.noun}已不存在，请刷新页面。", 409)
        refusal = self.state_refusal(row, verb)
        if refusal:
            raise self.error(refusal, 409)
        return row

    def _lost(self, obj, verb, conflict):
        """The compare-and-set found nothing: say what changed meanwhile."""
        now = self.model.get_or_none(self.model.id == obj.id)
        if now is None:
            return self.error(f"{self.noun}已不存在，请刷新页面。", 409)
        if now.status != obj.status:
            return self.error(self.state_refusal(now, verb) or f"{self.noun}状态已被他人更改，请刷新后重试。", 409)
        return self.error(conflict or f"{self.noun}状态已被他人更改，请刷新后重试。", 409)


def machine_of(obj):
    try:
        return MACHINES[type(obj)]
    except KeyError:
        raise TypeError(f"no state machine for {type(obj).__name__}") from None


def allowed(user, obj, verb):
    """Whether user may apply verb to obj now, whatever kind of object it is."""
    return machine_of(obj).allowed(user, obj, verb)


def init_app(app):
    """Templates ask `allowed(obj, "verb")` for the signed-in user: the same rule apply() checks."""
    @app.template_global("allowed")
    def _allowed(obj, verb):
        user = g.get("user")
        return user is not None and allowed(user, obj, verb)


def table(machine):
    """The transition table as rows (verb label, from label, to label), for documentation/tests."""
    return [(machine.verbs[v], s.label, t.label) for (v, s), t in machine.transitions.items()]

"""The vocabulary of states, free of any dependency so that models can import it: `State` (an
IntEnum whose members carry their one Chinese label) and `Refused` (a verb that may not be
applied). The machine that runs transitions is webapp/workflow.py."""
import enum


class State(enum.IntEnum):
    """An IntEnum whose members carry their Chinese label: ``DRAFT = 0, "草稿"``."""

    def __new__(cls, value, label):
        member = int.__new__(cls, value)
        member._value_ = value
        member.label = label
        return member

    @classmethod
    def labels(cls):
        return {m: m.label for m in cls}


class Refused(Exception):
    """A verb that may not be applied: `message` is Chinese and meant for the user; `code` is the
    HTTP status (403 who, 409 state, 400 a missing or bad input such as a reason); `field` names
    the form field the message belongs beside, if any."""

    def __init__(self, message, code=409, field=None):
        super().__init__(message)
        self.message = message
        self.code = code
        self.field = field

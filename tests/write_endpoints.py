"""Every write endpoint on a record, as (endpoint, build(record) -> (path, form data)): the
lock tests post each one to a submitted and an approved record (tests/test_locking.py), and a test
there fails when a POST route taking a record id is missing from this list.

Paths are built by hand so that no request context is needed."""
from webapp.inspection.models import Evidence
from webapp.inspection.services import Checklist


def _first_item(record):
    cl = Checklist.load(record)
    return cl.sections[0].items[0].key


def _answer_req(record):
    key = _first_item(record)
    return f"/inspection/records/{record.id}/items/{key}", {"result": "pass", "note": "", "finding": "", "version": "0"}


def _evidence_req(record):
    return f"/inspection/records/{record.id}/items/{_first_item(record)}/evidence", {}


def _evidence_remove_req(record):
    ev = Evidence.select().where(Evidence.record == record.id).first()
    return f"/inspection/records/{record.id}/evidence/{ev.id if ev else 0}/remove", {}


def _handling_req(record):
    return f"/inspection/records/{record.id}/handling", {"opinion": "1", "version": "0"}


def _submit_req(record):
    return f"/inspection/records/{record.id}/submit", {}


INSPECTION_WRITES = [
    ("inspection.answer", _answer_req),
    ("inspection.evidence_add", _evidence_req),
    ("inspection.evidence_remove", _evidence_remove_req),
    ("inspection.handling", _handling_req),
    ("inspection.submit", _submit_req),
]


def _decide_req(verb):
    def build(record):
        return f"/review/records/{record.id}/{verb}", {"reason": "测试原因"}

    return build


REVIEW_WRITES = [("review.decide", _decide_req(v)) for v in ("approve", "return", "withdraw")]

"""Each write asks again, inside its transaction, what its decision rests on: the state as the
caller saw it may be stale because another request committed in between. These tests hand the
services exactly that stale view (the concurrent change made directly in the database) and
expect the clean refusal a user can read — never a unique violation (500) and nothing written."""
import datetime

import pytest
from werkzeug.datastructures import MultiDict

from webapp.plans.catalog import plan_for
from webapp.audit.models import AuditEntry
from webapp.errors import Invalid
from webapp.inspection import services as inspection
from webapp.inspection.models import Answer, Record, Status
from webapp.registers import services as registers
from webapp.registers.models import Inspector, Institution, Recusal
from webapp.inspection.workflow import LOCK_MESSAGES
from webapp.tasklist import services as tasklist
from webapp.tasklist.models import BatchStatus, ImportBatch

from . import factories
from .test_tasklist_files import xlsx_bytes
from .test_tasklist_import import mapped, start, world  # noqa: F401  (world is a fixture)


def test_answer_save_on_a_record_submitted_meanwhile_is_locked(app, org):
    with app.app_context():
        record = factories.make_record(org, passes=0)
        item = factories.load_item_keys(record)[0]
        stale = Record.get_by_id(record.id)  # what the view loaded: still a draft
        Record.update(status=int(Status.SUBMITTED)).where(Record.id == record.id).execute()
        before = AuditEntry.select().count()
        with pytest.raises(inspection.Locked) as e:
            inspection.save_answer(org.users.insp1, stale, item, {"result": "pass", "version": "0"})
        assert e.value.message == LOCK_MESSAGES[Status.SUBMITTED]
        assert not Answer.select().where(Answer.record == record.id).exists()
        assert AuditEntry.select().count() == before


def test_locked_under_the_row_lock_is_the_409_lock_page(app, org, browser, monkeypatch):
    """The view's early check passes, the record is submitted before the save's transaction."""
    with app.app_context():
        record = factories.make_record(org, passes=0)
        item = factories.load_item_keys(record)[0]
    real = inspection._save_answer

    def submitted_meanwhile(*args):
        Record.update(status=int(Status.SUBMITTED)).where(Record.id == record.id).execute()
        return real(*args)

    monkeypatch.setattr(inspection, "_save_answer", submitted_meanwhile)
    resp = browser("jdy1").post(f"/inspection/records/{record.id}/items/{item}",
                                {"result": "pass", "note": "", "finding": "", "version": "0"}, htmx=True)
    assert resp.status_code == 409
    assert LOCK_MESSAGES[Status.SUBMITTED] in resp.get_data(as_text=True)
    with app.app_context():
        assert not Answer.select().where(Answer.record == record.id).exists()


def test_start_twice_makes_one_record(app, org):
    with app.app_context():
        inst = factories.make_institution(org.d1, "甲区测试妇幼保健院", ("mch",))
        task = factories.make_task(inst, [org.users.insp1, org.users.insp2])
        first = factories.start_inspection(task, [org.users.insp1, org.users.insp2])
        # a second click whose early look-up (in start_record) ran before the first committed:
        # the transaction, with the task locked, finds the first record and makes none
        again = inspection.write(inspection._create_record, org.users.insp1, task, plan_for(task),
                                 datetime.date.today(), "现场", "张院长", [], "")
        assert again.id == first.id
        assert Record.select().where(Record.task == task.id).count() == 1


def _clean_institution(code):
    clean, errors = registers.check_institution({"name": "同时登记的医院", "credit_code": code, "kinds": ["hospital"],
                                                 "area": "650102"})
    assert errors == {}
    return clean


def test_institution_registered_meanwhile_is_a_field_error(app, org):
    with app.app_context():
        code = factories.credit_code()
        clean = _clean_institution(code)  # both forms were checked before either saved
        registers.create_institution(clean, org.users.admin)
        before = (Institution.select().count(), AuditEntry.select().count())
        with pytest.raises(Invalid) as e:
            registers.create_institution(_clean_institution_unchecked(code), org.users.admin)
        assert e.value.errors == {"credit_code": registers.TAKEN["credit_code"]}
        assert (Institution.select().count(), AuditEntry.select().count()) == before


def _clean_institution_unchecked(code):
    from webapp.org.models import Area

    return {"name": "同时登记的医院", "credit_code": code, "license_no": "", "area": Area.get(Area.code == "650102"),
            "address": "", "legal_rep": "", "phone": "", "status": "在业", "kinds": ["hospital"], "services": []}


def test_inspector_and_recusal_registered_meanwhile_are_field_errors(app, org, monkeypatch):
    with app.app_context():
        clean = {"name": "甲监督员九", "cert_no": "J0909", "unit": org.units.d1, "specialties": "", "active": True, "user": None}
        registers.create_inspector(clean, org.users.admin)
        with pytest.raises(Invalid) as e:
            registers.create_inspector(dict(clean, name="另一人"), org.users.admin)
        assert e.value.errors == {"cert_no": registers.TAKEN["cert_no"]}
        insp = Inspector.get(Inspector.cert_no == "J0909")
        inst = factories.make_institution(org.d1, "回避医院")
        Recusal.create(inspector=insp, institution=inst, reason="先到")
        # the validator's look-up saw none (a concurrent declaration): the unique index answers
        real = Recusal.select
        monkeypatch.setattr(Recusal, "select", classmethod(lambda cls, *a: real(*a).where(Recusal.id < 0)))
        rec, errors = registers.declare_recusal(insp, inst.credit_code, "后到", org.users.admin)
        monkeypatch.undo()
        assert rec is None and errors == {"credit_code": registers.TAKEN["institution"]}
        assert Recusal.select().where(Recusal.inspector == insp).count() == 1


def test_mapping_and_discard_of_an_import_confirmed_meanwhile_are_refused(app, world):  # noqa: F811
    w = world
    with app.test_request_context():
        batch, _ = start(w, xlsx_bytes(w.rows), "任务清单.xlsx")
        batch = mapped(w, batch)
        stale = ImportBatch.get_by_id(batch.id)
        ImportBatch.update(status=BatchStatus.DONE).where(ImportBatch.id == batch.id).execute()
        with pytest.raises(Invalid):
            tasklist.save_mapping(stale, MultiDict(dict(stale.mapping_dict)), w.admin)
        with pytest.raises(Invalid):
            tasklist.discard(stale, w.admin)
        assert ImportBatch.get_by_id(batch.id).mapping == batch.mapping

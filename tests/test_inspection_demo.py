"""The inspection demo step: 天山区 records in every state, made through the real services."""
from webapp import demo
from webapp.draw.models import Task
from webapp.inspection import demo as inspection_demo
from webapp.inspection.models import Record, Status, VisitInspector
from webapp.org.models import Area, User
from webapp.registers.models import Inspector


def test_demo_has_records_in_every_state(app):
    with app.app_context():
        demo.load()
        assert "inspection" in demo.STEPS
        area = Area.get(Area.code == "650102")
        ours = Record.select().join(Task).where((Record.area == area.id) & (Task.tier == "adhoc"))  # this step's
        mine = [r for r in ours
                if Inspector.get(Inspector.user == User.get(User.username == "ts_jdy1").id).id
                in {v.inspector_id for v in VisitInspector.select().where(VisitInspector.visit == r.visit_id)}]
        states = {Status(r.status) for r in mine}
        assert states == {Status.DRAFT, Status.SUBMITTED, Status.RETURNED, Status.APPROVED}
        returned = next(r for r in mine if r.status == Status.RETURNED)
        assert returned.return_reason
        approved = [r for r in mine if r.status == Status.APPROVED]
        assert approved and all(r.reviewed_by.username == "ts_shr" for r in approved)
        open_tasks = [t for t in Task.select().where(Task.area == area.id) if not t.records.exists()]
        assert open_tasks  # something to start


def test_demo_step_runs_in_order():
    assert demo.STEPS.index("inspection") > demo.STEPS.index("draw") if "draw" in demo.STEPS else True
    assert callable(inspection_demo.load)

"""Demo data of the review: one approved 天山区 record whose approval its reviewer (ts_shr) withdrew
(撤回审核, with a reason) and approved again, so the history page and the audit log show a
correction after approval. The other states come from the inspection step, which already
submits, returns and approves through the workflow."""
from ..inspection.models import Record, Status
from ..org.models import Area, User
from ..inspection import workflow


def load(rng):
    area = Area.get_or_none(Area.code == "650102")
    reviewer = User.get_or_none(User.username == "ts_shr")
    if area is None or reviewer is None:
        return {}
    record = (Record.select().where((Record.area == area.id) & (Record.status == int(Status.APPROVED)))
              .order_by(Record.id).first())
    if record is None:
        return {}
    record = workflow.withdraw(reviewer, record, "复核发现处理决定中的案件类别需再次确认，撤回后重新审核。")
    workflow.approve(reviewer, record)
    return {"撤回后重新审核的记录": 1}

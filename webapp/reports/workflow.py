"""Summary (汇总表) approval: 填表人 submits → 审核人 approves → 单位负责人 approves.

The figures are frozen when the 填表人 submits: the 审核人 and the 单位负责人 approve exactly
the numbers they see, and once approved nothing changes them. A correction is a new version
(submit again), never an edit. Each verb checks the transition and the actor, changes the state
and writes the audit entry in one transaction.
"""
import datetime
import json

from ..audit import trail
from ..db import db
from ..errors import too_long
from ..org.models import Role, Unit
from . import periods
from .figures import Period
from .models import SummaryReport, SummaryStatus
from .tables import build_all, to_json

S = SummaryStatus
# (verb, from state) -> to state. Anything not listed is refused.
TRANSITIONS = {
    ("review", S.SUBMITTED): S.REVIEWED,
    ("approve", S.REVIEWED): S.APPROVED,
    ("return", S.SUBMITTED): S.RETURNED,
    ("return", S.REVIEWED): S.RETURNED,
}
RETURN_REASON_MAX = 200  # shown on the field by its counter (reports/_approval.html)
VERB_LABELS = {"submit": "提交汇总表", "review": "审核通过", "approve": "批准", "return": "退回"}


class SummaryError(Exception):
    def __init__(self, message, code=409):
        super().__init__(message)
        self.message = message
        self.code = code


def unit_name(area):
    """填报单位: the supervision unit of the area (else its health commission, else the area)."""
    units = list(Unit.select().where(Unit.area == area).order_by(Unit.id))
    unit = next((u for u in units if u.kind == "卫生监督所"), units[0] if units else None)
    return unit.name if unit else area.name


def can_prepare(user, area):
    """填表人: a member of the area's own unit who works on records (not a 单位负责人 alone)."""
    return user.area.id == area.id and user.has_role(Role.INSPECTOR, Role.REVIEWER, Role.ADMIN)


def allowed(user, report, verb):
    if (verb, S(report.status)) not in TRANSITIONS or user.area.id != report.area_id:
        return False
    if verb == "review":
        return user.has_role(Role.REVIEWER) and user.id != report.prepared_by_id
    if verb == "approve":
        return user.has_role(Role.HEAD)
    if verb == "return":
        return user.has_role(Role.HEAD) if report.status == S.REVIEWED else (
            user.has_role(Role.REVIEWER) and user.id != report.prepared_by_id)
    return False


def submit(user, plan, area, period=Period(), phone=""):
    """Compute the tables now and store them frozen as a new version."""
    period = periods.of(plan, period)  # recorded as counted: the plan year unless another was chosen
    if not can_prepare(user, area):
        raise SummaryError("只有本单位的填表人可以提交本辖区的汇总表。", 403)
    tables = build_all(plan, area, period)
    with db.atomic():
        last = (SummaryReport.select().where((SummaryReport.plan_id == plan.id) & (SummaryReport.area == area))
                .order_by(SummaryReport.number.desc()).first())
        number = (last.number if last else 0) + 1
        # an unfinished older version is replaced; approved ones stay as history
        SummaryReport.update(status=int(S.SUPERSEDED)).where(
            (SummaryReport.plan_id == plan.id) & (SummaryReport.area == area)
            & SummaryReport.status.in_([int(S.SUBMITTED), int(S.REVIEWED)])).execute()
        report = SummaryReport.create(
            plan_id=plan.id, plan_version=plan.version, area=area, number=number,
            period_start=period.start, period_end=period.end, period_kind=period.kind, status=int(S.SUBMITTED),
            figures=json.dumps(to_json(tables), ensure_ascii=False), unit_name=unit_name(area),
            prepared_by=user, phone=(phone or user.phone or "").strip()[:32])
        trail.record(user, "summary.submit", "summary_report", report.id, after={
            "plan": plan.id, "area": area.code, "number": number, "status": S.SUBMITTED.label})
    return report


def _apply(user, report, verb, reason=""):
    current = S(report.status)
    target = TRANSITIONS.get((verb, current))
    if target is None:
        raise SummaryError(f"汇总表当前状态为“{current.label}”，不能{VERB_LABELS[verb]}。")
    if not allowed(user, report, verb):
        if verb in ("review", "return") and user.id == report.prepared_by_id:
            raise SummaryError("不能审核自己填报的汇总表。", 403)
        raise SummaryError(f"您无权对该汇总表执行“{VERB_LABELS[verb]}”。", 403)
    now = datetime.datetime.now()
    changes = {SummaryReport.status: int(target)}
    if verb == "review":
        changes.update({SummaryReport.reviewed_by: user.id, SummaryReport.reviewed_at: now})
    elif verb == "approve":
        changes.update({SummaryReport.head_by: user.id, SummaryReport.head_at: now})
    else:
        changes.update({SummaryReport.returned_by: user.id, SummaryReport.return_reason: reason})
    with db.atomic():
        # compare-and-set: two people clicking at once cannot both move it
        n = SummaryReport.update(changes).where((SummaryReport.id == report.id) & (SummaryReport.status == int(current))).execute()
        if n != 1:
            raise SummaryError("汇总表状态已被他人更改，请刷新后重试。")
        trail.record(user, f"summary.{verb}", "summary_report", report.id, before={"status": current.label},
                     after={"status": target.label, **({"reason": reason} if reason else {})})
    return SummaryReport.get_by_id(report.id)


def review(user, report):
    return _apply(user, report, "review")


def approve(user, report):
    return _apply(user, report, "approve")


def return_(user, report, reason):
    if not (reason or "").strip():
        raise SummaryError("退回时必须填写退回原因。", 422)
    problem = too_long("退回原因", reason.strip(), RETURN_REASON_MAX)
    if problem:
        raise SummaryError(problem, 422)
    return _apply(user, report, "return", reason.strip())


def period_of(report):
    """The period a submitted summary counted, as recorded with it (printed on the form)."""
    return Period(report.period_start, report.period_end, report.period_kind or "")


def tables_of(report):
    from .tables import from_json

    return from_json(json.loads(report.figures))


def signatures(report):
    """The footer of the printed form: names and dates of who prepared, reviewed and approved."""
    def day(dt):
        return dt.strftime("%Y年%m月%d日") if dt else ""

    return {
        "填表人": report.prepared_by.name, "联系电话": report.phone, "填表日期": day(report.prepared_at),
        "审核人": (f"{report.reviewed_by.name}（{day(report.reviewed_at)}）" if report.reviewed_by_id else ""),
        "单位负责人（签字）": (f"{report.head_by.name}（{day(report.head_at)}）" if report.head_by_id else ""),
    }

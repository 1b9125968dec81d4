"""Summary (汇总表) approval: 填表人 submits → 审核人 approves → 单位负责人 approves.

The figures are frozen when the 填表人 submits: the 审核人 and the 单位负责人 approve exactly
the numbers they see, and once approved nothing changes them. A correction is a new version
(submit again), never an edit. Each verb checks the transition and the actor, changes the state
and writes the audit entry in one transaction.
"""
import datetime
import json

from .. import phone as phone_rule, workflow as machine
from ..audit import trail
from ..db import transaction
from ..errors import Invalid, too_long
from ..org.models import Role, Unit
from . import periods
from .figures import Period
from .models import SummaryReport, SummaryStatus
from .tables import build_all, to_json

S = SummaryStatus
# (verb, from state) -> to state. Anything not listed is refused (409).
TRANSITIONS = {
    ("review", S.SUBMITTED): S.REVIEWED,
    ("approve", S.REVIEWED): S.APPROVED,
    ("return", S.SUBMITTED): S.RETURNED,
    ("return", S.REVIEWED): S.RETURNED,
    # a newer version submitted for the same plan and area replaces an unfinished one
    ("supersede", S.SUBMITTED): S.SUPERSEDED,
    ("supersede", S.REVIEWED): S.SUPERSEDED,
}
VERB_LABELS = {"submit": "提交汇总表", "review": "审核通过", "approve": "批准", "return": "退回", "supersede": "以新版本取代"}
VERBS = ("review", "approve", "return")
RETURN_REASON_MAX = SummaryReport.return_reason.max_length  # shown on the field by its counter (reports/_approval.html)


class SummaryError(machine.Refused):
    """A refused 汇总表 step (message, code, field)."""


def unit_name(area):
    """填报单位: the supervision unit of the area (else its health commission, else the area)."""
    units = list(Unit.select().where(Unit.area == area).order_by(Unit.id))
    unit = next((u for u in units if u.kind == "卫生监督所"), units[0] if units else None)
    return unit.name if unit else area.name


def can_prepare(user, area):
    """填表人: a member of the area's own unit who works on records (not a 单位负责人 alone)."""
    return user.area.id == area.id and user.has_role(Role.INSPECTOR, Role.REVIEWER, Role.ADMIN)


def _own_area(user, report):
    return user.area.id == report.area_id


def _review_refusal(user, report):
    if not (_own_area(user, report) and user.has_role(Role.REVIEWER)):
        return f"您无权对该汇总表执行“{VERB_LABELS['review']}”。"
    if user.id == report.prepared_by_id:
        return "不能审核自己填报的汇总表。"
    return None


def _approve_refusal(user, report):
    if not (_own_area(user, report) and user.has_role(Role.HEAD)):
        return f"只有本单位负责人可以{VERB_LABELS['approve']}汇总表。"
    return None


def _return_refusal(user, report):
    """退回 belongs to whoever decides next: the 单位负责人 once reviewed, else the 审核人."""
    if report.status == S.REVIEWED:
        return _approve_refusal(user, report) and f"您无权对该汇总表执行“{VERB_LABELS['return']}”。"
    return _review_refusal(user, report)


def _supersede_refusal(user, report):
    return None if can_prepare(user, report.area) else "只有本单位的填表人可以提交本辖区的汇总表。"


MACHINE = machine.Machine(
    SummaryReport, S, TRANSITIONS, VERB_LABELS, noun="汇总表", entity="summary_report", action="summary",
    error=SummaryError, actors={"review": _review_refusal, "approve": _approve_refusal, "return": _return_refusal,
                                "supersede": _supersede_refusal})


def allowed(user, report, verb):
    """Whether user may apply verb to report now (the approval fragment asks this for its buttons)."""
    return MACHINE.allowed(user, report, verb)


def submit(user, plan, area, period=Period(), phone=""):
    """Compute the tables now and store them frozen as a new version."""
    period = periods.of(plan, period)  # recorded as counted: the plan year unless another was chosen
    if not can_prepare(user, area):
        raise SummaryError("只有本单位的填表人可以提交本辖区的汇总表。", 403)
    phone = phone_rule.normalise(phone or user.phone)
    if phone_rule.problem(phone):
        raise Invalid({"phone": phone_rule.problem(phone)})
    tables = build_all(plan, area, period)
    with transaction():
        last = (SummaryReport.select().where((SummaryReport.plan_id == plan.id) & (SummaryReport.area == area))
                .order_by(SummaryReport.number.desc()).first())
        number = (last.number if last else 0) + 1
        # an unfinished older version is replaced (its own transition and audit entry); approved ones stay
        for old in SummaryReport.select().where(
                (SummaryReport.plan_id == plan.id) & (SummaryReport.area == area)
                & SummaryReport.status.in_(MACHINE.states_allowing("supersede"))):
            MACHINE.apply(user, old, "supersede", after={"by_number": number})
        report = SummaryReport.create(
            plan_id=plan.id, plan_version=plan.version, area=area, number=number,
            period_start=period.start, period_end=period.end, period_kind=period.kind, status=int(S.SUBMITTED),
            figures=json.dumps(to_json(tables), ensure_ascii=False), unit_name=unit_name(area),
            prepared_by=user, phone=phone)
        trail.record(user, "summary.submit", "summary_report", report.id, after={
            "plan": plan.id, "area": area.code, "number": number, "status": S.SUBMITTED.label})
    return report


def _apply(user, report, verb, reason=""):
    now = datetime.datetime.now()
    if verb == "review":
        changes = {SummaryReport.reviewed_by: user.id, SummaryReport.reviewed_at: now}
    elif verb == "approve":
        changes = {SummaryReport.head_by: user.id, SummaryReport.head_at: now}
    else:
        changes = {SummaryReport.returned_by: user.id, SummaryReport.return_reason: reason}
    return MACHINE.apply(user, report, verb, changes, after={"reason": reason} if reason else None)


def review(user, report):
    return _apply(user, report, "review")


def approve(user, report):
    return _apply(user, report, "approve")


def return_(user, report, reason):
    MACHINE.check(user, report, "return")
    if not (reason or "").strip():
        raise SummaryError("退回时必须填写退回原因。", 422, "reason")
    problem = too_long("退回原因", reason.strip(), RETURN_REASON_MAX)
    if problem:
        raise SummaryError(problem, 422, "reason")
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

"""Routes of the 汇总表 (load → check → act → render) and the `flask --app webapp report …` commands."""

from flask import abort, flash, g, request, url_for

from .. import downloads, htmx
from ..errors import Invalid
from ..plans.catalog import get_plan, plans_with_summaries
from ..org.models import Area
from ..scope import areas_of, can_see_area, load
from ..security import require
from . import bp, export, figures, periods, tables, workflow
from .figures import ADHOC, TOTAL, Period, units_behind
from .models import SummaryReport, SummaryStatus


# ---- loading request parameters --------------------------------------------------------------


def _selection():
    """plan, area, period and field errors from the query string (defaults: first plan, own area,
    the plan's year)."""
    errors = {}
    plans = plans_with_summaries()
    plan = get_plan(request.values.get("plan") or "") or (plans[0] if plans else None)
    if request.values.get("plan") and plan is not None and plan.id != request.values.get("plan"):
        errors["plan"] = "没有这个计划"
    code = (request.values.get("area") or "").strip()
    area = Area.get_or_none(Area.code == code) if code else g.user.area
    if area is None:
        errors["area"] = "没有这个地区"
        area = g.user.area
    require(can_see_area(g.user, area))
    period = Period()
    if plan is not None:
        try:
            period = periods.choose(plan, request.values.get("period"), request.values.get("start"),
                                    request.values.get("end"))
        except Invalid as exc:
            errors.update(exc.errors)
            period = periods.year(plan)
    return plan, area, period, errors


def _areas(user):
    return areas_of(user)


def _query(plan, area, period, **extra):
    args = {"plan": plan.id, "area": area.code, "period": period.kind or periods.YEAR}
    if period.kind == periods.CUSTOM and period.start:
        args["start"] = period.start.isoformat()
    if period.kind == periods.CUSTOM and period.end:
        args["end"] = period.end.isoformat()
    args.update(extra)
    return args


def _latest(plan, area):
    return list(SummaryReport.select().where((SummaryReport.plan_id == plan.id) & (SummaryReport.area == area))
                .order_by(SummaryReport.number.desc()).limit(10))


# ---- pages -----------------------------------------------------------------------------------


@bp.get("/")
def index():
    """The summary tables of a plan for an area and period, with the roll-up and the approval."""
    return _index()


def _index(status=200, **extra):
    plan, area, period, errors = _selection()
    ctx = dict(plans=plans_with_summaries(), areas=_areas(g.user), plan=plan, area=area, period=period,
               errors=errors, args=request.values, submit_errors={})
    ctx.update(extra)
    if plan is not None:
        built = tables.build_all(plan, area, period)
        ctx.update(tables=built, stage=periods.stage(plan), period_text=periods.describe(period),
                   adhoc=figures.adhoc_checks(plan, area, period), adhoc_col=ADHOC, total=TOTAL,
                   describe_period=lambda r: periods.describe(workflow.period_of(r)),
                   compares=[c for c in (tables.compare(plan, s, area, period, own=t) for s, t in zip(plan.summaries, built)) if c],
                   query=_query(plan, area, period), reports=_latest(plan, area),
                   can_prepare=workflow.can_prepare(g.user, area), unit_name=workflow.unit_name(area))
    return htmx.render("reports/page.html", "reports/_tables.html", **ctx), (422 if errors else status)


@bp.get("/units")
def units():
    """The units behind one number of a table."""
    plan, area, period, errors = _selection()
    require(plan is not None and not errors)
    summary = next((s for s in plan.summaries if s.key == request.args.get("table")), None)
    row, col = request.args.get("row", ""), request.args.get("col", "")
    if col == ADHOC and plan.kind == "random":  # the 临时检查 shown apart from the tables
        summary = summary or plan.summaries[0]
        rows = {c.key for c in plan.categories} | {TOTAL}
    elif summary is None or col not in {c.key for c in summary.columns}:
        abort(404)
    else:
        rows = {m.key for m in summary.measures} if summary.layout == "matrix" else set(summary.rows) | {TOTAL}
    if row not in rows:
        abort(404)
    found = list(units_behind(plan, summary, area, row, col, period))
    label = "临时检查（未计入汇总表）" if col == ADHOC else summary.column(col).label
    row_label = next((m.label for m in summary.measures if m.key == row), None) or (
        summary.total_row or "合计" if row == TOTAL else plan.category(row).name)
    return htmx.render("reports/units.html", "reports/_units.html", plan=plan, summary=summary, area=area,
                       units=found, label=label, row_label=row_label, period_text=periods.describe(period), back=url_for(".index", **_query(plan, area, period)))


def _send(data, kind, plan, area, *extra, fallback):
    """The file under the name a person files it by: 2025年…汇总表-天山区.pdf (ASCII fallback: ids)."""
    if plan is None:  # a submitted summary of a plan no longer in forms/
        title = "汇总表"
    else:
        title = plan.summaries[0].title if len(plan.summaries) == 1 else f"{plan.title}汇总表"
    return downloads.send(data, downloads.file_name(title, area.name, *extra, ext=kind),
                          downloads.PDF if kind == "pdf" else downloads.XLSX, fallback=f"{fallback}.{kind}")


@bp.get("/export.<kind>")
def export_live(kind):
    """PDF or workbook of the live figures (not yet submitted: no names in the footer)."""
    require(kind in ("pdf", "xlsx"))
    plan, area, period, errors = _selection()
    require(plan is not None and not errors)
    info = export.meta(area.name, workflow.unit_name(area), periods.describe(period), status="（未报送，仅供核对）")
    data = (export.pdf if kind == "pdf" else export.workbook)(tables.build_all(plan, area, period), info)
    return _send(data, kind, plan, area, fallback=f"{plan.id}-{area.code}")


@bp.post("/submit")
def submit():
    """填表人 submits the area's summary: the figures are frozen as a new version."""
    plan, area, period, errors = _selection()
    require(plan is not None and not errors and workflow.can_prepare(g.user, area))
    try:
        report = workflow.submit(g.user, plan, area, period, request.form.get("phone", ""))
    except workflow.SummaryError as exc:
        abort(exc.code, exc.message)
    except Invalid as e:  # 联系电话 not a phone number: beside the field, as typed
        return _index(422, submit_errors=e.errors)
    flash(f"已提交第 {report.number} 版汇总表，等待审核。", "success")
    return htmx.redirect(url_for(".snapshot", report_id=report.id))


def _report(report_id):
    return load(SummaryReport, report_id, g.user)


@bp.get("/summary/<int:report_id>")
def snapshot(report_id):
    """A submitted summary: the frozen figures, who signed, and the buttons the user may press."""
    report = _report(report_id)
    return htmx.render("reports/snapshot.html", "reports/_approval.html", report=report, tables=workflow.tables_of(report),
                       period_text=periods.describe(workflow.period_of(report)),
                       sig=workflow.signatures(report), can=lambda verb: workflow.allowed(g.user, report, verb),
                       plan=get_plan(report.plan_id), error=None,
                       reason_max=workflow.RETURN_REASON_MAX)


@bp.get("/summary/<int:report_id>.<kind>")
def snapshot_file(report_id, kind):
    """The printed form of a submitted summary, with the names and dates of who signed it."""
    require(kind in ("pdf", "xlsx"))
    report = _report(report_id)
    period = workflow.period_of(report)
    status = "" if report.status == SummaryStatus.APPROVED else f"（{SummaryStatus(report.status).label}）"
    info = export.meta(report.area.name, report.unit_name, periods.describe(period), workflow.signatures(report), status)
    data = (export.pdf if kind == "pdf" else export.workbook)(workflow.tables_of(report), info)
    plan = get_plan(report.plan_id)
    return _send(data, kind, plan, report.area, f"第{report.number}版", fallback=f"{report.plan_id}-{report.area.code}-v{report.number}")


@bp.post("/summary/<int:report_id>/<verb>")
def decide(report_id, verb):
    """审核人 / 单位负责人: approve or return a submitted summary."""
    report = _report(report_id)
    require(verb in ("review", "approve", "return"))
    try:
        if verb == "return":
            report = workflow.return_(g.user, report, request.form.get("reason", ""))
        else:
            report = getattr(workflow, verb)(g.user, report)
    except workflow.SummaryError as exc:
        if exc.code == 422:  # the reason missing or too long: shown beside the field, the form kept
            return htmx.render("reports/snapshot.html", "reports/_approval.html", report=report,
                               tables=workflow.tables_of(report), period_text=periods.describe(workflow.period_of(report)), sig=workflow.signatures(report),
                               can=lambda v: workflow.allowed(g.user, report, v), plan=get_plan(report.plan_id),
                               error=exc.message, reason_max=workflow.RETURN_REASON_MAX), 422
        abort(exc.code, exc.message)
    flash(f"汇总表第 {report.number} 版：{SummaryStatus(report.status).label}。", "success")
    return htmx.redirect(url_for(".snapshot", report_id=report.id))

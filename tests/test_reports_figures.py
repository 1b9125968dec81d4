"""汇总表 figures against an independent count in plain Python over the same records."""
import datetime
import pathlib
import random
from decimal import Decimal

import pytest

from webapp.inspection.models import Answer, Handling, Record, Status, Visit
from webapp.plans.loader import load_plans
from webapp.registers.models import Inspector, Institution
from webapp.reports import demo as report_demo
from webapp.plans import catalog as plan_store
from webapp.errors import Invalid
from webapp.reports import periods
from webapp.reports.figures import ADHOC, TOTAL, Period, adhoc_checks, figures, units_behind

from . import factories

CATALOG = load_plans()
PLANS = [p.id for p in CATALOG.plans.values() if p.summaries]


def make_world(org, plan_ids=PLANS, seed=7):
    """Units of every kind in both districts, officers, and records in every state."""
    rng = random.Random(seed)
    kinds = sorted(CATALOG.kinds)
    insts = {org.d1.id: [], org.d2.id: []}
    for area in (org.d1, org.d2):
        for n, kind in enumerate(kinds * 2):
            extra = ("cosmetic_dept",) if kind == "hospital" and n % 3 == 0 else ()
            inst = factories.make_institution(area, f"{area.name}{kind}{n}号", kinds=(kind, *extra),
                                              status="停业" if n % 11 == 5 else "在业")
            insts[area.id].append((inst.id, [kind, *extra]))
    u = org.users
    i1 = Inspector.create(name="甲一", cert_no="A1", unit=org.units.d1, user=u.insp1)
    i2 = Inspector.create(name="甲二", cert_no="A2", unit=org.units.d1, user=u.insp2)
    i3 = Inspector.create(name="乙一", cert_no="B1", unit=org.units.d2, user=u.insp3)
    i4 = Inspector.create(name="乙二", cert_no="B2", unit=org.units.d2)
    people = {org.d1.id: ([(i1, i2)], u.reviewer1), org.d2.id: ([(i3, i4)], u.reviewer2)}
    for pid in plan_ids:
        plan = CATALOG.get(pid)
        for area in (org.d1, org.d2):
            pairs, reviewer = people[area.id]
            units = insts[area.id]
            for status in (Status.APPROVED, Status.APPROVED, Status.SUBMITTED, Status.DRAFT):
                chosen = [x for x in units if rng.random() < 0.35]
                report_demo.make_records(plan, area, chosen, pairs, reviewer, rng, status=status, fail_rate=0.3)
            # 临时检查 of the plan's units: approved, yet no random-check table counts them
            chosen = [x for x in units if rng.random() < 0.2]
            report_demo.make_records(plan, area, chosen, pairs, reviewer, rng, fail_rate=0.5, adhoc=True)
        # some approved inspections dated the year after the plan's period: never counted by default
        late = [r.visit_id for r in Record.select().where((Record.plan_id == pid) & (Record.status == Status.APPROVED))
                .order_by(Record.id) if r.id % 5 == 0]
        Visit.update(date=datetime.date(plan.year + 1, 1, 20)).where(Visit.id.in_(late)).execute()
    return insts


def wan(fen):
    return Decimal(fen) / Decimal(1000000)


def counted(plan, area, period=None):
    """The records a table counts, by the rules in plain Python: approved, in the area, visited in
    the period (default: the plan's own), and for a random plan from a draw (not a 临时检查)."""
    start, end = period or (plan.period.start, plan.period.end)
    return [r for r in Record.select() if r.plan_id == plan.id and r.status == Status.APPROVED and r.area.is_within(area)
            and (start is None or r.visit.date >= start) and (end is None or r.visit.date <= end)
            and (plan.kind != "random" or (r.task is not None and (r.task.draw_id is not None or r.task.lookback)))]


def expected_table(plan, summary, area, period=None):
    """The official rules, written out directly over Python objects."""
    recs = counted(plan, area, period)
    fails = {}
    for a in Answer.select():
        if a.result == "fail":
            fails.setdefault(a.record_id, set()).add(a.item_key)
    hand = {h.record_id: h for h in Handling.select()}
    out = {}
    rows = list(summary.rows) + [TOTAL]
    for row in rows:
        cats = set(summary.rows) if row == TOTAL else {row}
        rr = [r for r in recs if r.category in cats]
        hh = [hand[r.id] for r in rr if r.id in hand]
        vals = {}
        for col in summary.columns:
            s = col.source
            if s == "units_total":
                vals[col.key] = sum(1 for i in Institution.select() if i.status == "在业" and i.area.is_within(area)
                                    and plan.category_of(i.kind_keys) and plan.category_of(i.kind_keys).key in cats)
            elif s == "units_checked":
                vals[col.key] = len({r.institution_id for r in rr})
            elif s == "items":
                vals[col.key] = len({r.institution_id for r in rr if fails.get(r.id, set()) & set(col.items)})
            elif s == "cases":
                vals[col.key] = sum(1 for h in hh if h.case_filed or h.penalty)
            elif s in ("fines", "fine_only", "confiscation"):
                fen = sum((h.fine_fen if s != "confiscation" else 0) + (h.confiscation_fen if s != "fine_only" else 0) for h in hh)
                vals[col.key] = wan(fen) if col.unit == "万元" else Decimal(fen) / 100
            else:
                vals[col.key] = len({r.institution_id for r in rr if r.id in hand and getattr(hand[r.id], s)})
        out[row] = vals
    return out


@pytest.mark.parametrize("plan_id", [p for p in PLANS if CATALOG.get(p).summaries[0].layout == "table"])
def test_table_figures_equal_an_independent_count(app, org, plan_id):
    with app.app_context():
        make_world(org, [plan_id])
        plan = plan_store.get_plan(plan_id)
        for summary in plan.summaries:
            for area in (org.city, org.d1):
                got = figures(plan, summary, area)
                want = expected_table(plan, summary, area)
                for row in want:
                    for key, value in want[row].items():
                        assert got[row][key] == value, (summary.key, area.name, row, key)
                # the figures are not trivially zero
                assert any(got[TOTAL][c.key] for c in summary.columns if c.source == "items")
                assert got[TOTAL]["units_checked"] > 0


def test_zhongwei_matrix_equals_an_independent_count(app, org):
    pid = "2021-zhongwei-fzss"
    with app.app_context():
        make_world(org, [pid])
        plan = plan_store.get_plan(pid)
        summary = plan.summaries[0]
        got = figures(plan, summary, org.city)
        recs = counted(plan, org.city)
        hand = {h.record_id: h for h in Handling.select()}
        for col in summary.columns:
            if col.source == "categories":
                rr = [r for r in recs if r.category in col.categories]
            else:
                rr = [r for r in recs if r.id in hand and hand[r.id].case_kind == col.case_kind]
            hh = [hand[r.id] for r in rr if r.id in hand]
            want = {
                "checked": len({r.institution_id for r in rr}) if col.source == "categories" else None,
                "cases": sum(1 for h in hh if h.case_filed or h.penalty),
                "ordered_correction": sum(1 for h in hh if h.order_correction),
                "warnings": sum(1 for h in hh if h.warning),
                "fine_count": sum(1 for h in hh if h.fine_fen > 0),
                "fine_amount": wan(sum(h.fine_fen for h in hh)),
                "confiscation": wan(sum(h.confiscation_fen for h in hh)),
                "revoke": sum(h.revoke_license + h.revoke_subject + h.revoke_person for h in hh),
                "transfer_dept": sum(1 for h in hh if h.transfer_dept),
                "transfer_judicial": sum(1 for h in hh if h.transfer_judicial),
            }
            for measure, value in want.items():
                assert got[measure][col.key] == value, (col.key, measure)
        assert got["checked"]["unlicensed_total"] == got["checked"]["medical"] + got["checked"]["other"]
        assert got["cases"]["licensed"] + got["cases"]["unlicensed_total"] > 0


def _one_unit(org, pid, day, adhoc=False, kind="hospital"):
    """One approved inspection of a new unit of 甲区 under `pid`, visited on `day`."""
    plan = plan_store.get_plan(pid)
    inst = factories.make_institution(org.d1, f"{day}检查的{kind}", kinds=(kind,))
    i1 = Inspector.get_or_none(Inspector.cert_no == "A1") or Inspector.create(name="甲一", cert_no="A1", unit=org.units.d1, user=org.users.insp1)
    i2 = Inspector.get_or_none(Inspector.cert_no == "A2") or Inspector.create(name="甲二", cert_no="A2", unit=org.units.d1, user=org.users.insp2)
    report_demo.make_records(plan, org.d1, [(inst.id, [kind])], [(i1, i2)], org.users.reviewer1, random.Random(3),
                             fail_rate=1, adhoc=adhoc)
    rec = Record.get(Record.institution == inst)
    Visit.update(date=day).where(Visit.id == rec.visit_id).execute()
    return inst


def test_an_inspection_dated_outside_the_period_is_not_counted(app, org):
    """Issue 14: a 2025 plan's table counted inspections dated 2026; by default it counts its plan year."""
    pid = "2025-xj-yiliao"
    with app.app_context():
        plan = plan_store.get_plan(pid)
        s = plan.summaries[0]
        _one_unit(org, pid, datetime.date(2025, 12, 31))
        _one_unit(org, pid, datetime.date(2026, 1, 2))
        _one_unit(org, pid, datetime.date(2024, 12, 30))
        got = figures(plan, s, org.city)[TOTAL]
        assert got["units_checked"] == 1
        assert figures(plan, s, org.city, Period(start=datetime.date(2026, 1, 1)))[TOTAL]["units_checked"] == 1
        assert figures(plan, s, org.city, Period(datetime.date(2024, 1, 1), datetime.date(2026, 12, 31)))[TOTAL]["units_checked"] == 3
        # the units behind the figure are the same one unit
        assert [i.name for i in units_behind(plan, s, org.city, TOTAL, "units_checked")] == ["2025-12-31检查的hospital"]


def test_a_stage_counts_only_up_to_its_date(app, org):
    """A stage runs from the plan year's start to the 阶段性工作总结 date (2025-06-15), both included."""
    pid = "2025-xj-yiliao"
    with app.app_context():
        plan = plan_store.get_plan(pid)
        s = plan.summaries[0]
        for day in (datetime.date(2025, 1, 1), datetime.date(2025, 6, 15), datetime.date(2025, 6, 16)):
            _one_unit(org, pid, day)
        stage = periods.stage(plan)
        assert (stage.start, stage.end, stage.kind) == (datetime.date(2025, 1, 1), datetime.date(2025, 6, 15), "stage")
        assert figures(plan, s, org.city, stage)[TOTAL]["units_checked"] == 2
        assert figures(plan, s, org.city, periods.year(plan))[TOTAL]["units_checked"] == 3
        assert figures(plan, s, org.city, periods.parse(plan, "2025-06-15..2025-06-16"))[TOTAL]["units_checked"] == 2
        # the matrix (004) has no stage date: it says so instead of counting something else
        with pytest.raises(Invalid) as exc:
            periods.parse(plan_store.get_plan("2021-zhongwei-fzss"), "stage")
        assert exc.value.errors == {"period": "该计划没有阶段性工作总结日期，不能按阶段统计"}
        with pytest.raises(Invalid) as exc:
            periods.parse(plan, "2025-07-01..2025-06-01")
        assert exc.value.errors == {"period": "统计期间“2025-07-01..2025-06-01”：结束日期不能早于开始日期"}


def test_an_adhoc_check_is_not_counted_and_is_shown_apart(app, org, browser):
    pid = "2025-xj-yiliao"
    with app.app_context():
        plan = plan_store.get_plan(pid)
        s = plan.summaries[0]
        drawn = _one_unit(org, pid, datetime.date(2025, 5, 1))
        adhoc = _one_unit(org, pid, datetime.date(2025, 5, 2), adhoc=True)
        also = _one_unit(org, pid, datetime.date(2025, 5, 3), adhoc=True, kind="clinic")
        got = figures(plan, s, org.city)[TOTAL]
        assert got["units_checked"] == 1
        fail_cols = [c.key for c in s.columns if c.source == "items"]
        assert max(got[k] for k in fail_cols) == 1  # the ad-hoc units' failures are not in the table either
        apart = adhoc_checks(plan, org.city)
        assert apart[TOTAL] == 2 and apart["hospital"] == 1 and apart["clinic"] == 1
        for col in ["units_checked"] + fail_cols:
            assert {i.id for i in units_behind(plan, s, org.city, TOTAL, col)} <= {drawn.id}
        assert adhoc.id not in {i.id for i in units_behind(plan, s, org.city, "hospital", "units_checked")}
        assert {i.id for i in units_behind(plan, s, org.city, TOTAL, ADHOC)} == {adhoc.id, also.id}
        # a special campaign draws nothing: its checks all count (004)
        zw = plan_store.get_plan("2021-zhongwei-fzss")
        _one_unit(org, zw.id, datetime.date(2021, 6, 1), adhoc=True, kind="art")
        assert figures(zw, zw.summaries[0], org.city)["checked"]["licensed"] == 1
    page = browser("city_shr").get(f"/reports/?plan={pid}").get_data(as_text=True)
    assert "临时检查" in page and 'id="adhoc-checks"' in page
    part = page.split('id="adhoc-checks"', 1)[1].split("</section>", 1)[0]
    assert "未计入随机监督抽查汇总表" in part and ">2</a>" in part


def test_zhongwei_revocations_count_every_revocation(app, org):
    """004 吊销行政许可资质: the 执业许可证, a 诊疗科目 and a 人员资格证 each count (not only the licence)."""
    pid = "2021-zhongwei-fzss"
    with app.app_context():
        plan = plan_store.get_plan(pid)
        summary = plan.summaries[0]
        units = [_one_unit(org, pid, datetime.date(2021, 6, d), kind="art") for d in (1, 2, 3)]
        recs = [Record.get(Record.institution == u) for u in units]
        flags = [dict(revoke_license=True), dict(revoke_subject=True), dict(revoke_person=True, revoke_subject=True)]
        for rec, f in zip(recs, flags):
            values = {"revoke_license": False, "revoke_subject": False, "revoke_person": False, **f}
            Handling.update(**values).where(Handling.record == rec).execute()
        got = figures(plan, summary, org.city)["revoke"]
        assert got["licensed"] == 4  # today's main: 1 (only the licence)
        behind = units_behind(plan, summary, org.city, "revoke", "licensed")
        assert {i.id for i in behind} == {u.id for u in units}


def test_money_shown_exactly_in_the_labels_unit():
    from webapp.reports.figures import money

    assert money(123456789, "万元") == Decimal("123.4568")  # 1,234,567.89 元, to the 元
    assert money(1234500000, "万元") == Decimal("1234.5")
    assert money(150, "元") == Decimal("1.5")
    assert money(0, "万元") == Decimal("0")


def test_a_record_counts_with_its_own_plan_version(app, org):
    """An item moved to another column in a newer plan file: old records keep the old column."""
    from webapp.plans.versions import PlanVersion

    pid = "2025-fzss-guangxi"
    with app.app_context():
        plan = plan_store.get_plan(pid)
        summary = plan.summaries[0]
        cols = [c for c in summary.columns if c.source == "items"]
        a, b = cols[0], cols[1]
        text = (pathlib.Path(app.config["FORMS_DIR"]) / plan.source).read_text(encoding="utf-8")
        # the old version: column a had no item of its own but b's; make it by swapping the lists
        old = text.replace(f'items = {list(a.items)!r}'.replace("'", '"'), "items = [\"@@A\"]") \
                  .replace(f'items = {list(b.items)!r}'.replace("'", '"'), f'items = {list(a.items)!r}'.replace("'", '"')) \
                  .replace("items = [\"@@A\"]", f'items = {list(b.items)!r}'.replace("'", '"'))
        assert old != text
        vocabulary = (pathlib.Path(app.config["FORMS_DIR"]) / "_categories.toml").read_text(encoding="utf-8")
        PlanVersion.create(plan_id=pid, version="old-version-0001", content=old, vocabulary=vocabulary)
        inst = factories.make_institution(org.d1, "旧版本辅助生殖中心", kinds=("art",))
        i1 = Inspector.create(name="甲一", cert_no="A1", unit=org.units.d1, user=org.users.insp1)
        i2 = Inspector.create(name="甲二", cert_no="A2", unit=org.units.d1, user=org.users.insp2)
        report_demo.make_records(plan, org.d1, [(inst.id, ["art"])], [(i1, i2)], org.users.reviewer1, random.Random(1), fail_rate=0)
        rec = Record.get(Record.institution == inst)
        Record.update(plan_version="old-version-0001").where(Record.id == rec.id).execute()
        Answer.update(result="fail").where((Answer.record == rec) & (Answer.item_key == a.items[0])).execute()
        got = figures(plan, summary, org.d1)[TOTAL]
        assert got[b.key] == 1 and got[a.key] == 0


def test_the_demo_dates_each_plans_inspections_inside_its_period(app):
    """One consistent story: every demo inspection falls in its plan's period, the random plans'
    tables count only drawn tasks, and the 临时检查 of the walk-through are shown apart."""
    from webapp import demo
    from webapp.org.models import Area

    with app.app_context():
        demo.load()
        outside = [(r.plan_id, r.visit.date) for r in Record.select()
                   if r.visit.date not in plan_store.get_plan(r.plan_id).period]
        assert outside == []
        plan = plan_store.get_plan("2025-xj-yiliao")
        area = Area.get(Area.code == "650102")
        got = figures(plan, plan.summaries[0], area)[TOTAL]
        want = expected_table(plan, plan.summaries[0], area)[TOTAL]
        assert got == want and got["units_checked"] > 0
        assert adhoc_checks(plan, area)[TOTAL] >= 1  # the walk-through's approved 临时检查


UNIT_SOURCES = {"units_total", "units_checked", "items", "revoke_license", "revoke_person", "revoke_subject"}


@pytest.mark.parametrize("plan_id", ["2025-xj-yiliao", "2024-county-yiliao"])
def test_the_units_behind_every_unit_figure_are_as_many_as_it_says(app, org, plan_id):
    """Under the new rules (period, drawn tasks only) the units page of each figure lists exactly
    the units the figure counts, and the 临时检查 shown apart list theirs."""
    with app.app_context():
        make_world(org, [plan_id])
        plan = plan_store.get_plan(plan_id)
        for summary in plan.summaries:
            got = figures(plan, summary, org.city)
            for row in list(summary.rows) + [TOTAL]:
                for col in summary.columns:
                    if col.source in UNIT_SOURCES:
                        n = units_behind(plan, summary, org.city, row, col.key).count()
                        assert n == got[row][col.key], (row, col.key)
        apart = adhoc_checks(plan, org.city)
        assert apart[TOTAL] > 0
        for row, n in apart.items():
            assert units_behind(plan, plan.summaries[0], org.city, row, ADHOC).count() == n, row

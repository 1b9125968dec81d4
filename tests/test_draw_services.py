"""The 双随机 draw: sample sizes from the seed plans' ratios, the remainder tier, the per-district
minimum, 回头看, 回避, inspector balance, identical re-runs, confirmation and capped swaps."""
import datetime

import pytest

from webapp.db import db
from webapp.draw import services
from webapp.draw.models import Draw, InspectorSwap, Task, TaskInspector
from webapp.inspection.models import Handling, Record, Status, Visit, VisitInspector
from webapp.registers.models import Inspector, Recusal
from webapp.registers.services import catalog

from .factories import make_institution


def plan(app, plan_id):
    with app.app_context():
        return catalog().get(plan_id)


def inspectors(unit, n, prefix="员"):
    return [Inspector.create(name=f"{prefix}{unit.id}-{i}", cert_no=f"C{unit.id}{prefix}{i:04d}", unit=unit) for i in range(n)]


def units(area, n, kinds=("hospital",), name="医院"):
    return [make_institution(area, f"{area.name}{name}{i:03d}", kinds) for i in range(n)]


def tasks(draw, tier=None):
    q = Task.select().where(Task.draw == draw)
    if tier:
        q = q.where(Task.tier == tier)
    return list(q.order_by(Task.id))


def test_sample_size_12_percent_of_25_hospitals_is_3(app, org):
    """Seed 001 附表1: 医院 国家双随机 12%, 市级 5%; 25 hospitals → 3 and 2 (round up)."""
    p = plan(app, "2024-county-yiliao")
    with app.app_context():
        units(org.d1, 25)
        inspectors(org.units.d1, 4)
        draw = services.run_draw(p, org.d1, org.users.admin, seed=7)
        assert len(tasks(draw, "national")) == 3
        assert len(tasks(draw, "city")) == 2
        # every task has two distinct active inspectors
        for t in tasks(draw):
            assert len({r.inspector_id for r in t.inspector_rows}) == 2
        assert draw.register_hash and draw.result_hash and draw.seed == 7
        assert Task.get(Task.draw == draw).plan_version == p.version


def test_one_pool_over_several_categories_and_at_least_one(app, org):
    """Seed 001: 社区…其他医疗机构 5% is one pool; a pool of 3 units still gives 1."""
    p = plan(app, "2024-county-yiliao")
    with app.app_context():
        units(org.d1, 1, ("clinic",), "诊所")
        units(org.d1, 2, ("village",), "卫生室")
        inspectors(org.units.d1, 2)
        draw = services.run_draw(p, org.d1, org.users.admin, seed=1)
        national = tasks(draw, "national")
        assert len(national) == 1  # ceil(5% of 3) = 1
        assert national[0].category in ("clinic", "village")
        assert len(tasks(draw, "city")) == 1


def test_remainder_tier_draws_only_what_the_national_tier_left(app, org):
    """Seed 001 附表2: 内设医美科室 国家 20%, 市级 80% of the units the national draw left."""
    p = plan(app, "2024-county-yimei")
    with app.app_context():
        units(org.d1, 10, ("hospital", "cosmetic_dept"), "医美科医院")
        inspectors(org.units.d1, 4)
        for seed in range(5):
            draw = services.run_draw(p, org.d1, org.users.admin, seed=seed)
            national = {t.institution_id for t in tasks(draw, "national")}
            city = {t.institution_id for t in tasks(draw, "city")}
            assert len(national) == 2  # 20% of 10
            assert len(city) == 7  # ceil(80% of the 8 left) = 7
            assert not national & city


def test_per_district_minimum(app, org):
    """Seed 001 附表4 市级: 10% but 每个区县抽 2 家."""
    p = plan(app, "2024-county-mybj")
    with app.app_context():
        units(org.d1, 10, ("mch_other",), "妇产医院")
        units(org.d2, 3, ("mch_other",), "妇产医院")
        inspectors(org.units.d1, 2)
        inspectors(org.units.d2, 2)
        for seed in range(5):
            draw = services.run_draw(p, org.city, org.users.admin, seed=seed)
            city = tasks(draw, "city")
            by_area = {}
            for t in city:
                by_area[t.area_id] = by_area.get(t.area_id, 0) + 1
            assert by_area == {org.d1.id: 2, org.d2.id: 2}
            # inspectors come from the unit's own district when it has enough
            for t in city:
                for r in t.inspector_rows:
                    assert r.inspector.unit.area_id == t.area_id


def _penalised(org, inst, year, status=Status.APPROVED, penalty=True):
    user = org.users.insp1
    visit = Visit.create(institution=inst, area=inst.area, date=datetime.date(year, 5, 10), created_by=user)
    record = Record.create(visit=visit, plan_id="2023-x", plan_version="v", institution=inst, area=inst.area,
                           category="hospital", status=status, created_by=user)
    Handling.create(record=record, penalty=penalty, decided_by=user)
    return visit


def test_lookback_adds_and_flags_units_penalised_in_the_lookback_years(app, org):
    """Seed 001 一(五) 回头看: units penalised in 2023 are re-inspected in 2024 and flagged."""
    p = plan(app, "2024-county-yiliao")
    assert p.lookback.years == (2023,)
    with app.app_context():
        hospitals = units(org.d1, 25)
        inspectors(org.units.d1, 4)
        penalised = hospitals[11]
        _penalised(org, penalised, 2023)
        _penalised(org, hospitals[12], 2022)  # not a lookback year
        _penalised(org, hospitals[13], 2023, status=Status.SUBMITTED)  # not approved
        _penalised(org, hospitals[14], 2023, penalty=False)  # no penalty
        draw = services.run_draw(p, org.d1, org.users.admin, seed=3)
        flagged = {t.institution_id for t in tasks(draw) if t.lookback}
        assert flagged == {penalised.id}
        lookback_tasks = [t for t in tasks(draw) if t.institution_id == penalised.id]
        assert lookback_tasks and all(t.lookback for t in lookback_tasks)
        ok, lines = services.verify(draw)
        assert ok, lines


def test_recusal_is_respected(app, org):
    p = plan(app, "2024-county-yiliao")
    with app.app_context():
        hospital = units(org.d1, 1)[0]
        team = inspectors(org.units.d1, 3)
        Recusal.create(inspector=team[0], institution=hospital, reason="近亲属")
        for seed in range(20):
            draw = services.run_draw(p, org.d1, org.users.admin, seed=seed)
            for t in tasks(draw):
                assert {r.inspector_id for r in t.inspector_rows} == {team[1].id, team[2].id}


def test_too_few_inspectors_after_recusal_is_a_clear_error(app, org):
    p = plan(app, "2024-county-yiliao")
    with app.app_context():
        hospital = units(org.d1, 1)[0]
        team = inspectors(org.units.d1, 2)
        Recusal.create(inspector=team[0], institution=hospital, reason="近亲属")
        with pytest.raises(services.DrawError, match="至少需要 2 人"):
            services.run_draw(p, org.d1, org.users.admin, seed=1)
        assert Draw.select().count() == 0


def test_avoids_the_pair_that_last_checked_the_unit(app, org):
    p = plan(app, "2024-county-yiliao")
    with app.app_context():
        hospital = units(org.d1, 1)[0]
        team = inspectors(org.units.d1, 3)
        visit = Visit.create(institution=hospital, area=hospital.area, date=datetime.date(2025, 3, 1), created_by=org.users.insp1)
        VisitInspector.create(visit=visit, inspector=team[0], position=0)
        VisitInspector.create(visit=visit, inspector=team[1], position=1)
        for seed in range(20):
            draw = services.run_draw(p, org.d1, org.users.admin, seed=seed)
            for t in tasks(draw):
                assert {r.inspector_id for r in t.inspector_rows} != {team[0].id, team[1].id}


def test_load_is_balanced(app, org):
    p = plan(app, "2024-county-yimei")
    with app.app_context():
        units(org.d1, 20, ("cosmetic",), "医美诊所")
        team = inspectors(org.units.d1, 4)
        draw = services.run_draw(p, org.d1, org.users.admin, seed=11)
        load = {i.id: 0 for i in team}
        for r in TaskInspector.select().join(Task).where(Task.draw == draw):
            load[r.inspector_id] += 1
        assert max(load.values()) - min(load.values()) <= 1


def test_same_seed_same_result_and_verify(app, org):
    p = plan(app, "2024-county-yiliao")
    with app.app_context():
        units(org.d1, 40)
        units(org.d1, 30, ("clinic",), "诊所")
        inspectors(org.units.d1, 5)
        a = services.run_draw(p, org.d1, org.users.admin, seed=123456)
        b = services.run_draw(p, org.d1, org.users.admin, seed=123456)
        c = services.run_draw(p, org.d1, org.users.admin, seed=654321)
        assert a.result_hash == b.result_hash and a.register_hash == b.register_hash
        assert a.result_hash != c.result_hash
        assert services.verify(a) == (True, [])
        # the register changes after the draw: verify still re-runs on the snapshot
        units(org.d1, 5, ("hospital",), "新医院")
        assert services.verify(a) == (True, [])
        assert services.register_changed(a) is True
        # a tampered task is found
        row = TaskInspector.select().join(Task).where(Task.draw == a).first()
        other = Inspector.select().where(Inspector.id.not_in([r.inspector_id for r in row.task.inspector_rows])).first()
        TaskInspector.update(inspector=other).where(TaskInspector.id == row.id).execute()
        ok, lines = services.verify(a)
        assert not ok and any("不一致" in line for line in lines)


def test_confirmed_draw_never_changes_and_swaps_are_capped(app, org):
    p = plan(app, "2024-county-yimei")
    with app.app_context():
        units(org.d1, 10, ("cosmetic",), "医美诊所")
        team = inspectors(org.units.d1, 5)
        draw = services.run_draw(p, org.d1, org.users.admin, seed=5)
        task = tasks(draw)[0]
        old = task.inspector_rows[0].inspector_id
        new = next(i.id for i in team if i.id not in {r.inspector_id for r in task.inspector_rows})
        assert "old" in services.swap(task, old, new, "生病", org.users.admin)  # not confirmed yet
        draw = services.confirm(draw, org.users.admin)
        with pytest.raises(services.DrawError):
            services.discard(draw, org.users.admin)
        # 8 tasks (5 national + 3 city) × 2 = 16 drawn inspectors → 15% = 2 swaps
        assert services.swap_cap(draw) == 2
        assert services.swap(Task.get_by_id(task.id), old, new, "", org.users.admin) == {"reason": "请填写调换原因"}
        assert services.swap(Task.get_by_id(task.id), old, new, "因病请假", org.users.admin) == {}
        assert {r.inspector_id for r in Task.get_by_id(task.id).inspector_rows} >= {new}
        t2 = tasks(draw)[1]
        o2 = t2.inspector_rows[0].inspector_id
        n2 = next(i.id for i in team if i.id not in {r.inspector_id for r in t2.inspector_rows})
        assert services.swap(t2, o2, n2, "出差", org.users.admin) == {}
        t3 = tasks(draw)[2]
        o3 = t3.inspector_rows[0].inspector_id
        n3 = next(i.id for i in team if i.id not in {r.inspector_id for r in t3.inspector_rows})
        errors = services.swap(t3, o3, n3, "出差", org.users.admin)
        assert "上限" in errors["reason"]
        assert InspectorSwap.select().count() == 2
        # verification undoes recorded swaps: the draw itself is unchanged
        assert services.verify(Draw.get_by_id(draw.id)) == (True, [])


def test_swap_refuses_a_recused_inspector(app, org):
    p = plan(app, "2024-county-yimei")
    with app.app_context():
        units(org.d1, 10, ("cosmetic",), "医美诊所")
        team = inspectors(org.units.d1, 3)
        draw = services.confirm(services.run_draw(p, org.d1, org.users.admin, seed=5), org.users.admin)
        task = tasks(draw)[0]
        on = {r.inspector_id for r in task.inspector_rows}
        outsider = next(i for i in team if i.id not in on)
        Recusal.create(inspector=outsider, institution=task.institution, reason="曾在该单位任职")
        assert "new" in services.swap(task, next(iter(on)), outsider.id, "请假", org.users.admin)


def test_every_draw_write_is_audited(app, org):
    from webapp.audit.models import AuditEntry

    p = plan(app, "2024-county-yiliao")
    with app.app_context():
        units(org.d1, 5)
        inspectors(org.units.d1, 3)
        draw = services.run_draw(p, org.d1, org.users.admin, seed=2)
        services.confirm(draw, org.users.admin)
        actions = [e.action for e in AuditEntry.select().order_by(AuditEntry.id)]
        assert actions[-2:] == ["draw.run", "draw.confirm"]
        from webapp.plans.catalog import plan_at
        from webapp.plans.versions import PlanVersion

        assert PlanVersion.select().where(PlanVersion.plan_id == p.id).count() == 1
        assert plan_at(p.id, p.version).version == p.version


def test_cli_run_and_verify(app, org, runner):
    with app.app_context():
        units(org.d1, 25)
        inspectors(org.units.d1, 4)
    result = runner.invoke(args=["draw", "run", "--plan", "2024-county-yiliao", "--area", "650102", "--seed", "42"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        draw = Draw.select().order_by(Draw.id.desc()).first()
        assert f"抽取编号 {draw.id}" in result.output
        assert draw.seed == 42
    ok = runner.invoke(args=["draw", "verify", str(draw.id)])
    assert ok.exit_code == 0 and "抽取结果一致" in ok.output
    with app.app_context():
        row = TaskInspector.select().join(Task).where(Task.draw == draw).first()
        taken = [r.inspector_id for r in row.task.inspector_rows]
        other = Inspector.select().where(Inspector.id.not_in(taken)).first()
        TaskInspector.update(inspector=other).where(TaskInspector.id == row.id).execute()
    bad = runner.invoke(args=["draw", "verify", str(draw.id)])
    assert bad.exit_code == 1 and "不一致" in bad.output
    missing = runner.invoke(args=["draw", "run", "--plan", "nope", "--area", "650102"])
    assert missing.exit_code != 0 and "找不到计划" in missing.output


def test_lookback_adds_units_whose_opinion_was_not_rectified(app, org):
    """A 卫生监督意见书 of a lookback year without a 复查 showing 已整改 sends the unit to 回头看."""
    from webapp.documents import services as documents
    from webapp.documents.models import Opinion

    from . import factories

    p = plan(app, "2024-county-yiliao")
    with app.app_context():
        hospitals = units(org.d1, 25)
        inspectors(org.units.d1, 4)
        late = hospitals[17]
        rec = factories.make_failed_record(org.d1, late, [org.users.insp1, org.users.insp2], [("1.1", "未整改的问题")],
                                           plan_id="2024-county-yiliao")
        values = documents.draft_values(rec, org.users.insp1.unit)
        issued = documents.issue(org.users.insp1, documents.create_draft(org.users.insp1, rec, values))
        Opinion.update(year=2023).where(Opinion.id == issued.id).execute()  # as if issued in the lookback year
        draw = services.run_draw(p, org.d1, org.users.admin, seed=5)
        assert {t.institution_id for t in tasks(draw) if t.lookback} == {late.id}
        assert services.verify(draw)[0]

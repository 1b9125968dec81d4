"""The audit log is scoped by area: an admin sees the entries of their own area and below, the
filters list only those, and old entries get their area from what they name (migration 0130)."""
import importlib

from webapp.audit import trail
from webapp.audit.models import AuditEntry
from webapp import migrate
from webapp.db import db
from webapp.org.models import Role, Unit

from . import factories


def _setup(app, org):
    with app.app_context():
        factories.make_user("admin1", org.units.d1, Role.ADMIN, name="甲区管理员")
        prov_unit = Unit.create(name="测试自治区卫生监督所", short_name="测省", kind="卫生监督所", area=org.prov)
        factories.make_user("admin0", prov_unit, Role.ADMIN, name="省管理员")
        i1 = factories.make_institution(org.d1, "甲区第一医院")
        i2 = factories.make_institution(org.d2, "乙区第一医院")
        r1 = factories.make_record(org, institution=i1)
        r2 = factories.make_record(org, institution=i2, inspectors=[org.users.insp3])
        trail.record(org.users.admin, "institution.update", "institution", i1.id, before={"phone": "1"}, after={"phone": "2"})
        trail.record(org.users.admin, "institution.update", "institution", i2.id, before={"phone": "3"}, after={"phone": "4"})
        trail.record(org.users.insp1, "record.submit", "record", r1.id, before={"status": "草稿"}, after={"status": "已提交"})
        trail.record(org.users.insp3, "record.submit", "record", r2.id, before={"status": "草稿"}, after={"status": "已提交"})
        trail.record(org.users.reviewer2, "summary.review", "summary_report", 999, after={"area": "650103"})
        trail.record(None, "area.create", "area", 12345, after={"code": "659999", "name": "无处"})
    return i1, i2


def _text(resp):
    assert resp.status_code == 200
    return resp.get_data(as_text=True)


def test_district_admin_sees_only_their_area(app, org, browser):
    _setup(app, org)
    page = _text(browser("admin1").get("/audit/"))
    assert "甲区第一医院" in page and "甲监督员一" in page
    assert "乙区第一医院" not in page and "乙监督员" not in page and "乙审核人" not in page
    assert "显示最近 2 条" in page
    assert "无处" not in page  # an entry of no area: only the top of the tree sees it
    # the filters offer only what the admin may see
    assert 'value="summary.review"' not in page and f'value="{org.users.insp3.id}"' not in page
    assert "乙区" not in _text(browser("admin1").get(f"/audit/?actor={org.users.insp3.id}"))


def test_city_admin_sees_the_districts_below(app, org, browser):
    _setup(app, org)
    page = _text(browser("admin").get("/audit/"))
    assert "甲区第一医院" in page and "乙区第一医院" in page and "乙审核人" in page
    assert "无处" not in page
    top = _text(browser("admin0").get("/audit/"))
    assert "无处" in top and "显示最近 6 条" in top


def test_entries_carry_their_area(app, org):
    i1, i2 = _setup(app, org)
    with app.app_context():
        by_action = {}
        for e in AuditEntry.select().order_by(AuditEntry.id):
            by_action.setdefault(e.action, []).append(e.area_id)
    assert by_action["institution.update"] == [org.d1.id, org.d2.id]
    assert by_action["record.submit"] == [org.d1.id, org.d2.id]
    assert by_action["summary.review"] == [org.d2.id]  # from the area code in the entry
    assert by_action["area.create"] == [None]


def test_migration_fills_old_rows_and_keeps_the_chain(app, org, runner):
    """Entries written before 0130 get the area their record, institution or actor names;
    the area is not hashed, so the chain still verifies."""
    _setup(app, org)
    with app.app_context():
        before = dict(AuditEntry.select(AuditEntry.id, AuditEntry.area_id).tuples())
        db.execute_sql("UPDATE audit_entry SET area_id = NULL")
        importlib.import_module("webapp.migrations.0130_audit_area").fill_areas(db.obj)
        after = dict(AuditEntry.select(AuditEntry.id, AuditEntry.area_id).tuples())
    assert after == before
    assert runner.invoke(args=["audit", "verify"]).output.startswith("审计链完整")


def test_migration_upgrades_an_old_database(empty_app):
    """On a database from before 0130 with rows, db-upgrade adds the column and fills it."""
    migrate.upgrade(target="0060_task_imports")
    p = db.param
    db.execute_sql("INSERT INTO area (code, name, level, path) VALUES ('650000', '省', 1, '/650000/')")
    db.execute_sql("INSERT INTO area (code, name, level, path, parent_id) VALUES ('650102', '甲区', 2, '/650000/650102/', 1)")
    db.execute_sql("INSERT INTO unit (name, short_name, kind, area_id) VALUES ('甲区卫生监督所', '甲', '卫生监督所', 2)")
    db.execute_sql(f'INSERT INTO "user" (username, name, unit_id, phone, password_hash, active, created_at) '
                   f"VALUES ('old', '老用户', 1, '', 'x', {p}, '2024-01-01 00:00:00')", (True,))
    db.execute_sql("INSERT INTO institution (name, credit_code, license_no, area_id, address, legal_rep, phone, status, "
                   "version, updated_at) VALUES ('老医院', '12650102000000001X', '', 2, '', '', '', '在业', 1, '2024-01-01 00:00:00')")
    for i, (inst, actor) in enumerate([("1", "1"), ("NULL", "1"), ("NULL", "NULL")]):
        db.execute_sql("INSERT INTO audit_entry (at, actor_id, action, entity, entity_id, before, after, prev_hash, hash, "
                       f"institution_id) VALUES ('2024-01-01 00:00:00', {actor}, 'institution.update', 'institution', '1', '', '', "
                       f"'p{i}', 'h{i}', {inst})")
    result = empty_app.test_cli_runner().invoke(args=["db-upgrade"])
    assert result.exit_code == 0 and "已应用迁移 0130_audit_area" in result.output, result.output
    areas = [r[0] for r in db.execute_sql("SELECT area_id FROM audit_entry ORDER BY id").fetchall()]
    assert areas == [2, 2, None]  # from the institution, from the actor's unit, from nothing

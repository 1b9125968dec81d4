"""Plan versions are stored exactly as they were loaded (the file's text and the vocabulary it was
checked against), never re-read from forms/; an old record opens with its own version after the
file is changed or broken, and an old version is read with its own vocabulary, not today's."""
import hashlib
import shutil

import pytest

from webapp import migrate
from webapp.db import db
from webapp.inspection.models import Record
from webapp.plans import catalog as plans
from webapp.plans.loader import FORMS_DIR, PlanError, load_plan_text, load_vocabulary
from webapp.plans.versions import PlanVersion, remember_version, stored_plan

from . import factories

PLAN = "2025-mybj-tianjin"
OLD_TEXT = "机构按照批准的业务范围和服务项目执业"  # an item of section 2


def _sha(text):
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


@pytest.fixture
def forms(app, tmp_path):
    """A copy of forms/ that the app reads, so the test can edit and break its files."""
    target = tmp_path / "forms"
    shutil.copytree(FORMS_DIR, target)
    app.config["FORMS_DIR"] = str(target)
    yield target
    plans.forget()


def _start(browser, org, task):
    me, other = factories.register_inspector(org.users.insp1), factories.register_inspector(org.users.insp2)
    resp = browser.post(f"/inspection/tasks/{task.id}/start", {
        "date": "2025-06-01", "place": "院内", "representative": "李主任", "inspectors": [str(me.id), str(other.id)]})
    assert resp.status_code == 303, resp.get_data(as_text=True)
    return Record.get(Record.task == task.id)


def _task(org):
    inst = factories.make_institution(org.d1, "甲区妇幼保健院", kinds=("mch",), services=("abortion",))
    return factories.make_task(inst, [org.users.insp1, org.users.insp2], PLAN)


def test_the_catalog_stores_each_version_as_it_loads_it(app, forms):
    for name in ("_categories.toml", f"{PLAN}.toml"):  # byte for byte, whatever the line endings
        path = forms / name
        path.write_bytes(path.read_bytes().replace(b"\n", b"\r\n"))
    with app.app_context():
        loaded = plans.catalog()
        vocabulary = (forms / "_categories.toml").read_bytes().decode("utf-8")
        for plan in loaded.plans.values():
            row = PlanVersion.get((PlanVersion.plan_id == plan.id) & (PlanVersion.version == plan.version))
            assert row.content == (forms / plan.source).read_bytes().decode("utf-8")
            assert row.vocabulary == vocabulary and _sha(row.content) == plan.version
        assert "\r\n" in vocabulary


def test_a_plan_file_broken_after_loading_is_never_stored(app, org, forms, browser):
    """The defect: the file is edited so that it no longer loads, then a record of the version
    loaded before is started; the broken file was stored as that version, and every record of
    it failed to open from then on."""
    path = forms / f"{PLAN}.toml"
    good = path.read_bytes().decode("utf-8")
    with app.app_context():
        task = _task(org)
        version = plans.catalog().get(PLAN).version
        PlanVersion.delete().execute()  # not stored yet: the first use below stores it
    path.write_text(good.replace("[[sections]]", "[[sections]\n", 1), encoding="utf-8")  # no longer loads
    b = browser("jdy1")
    record = _start(b, org, task)
    assert record.plan_version == version
    row = PlanVersion.get((PlanVersion.plan_id == PLAN) & (PlanVersion.version == version))
    assert row.content == good and _sha(row.content) == version
    # the file is fixed differently (a new version), and the process restarts
    path.write_text(good.replace(OLD_TEXT, "新版检查项文字"), encoding="utf-8")
    plans.forget()
    page = b.get(f"/inspection/records/{record.id}/sections/2")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert OLD_TEXT in text and "新版检查项文字" not in text


def test_an_old_record_opens_while_its_plan_file_is_broken(app, org, forms, browser):
    b = browser("jdy1")
    with app.app_context():
        task = _task(org)
    record = _start(b, org, task)
    path = forms / f"{PLAN}.toml"
    path.write_text("id = ", encoding="utf-8")
    plans.forget()  # a restart: no good catalog to fall back on
    with app.app_context():
        with pytest.raises(PlanError):
            plans.catalog()
    page = b.get(f"/inspection/records/{record.id}/sections/2")
    assert page.status_code == 200 and OLD_TEXT in page.get_data(as_text=True)


def test_an_old_version_is_read_with_its_own_vocabulary(app, org, forms, browser):
    """_categories.toml renames a service and the plan follows (a new version): the old version
    still loads, with the vocabulary it was checked against, not today's."""
    for p in forms.glob("*.toml"):
        if p.name not in (f"{PLAN}.toml", "_categories.toml"):
            p.unlink()
    b = browser("jdy1")
    with app.app_context():
        task = _task(org)
    record = _start(b, org, task)
    old = record.plan_version
    vocab = forms / "_categories.toml"
    vocab.write_text(vocab.read_text(encoding="utf-8").replace('key = "abortion"\nname = "终止妊娠手术"',
                                                               'key = "termination"\nname = "终止妊娠"'), encoding="utf-8")
    path = forms / f"{PLAN}.toml"
    path.write_text(path.read_text(encoding="utf-8").replace('"abortion"', '"termination"'), encoding="utf-8")
    plans.forget()
    with app.app_context():
        current = plans.catalog().get(PLAN)
        assert current.version != old  # today's vocabulary and plan load
        with pytest.raises(PlanError):  # the old file does not check against today's vocabulary
            _old_against_today(old, forms)
        plan = stored_plan(PLAN, old)
        assert plan.version == old and "abortion" in plan.vocabulary.services
        assert plans.plan_for(record).version == old
    page = b.get(f"/inspection/records/{record.id}/sections/2")
    assert page.status_code == 200 and OLD_TEXT in page.get_data(as_text=True)


def _old_against_today(version, forms):
    row = PlanVersion.get((PlanVersion.plan_id == PLAN) & (PlanVersion.version == version))
    load_plan_text(row.content, f"{PLAN}.toml", load_vocabulary(forms))


def test_remember_version_refuses_a_plan_whose_text_is_not_its_version(app, forms):
    import dataclasses

    with app.app_context():
        plan = plans.catalog().get(PLAN)
        forged = dataclasses.replace(plan, text=plan.text + "\n# edited")
        PlanVersion.delete().execute()
        with pytest.raises(ValueError):
            remember_version(forged)
        assert not PlanVersion.select().exists()


# ---- migration 0120: existing rows ----------------------------------------------------------


@pytest.fixture
def old_app(empty_app):
    yield empty_app
    plans.forget()


def test_migration_gives_old_rows_a_vocabulary_and_repairs_broken_ones(old_app):
    names = [m.name for m in migrate.runner().status()]
    mine = "0120_plan_version_vocabulary"
    migrate.upgrade(target=names[names.index(mine) - 1])
    good = (FORMS_DIR / f"{PLAN}.toml").read_bytes().decode("utf-8")
    other = (FORMS_DIR / "2025-xj-yiliao.toml").read_bytes().decode("utf-8")
    p = db.param
    insert = f"INSERT INTO plan_version (plan_id, version, content, stored_at) VALUES ({p}, {p}, {p}, '2025-01-01 00:00:00')"
    db.execute_sql(insert, (PLAN, _sha(good), good))
    # stored by the defect: the file as edited after loading, under the version loaded before
    db.execute_sql(insert, ("2025-xj-yiliao", _sha(other), "id = "))
    with old_app.app_context():
        migrate.upgrade()
        vocabulary = (FORMS_DIR / "_categories.toml").read_bytes().decode("utf-8")
        rows = {r.plan_id: r for r in PlanVersion.select()}
        assert rows[PLAN].content == good and rows[PLAN].vocabulary == vocabulary
        assert rows["2025-xj-yiliao"].content == other and rows["2025-xj-yiliao"].vocabulary == vocabulary
        assert stored_plan("2025-xj-yiliao", _sha(other)).version == _sha(other)

"""The one state mechanism (webapp/workflow.py) and what it guarantees across the features:
one label per state, the table as data, who before state, compare-and-set with its audit entry
in one transaction, templates that ask instead of comparing; the defects it closed."""
import datetime
import pathlib
import re

import pytest
from werkzeug.datastructures import MultiDict

from webapp.audit.models import AuditEntry
from webapp.documents import services as documents
from webapp.documents.models import OpinionStatus
from webapp.draw import services as draws
from webapp.draw.models import Draw, DrawStatus, Task
from webapp.inspection.models import Record, Status
from webapp.reports import workflow as reports
from webapp.reports.models import SummaryStatus
from webapp.inspection import workflow as review
from webapp.states import Refused, State
from webapp.tasklist import services as tasklist
from webapp.tasklist.models import BatchStatus
from webapp.workflow import Machine

from . import factories

TEMPLATES = pathlib.Path(__file__).resolve().parent.parent / "templates"
MACHINES = {"record": review.MACHINE, "summary": reports.MACHINE, "opinion": documents.MACHINE,
            "draw": draws.MACHINE, "import": tasklist.MACHINE}
ENUMS = [Status, SummaryStatus, OpinionStatus, DrawStatus, BatchStatus]


# --- one label per state, the table as data ----------------------------------------------------

@pytest.mark.parametrize("enum", ENUMS, ids=lambda e: e.__name__)
def test_every_state_has_one_chinese_label(enum):
    assert issubclass(enum, State)
    labels = [s.label for s in enum]
    assert len(set(labels)) == len(labels)
    for label in labels:
        assert re.search(r"[\u4e00-\u9fff]", label), label
        assert not label.startswith("已已"), label


@pytest.mark.parametrize("name", MACHINES)
def test_tables_are_data_over_their_own_states(name):
    m = MACHINES[name]
    for (verb, source), target in m.transitions.items():
        assert verb in m.verbs and isinstance(source, m.states)
        assert target is None or isinstance(target, m.states)


# --- templates ask, never compare ------------------------------------------------------------------

# A comparison of a status/state/confirmed value, on either side of the operator.
COMPARISON = re.compile(
    r"\b(status|state|confirmed)\b\s*(==|!=|<=|>=|<|>|\bnot\s+in\b|\bin\b|\bis\b)"
    r"|(==|!=)\s*[\w.\[\]'\"]*\b(status|state|confirmed)\b")
# The registers' filter and edit forms mark the chosen <option>: a form value echoed back, not
# the state of an object.
FORM_ECHOES = {("registers/institutions.html", "f.status == s"), ("registers/institution_form.html", "data.status == s")}


def _jinja_code(text):
    """The expressions and statements of a template ({{ … }} and {% … %}), comments dropped."""
    text = re.sub(r"{#.*?#}", "", text, flags=re.S)
    return re.findall(r"{[{%](.*?)[}%]}", text, flags=re.S)


def comparisons(relative, text):
    found = []
    for code in _jinja_code(text):
        for m in COMPARISON.finditer(code):
            snippet = code[max(0, m.start() - 12):m.end() + 4]
            if not any(rel == relative and echo in code for rel, echo in FORM_ECHOES):
                found.append(snippet.strip())
    return found


@pytest.mark.parametrize("bad", [
    "{% if record.status == 2 %}", "{% if opinion.status != 1 %}", "{% if record.status in (1, 3) %}",
    "{{ 'x' if rec.status not in (0, 2) }}", "{% if 3 == record.status %}", "{% if d.confirmed == true %}",
    "{% if report.state is sameas x %}"])
def test_the_rule_catches_comparisons(bad):
    assert comparisons("x.html", bad)


@pytest.mark.parametrize("good", [
    "{{ record.state.label }}", "{% if can('confirm') %}", "{% if s.can_void(user, opinion) %}",
    '<span class="state state-{{ record.status }}">', "{{ record.status|record_status }}", "{% if record_locked(record) %}",
    "<p role=\"status\">已导入</p>"])
def test_the_rule_lets_questions_through(good):
    assert not comparisons("x.html", good)


def test_no_template_compares_a_status():
    offending = {}
    for path in sorted(TEMPLATES.rglob("*.html")):
        rel = path.relative_to(TEMPLATES).as_posix()
        found = comparisons(rel, path.read_text(encoding="utf-8"))
        if found:
            offending[rel] = found
    assert not offending, f"templates compare status values (ask allowed()/can_* instead): {offending}"


# --- the mechanism: who, then state; compare-and-set with its audit entry -----------------------

def _draw(app, org, users=("insp1", "insp2"), n=8):
    """An unconfirmed draw of 2024-county-yiliao in 甲区 whose teams are the given users."""
    from webapp.plans.catalog import catalog

    with app.app_context():
        for i in range(n):
            factories.make_institution(org.d1, f"甲区第{i:02d}医院")
        for u in users:
            factories.register_inspector(getattr(org.users, u))
        return draws.run_draw(catalog().get("2024-county-yiliao"), org.d1, org.users.admin, seed=7, witnesses="王某")


def test_actor_is_refused_before_state_and_nothing_changes(app, org):
    draw = _draw(app, org)
    with app.app_context():
        before = AuditEntry.select().count()
        with pytest.raises(draws.DrawError) as who:
            draws.confirm(draw, org.users.insp1)  # not an admin: 403 even though the state would allow it
        assert who.value.code == 403
        draws.confirm(draw, org.users.admin)
        with pytest.raises(draws.DrawError) as state:
            draws.confirm(draw, org.users.admin)  # the stale object still says 待确认: the table refuses
        assert state.value.code == 409 and "已确认" in state.value.message
        assert AuditEntry.select().where(AuditEntry.action == "draw.confirm").count() == 1
        assert AuditEntry.select().count() == before + 1


def test_compare_and_set_loses_quietly_to_the_first(app, org):
    """Two reviewers with the same page: the second finds the record decided; one audit entry."""
    with app.app_context():
        rec = factories.make_record(org, status=Status.SUBMITTED)
        stale = Record.get_by_id(rec.id)
        review.approve(org.users.reviewer1, rec)
        with pytest.raises(review.TransitionError) as e:
            review.return_(org.users.city_reviewer, stale, "数字有误")
        assert e.value.code == 409
        assert Record.get_by_id(rec.id).state == Status.APPROVED
        actions = [a.action for a in AuditEntry.select().where(AuditEntry.record_id == rec.id)]
        assert actions == ["record.approve"]


def test_state_change_and_audit_entry_commit_together(app, org):
    """Whatever the verb writes after the compare-and-set fails: the state change is undone too."""
    with app.app_context():
        rec = factories.make_record(org, status=Status.SUBMITTED)

        def boom(fresh):
            assert fresh.state == Status.APPROVED and AuditEntry.select().count() == 1  # inside the transaction
            raise RuntimeError("disk full")

        with pytest.raises(RuntimeError):
            review.MACHINE.apply(org.users.reviewer1, rec, "approve", then=boom)
        assert Record.get_by_id(rec.id).state == Status.SUBMITTED
        assert AuditEntry.select().count() == 0


def test_allowed_is_what_apply_does(app, org):
    """Every (user, state, verb) of the record table: allowed() says yes exactly when apply works."""
    users = [org.users.insp1, org.users.reviewer1, org.users.admin, org.users.city_reviewer]
    with app.app_context():
        for state in Status:
            for verb in review.VERBS:
                for user in users:
                    rec = factories.make_record(org, status=state)
                    ok = review.allowed(user, rec, verb)
                    try:
                        review.apply(user, rec, verb, reason="原因")
                        done = True
                    except review.TransitionError:
                        done = False
                    assert ok == done, (state, verb, user.username)


def test_a_machine_needs_a_label_for_every_verb():
    with pytest.raises(ValueError):
        Machine(Draw, DrawStatus, {("go", DrawStatus.PENDING): DrawStatus.CONFIRMED}, {})


def test_locked_record_raises_for_writes_inside_their_transaction(app, org):
    """check_editable is the raise-based lock the write services call; the app answers it 409."""
    with app.app_context():
        rec = factories.make_record(org, status=Status.APPROVED)
        with pytest.raises(review.Locked) as e:
            review.check_editable(rec)
        assert e.value.code == 409 and e.value.message == review.LOCK_MESSAGES[Status.APPROVED]
        assert isinstance(e.value, Refused)
        review.check_editable(factories.make_record(org, status=Status.RETURNED))


# --- defect: a pending draw's tasks are not there for inspectors --------------------------------

def test_tasks_of_an_unconfirmed_draw_are_neither_listed_nor_startable(app, org, browser):
    draw = _draw(app, org)
    with app.app_context():
        task = Task.select().where(Task.draw == draw).first()
        name = task.institution.name
        assert task is not None and not task.is_released
    insp = browser("jdy1")
    assert name not in insp.get("/inspection/tasks").get_data(as_text=True)
    unit_page = insp.get(f"/registers/institutions/{task.institution_id}").get_data(as_text=True)
    assert f"抽取 {draw.id}" not in unit_page and "暂无抽取任务" in unit_page
    assert f"抽取 {draw.id}" in browser("admin").get(f"/registers/institutions/{task.institution_id}").get_data(as_text=True)
    assert insp.get(f"/inspection/tasks/{task.id}/start").status_code == 404
    form = {"date": datetime.date.today().isoformat(), "place": "现场", "representative": "张院长"}
    assert insp.post(f"/inspection/tasks/{task.id}/start", form).status_code == 404
    with app.app_context():
        with pytest.raises(Refused):
            factories.start_inspection(task, [org.users.insp1, org.users.insp2])
        assert Record.select().count() == 0
    # … so discarding the draw always works
    assert browser("admin").post(f"/draw/{draw.id}/discard", {}).status_code == 303
    with app.app_context():
        assert Draw.select().count() == 0 and Task.select().count() == 0


def test_tasks_reach_inspectors_once_the_draw_is_confirmed(app, org, browser):
    draw = _draw(app, org)
    assert browser("admin").post(f"/draw/{draw.id}/confirm", {}).status_code == 303
    with app.app_context():
        task = Task.select().where(Task.draw == draw).first()
        assert Draw.get_by_id(draw.id).state == DrawStatus.CONFIRMED and task.is_released
        name = task.institution.name
    insp = browser("jdy1")
    assert name in insp.get("/inspection/tasks").get_data(as_text=True)
    assert insp.get(f"/inspection/tasks/{task.id}/start").status_code == 200
    # confirmed: discard is refused, and the page no longer offers it
    page = browser("admin").get(f"/draw/{draw.id}").get_data(as_text=True)
    assert 'id="confirm-draw"' not in page and "/discard" not in page and "调换" in page


# --- defect: "已已提交" / "已已通过" -------------------------------------------------------------

@pytest.mark.parametrize("state", [Status.SUBMITTED, Status.APPROVED], ids=lambda s: s.name)
def test_locked_record_says_its_state_once(app, org, browser, state):
    with app.app_context():
        rec = factories.make_record(org, status=state)
    page = browser("jdy1").get(f"/inspection/records/{rec.id}").get_data(as_text=True)
    assert "已已" not in page
    assert f"记录{state.label}，锁定" in page


# --- demo data goes through the transitions ------------------------------------------------------

def test_demo_records_are_made_through_the_workflow(app, org):
    """The reports demo step: every approved record has its submit and approve entries, in order."""
    import random

    from webapp.plans.catalog import catalog
    from webapp.reports import demo as reports_demo

    with app.app_context():
        plan = catalog().get("2025-xj-yiliao")
        inst = [factories.make_institution(org.d1, f"甲区演示医院{i}") for i in range(3)]
        i1, i2 = factories.register_inspector(org.users.insp1), factories.register_inspector(org.users.insp2)
        made = reports_demo.make_records(plan, org.d1, [(i.id, ["hospital"]) for i in inst], [(i1, i2)],
                                         org.users.reviewer1, random.Random(3))
        assert made == 3
        for rec in Record.select():
            assert rec.state == Status.APPROVED
            actions = [e.action for e in AuditEntry.select().where(AuditEntry.record_id == rec.id).order_by(AuditEntry.id)]
            assert actions == ["record.submit", "record.approve"], actions


def test_summary_supersede_is_a_transition_with_its_entry(app, org):
    from webapp.plans.catalog import catalog
    from webapp.reports.models import SummaryReport

    with app.app_context():
        plan = catalog().get("2025-xj-yimei")
        first = reports.submit(org.users.insp1, plan, org.d1)
        second = reports.submit(org.users.insp1, plan, org.d1)
        assert SummaryReport.get_by_id(first.id).state == SummaryStatus.SUPERSEDED
        assert second.state == SummaryStatus.SUBMITTED and second.number == 2
        entry = AuditEntry.get(AuditEntry.action == "summary.supersede")
        assert entry.entity_id == str(first.id)


def test_tasklist_refusals_stay_on_the_page(app, org):
    """An imported list refuses mapping, resolution and discard as a mistake beside its step."""
    from webapp.errors import Invalid
    from webapp.tasklist.models import ImportBatch

    with app.app_context():
        batch = ImportBatch.create(plan_id="2024-county-yiliao", area=org.d1, source="平台", file_name="a.csv",
                                   file_hash="0" * 64, status=int(BatchStatus.DONE), created_by=org.users.admin)
        with pytest.raises(Invalid) as e:
            tasklist.discard(batch, org.users.admin)
        assert e.value.errors == {"discard": "已导入的清单不能删除"}
        with pytest.raises(Invalid) as e:
            tasklist.save_mapping(batch, MultiDict(), org.users.admin)
        assert "不能再修改列对应" in e.value.errors["mapping"]
        assert not tasklist.allowed(org.users.admin, batch, "confirm")
        assert ImportBatch.get_by_id(batch.id).state == BatchStatus.DONE


def test_one_allowed_for_every_kind_of_object(app, org):
    """webapp.workflow.allowed (the template global `allowed(obj, verb)`) finds each table."""
    from webapp import workflow
    from webapp.documents.models import Opinion
    from webapp.reports.models import SummaryReport
    from webapp.tasklist.models import ImportBatch

    assert {m.model for m in MACHINES.values()} == {Record, SummaryReport, Opinion, Draw, ImportBatch}
    assert all(workflow.MACHINES[m.model] is m for m in MACHINES.values())
    draw = _draw(app, org)
    with app.app_context():
        assert workflow.allowed(org.users.admin, draw, "confirm") and not workflow.allowed(org.users.admin, draw, "swap")
        assert not workflow.allowed(org.users.insp1, draw, "confirm")
        with pytest.raises(TypeError):
            workflow.allowed(org.users.admin, org.users.admin, "confirm")


# --- every (state, verb) of the 意见书 and 汇总表 tables, through their services ------------------

def _opinion_in(org, state):
    inst = factories.make_institution(org.d1, f"甲区某诊所{state.name}")
    rec = factories.make_failed_record(org.d1, inst, [org.users.insp1, org.users.insp2], [("1.1", "无证执业")])
    op = documents.create_draft(org.users.insp1, rec, documents.draft_values(rec, org.units.d1))
    if state != OpinionStatus.DRAFT:
        op = documents.issue(org.users.insp1, op)
    if state == OpinionStatus.VOIDED:
        op, _ = documents.void(org.users.insp1, op, "地址有误")
    return op


def _opinion_verb(verb, user, op, org):
    today = datetime.date.today()
    if verb == "edit":
        return documents.update_draft(user, op, {"subject": "新名称", "body": "意见。", "deadline": today.isoformat()})
    if verb == "issue":
        return documents.issue(user, op)
    if verb == "void":
        return documents.void(user, op, "原因")
    if verb == "print":
        return documents.record_print(user, op)
    return documents.add_follow_up(user, op, {"result": "done", "date": today.isoformat(),
                                              "inspector1": str(factories.register_inspector(org.users.insp1).id)})


@pytest.mark.parametrize("state", list(OpinionStatus), ids=lambda s: s.name)
@pytest.mark.parametrize("verb", list(documents.VERB_LABELS))
def test_opinion_table_is_what_the_services_do(app, org, state, verb):
    with app.app_context():
        op = _opinion_in(org, state)
        before = (op.status, op.version, op.print_count, AuditEntry.select().count())
        if (verb, state) in documents.TRANSITIONS:
            _opinion_verb(verb, org.users.insp1, op, org)
            fresh = documents.Opinion.get_by_id(op.id)
            assert fresh.state == documents.TRANSITIONS[(verb, state)]
            assert AuditEntry.select().count() > before[3]
        else:
            with pytest.raises(documents.DocumentError) as e:
                _opinion_verb(verb, org.users.insp1, op, org)
            assert e.value.code == 409
            fresh = documents.Opinion.get_by_id(op.id)
            assert (fresh.status, fresh.version, fresh.print_count, AuditEntry.select().count()) == before
        # someone of another district is refused whatever the state (403), and nothing changes
        if verb != "print":
            with pytest.raises(documents.DocumentError) as e:
                _opinion_verb(verb, org.users.insp3, documents.Opinion.get_by_id(op.id), org)
            assert e.value.code == 403


@pytest.mark.parametrize("state", list(SummaryStatus), ids=lambda s: s.name)
@pytest.mark.parametrize("verb", reports.VERBS)
def test_summary_table_is_what_the_services_do(app, org, state, verb):
    from webapp.plans.catalog import catalog
    from webapp.reports.models import SummaryReport

    with app.app_context():
        report = reports.submit(org.users.insp1, catalog().get("2025-xj-yimei"), org.d1)
        SummaryReport.update(status=int(state)).where(SummaryReport.id == report.id).execute()
        report = SummaryReport.get_by_id(report.id)
        actor = {"review": org.users.reviewer1, "approve": org.users.head1,
                 "return": org.users.head1 if state == SummaryStatus.REVIEWED else org.users.reviewer1}[verb]
        entries = AuditEntry.select().count()
        call = (lambda: reports.return_(actor, report, "数字有误")) if verb == "return" else (
            lambda: getattr(reports, verb)(actor, report))
        if (verb, state) in reports.TRANSITIONS:
            assert call().state == reports.TRANSITIONS[(verb, state)]
            assert AuditEntry.select().count() == entries + 1
        else:
            with pytest.raises(reports.SummaryError) as e:
                call()
            assert e.value.code == 409
            assert SummaryReport.get_by_id(report.id).state == state and AuditEntry.select().count() == entries

"""Factory helpers for the organisation, users and institutions."""
from types import SimpleNamespace

from webapp.db import db
from webapp.org.models import Area, Role, Unit, User
from webapp.registers import creditcode
from webapp.registers.models import Institution, InstitutionKind, InstitutionService

PASSWORD = "test-pass-123"


def make_user(username, unit, *roles, name=None, password=PASSWORD):
    user = User(username=username, name=name or username, unit=unit)
    user.set_password(password)
    user.save()
    user.grant(*roles)
    return user


def make_org():
    """省 A → 市 B → 区 C1, C2; a unit in the city and in each district; users of every role."""
    with db.atomic():
        prov = Area.make("650000", "测试自治区")
        city = Area.make("650100", "测试市", prov)
        d1 = Area.make("650102", "甲区", city)
        d2 = Area.make("650103", "乙区", city)
        u_city = Unit.create(name="测试市卫生监督所", short_name="测", kind="卫生监督所", area=city)
        u1 = Unit.create(name="甲区卫生监督所", short_name="甲", kind="卫生监督所", area=d1)
        u2 = Unit.create(name="乙区卫生监督所", short_name="乙", kind="卫生监督所", area=d2)
        users = SimpleNamespace(
            admin=make_user("admin", u_city, Role.ADMIN, name="管理员"),
            city_reviewer=make_user("city_shr", u_city, Role.REVIEWER, name="市审核人"),
            city_head=make_user("city_fzr", u_city, Role.HEAD, name="市负责人"),
            insp1=make_user("jdy1", u1, Role.INSPECTOR, name="甲监督员一"),
            insp2=make_user("jdy2", u1, Role.INSPECTOR, name="甲监督员二"),
            reviewer1=make_user("shr1", u1, Role.REVIEWER, name="甲审核人"),
            head1=make_user("fzr1", u1, Role.HEAD, name="甲负责人"),
            insp3=make_user("jdy3", u2, Role.INSPECTOR, name="乙监督员"),
            reviewer2=make_user("shr2", u2, Role.REVIEWER, name="乙审核人"),
        )
    return SimpleNamespace(prov=prov, city=city, d1=d1, d2=d2, units=SimpleNamespace(city=u_city, d1=u1, d2=u2), users=users)


_seq = [0]


def credit_code(area_code="650102"):
    _seq[0] += 1
    return creditcode.complete(f"12{area_code}{_seq[0]:09d}")


def make_institution(area, name, kinds=("hospital",), services=(), **fields):
    with db.atomic():
        inst = Institution.create(name=name, credit_code=fields.pop("credit_code", None) or credit_code(area.code), area=area, **fields)
        for k in kinds:
            InstitutionKind.create(institution=inst, kind=k)
        for s in services:
            InstitutionService.create(institution=inst, service=s)
    return inst


# --- review (issue 6): records in any state, made directly with the models ---------------
REVIEW_PLAN_ID = "2025-xj-yiliao"


def inspector_for(user):
    """The 执法人员 register entry of a user (made on first use)."""
    from webapp.registers.models import Inspector

    row = Inspector.get_or_none(Inspector.user == user)
    if row is None:
        _seq[0] += 1
        row = Inspector.create(name=user.name, cert_no=f"T{_seq[0]:08d}", unit=user.unit, user=user)
    return row


def make_record(org, inspectors=None, status=0, fails=0, passes=2, institution=None, plan_id=REVIEW_PLAN_ID,
                area=None, return_reason="", submitted_days_ago=0):
    """A record of `plan_id` in `status` (an inspection.models.Status or int), inspected by the
    given users (default: jdy1 and jdy2 of 甲区), with `fails` items 不合格 and `passes` 合格."""
    import datetime

    from webapp.inspection.models import Answer, Handling, Record, Result, Visit, VisitInspector
    from webapp.plans.loader import load_plans

    users = list(inspectors) if inspectors is not None else [org.users.insp1, org.users.insp2]
    area = area or (institution.area if institution else org.d1)
    if institution is None:
        _seq[0] += 1
        institution = make_institution(area, f"测试医院{_seq[0]}")
    plan = load_plans().get(plan_id)
    now = datetime.datetime.now()
    submitted = now - datetime.timedelta(days=submitted_days_ago) if int(status) else None
    with db.atomic():
        visit = Visit.create(institution=institution, area=area, created_by=users[0], place=institution.address)
        for i, u in enumerate(users):
            VisitInspector.create(visit=visit, inspector=inspector_for(u), position=i)
        record = Record.create(visit=visit, plan_id=plan.id, plan_version=plan.version, institution=institution,
                               area=area, category=plan.categories[0].key, status=int(status), created_by=users[0],
                               submitted_at=submitted, return_reason=return_reason)
        items = list(plan.items)
        for i, item in enumerate(items[:fails + passes]):
            fail = i < fails
            Answer.create(record=record, item_key=item.key, result=Result.FAIL if fail else Result.PASS,
                          finding="现场发现问题" if fail else "", answered_by=users[0])
        if fails:
            Handling.create(record=record, order_correction=True, warning=True, decided_by=users[0], note="责令限期改正")
    return record


def make_failed_record(area, institution, inspector_users, failures, plan_id="2025-xj-yiliao", status=None,
                       opinion=True, passes=()):
    """(documents) A visit by inspector_users with a record of `plan_id` in which each
    (item_key, finding) of `failures` failed, plus Handling(opinion=…). Inspector rows are made
    for users that have none. Uses the plan's current version."""
    import datetime

    from webapp.inspection.models import Answer, Handling, Record, Status, Visit, VisitInspector
    from webapp.plans.loader import load_plans
    from webapp.registers.models import Inspector

    plan = load_plans().get(plan_id)
    status = Status.APPROVED if status is None else status
    with db.atomic():
        author = inspector_users[0]
        visit = Visit.create(institution=institution, area=area, date=datetime.date.today(), created_by=author)
        for pos, u in enumerate(inspector_users):
            insp = Inspector.get_or_none(Inspector.user == u)
            if insp is None:
                _seq[0] += 1
                insp = Inspector.create(name=u.name, cert_no=f"D{_seq[0]:08d}", unit=u.unit, user=u)
            VisitInspector.create(visit=visit, inspector=insp, position=pos)
        rec = Record.create(visit=visit, plan_id=plan.id, plan_version=plan.version, institution=institution, area=area,
                            category="hospital", status=int(status), created_by=author)
        for key, finding in failures:
            Answer.create(record=rec, item_key=key, result="fail", finding=finding, answered_by=author)
        for key in passes:
            Answer.create(record=rec, item_key=key, result="pass", answered_by=author)
        Handling.create(record=rec, opinion=opinion, order_correction=True, decided_by=author)
    return rec


# --- inspection (issue 5): tasks and records started through the service -------------------
def register_inspector(user):
    """The user's 执法人员 register entry, made on first use."""
    from webapp.registers.models import Inspector

    row = Inspector.get_or_none(Inspector.user == user)
    if row is None:
        _seq[0] += 1
        row = Inspector.create(name=user.name, cert_no=f"I{_seq[0]:08d}", unit=user.unit, user=user)
    return row


def make_task(institution, users, plan_id="2025-mybj-tianjin", deadline=None, category=None):
    """A Task (draw=None, as an ad-hoc check) of `plan_id` assigned to the given users."""
    import datetime

    from webapp.draw.models import Task, TaskInspector
    from webapp.plans.loader import load_plans

    plan = load_plans().get(plan_id)
    category = category or plan.category_of(institution.kind_keys).key
    with db.atomic():
        task = Task.create(plan_id=plan.id, plan_version=plan.version, institution=institution, area=institution.area,
                           category=category, tier="adhoc", deadline=deadline or datetime.date.today())
        for pos, u in enumerate(users):
            TaskInspector.create(task=task, inspector=register_inspector(u), position=pos)
    return task


def start_inspection(task, users, representative="张院长"):
    """Start `task` through the inspection service, as users[0], with users as the inspectors."""
    import datetime

    from werkzeug.datastructures import MultiDict

    from webapp.inspection import services

    form = MultiDict([("date", datetime.date.today().isoformat()), ("place", "现场"),
                      ("representative", representative)] + [("inspectors", str(register_inspector(u).id)) for u in users])
    return services.start_record(users[0], task, form)


def load_item_keys(record):
    """(review) The item keys of a record's plan, in order."""
    from webapp.plans.loader import load_plans

    return [i.key for i in load_plans().get(record.plan_id).items]

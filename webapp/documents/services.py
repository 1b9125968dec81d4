"""Composing, issuing, voiding, printing and following up 卫生监督意见书.

Every multi-step write is one transaction with its audit entry. After issue nothing of the
document changes: `content` (canonical JSON) and its `sha256` are what every print shows.
"""
import datetime
import hashlib
import json
import re

from flask import current_app
from peewee import fn

from .. import evidence as files, inputs
from ..errors import Invalid
from ..audit import trail
from ..db import db
from ..inspection.models import Answer, Handling, Record, Result, VisitInspector
from ..org.models import Role
from ..registers.models import Inspector, Institution
from ..inspection.services import my_inspector  # noqa: F401  (templates call s.my_inspector)
from ..review.workflow import inspected_by, inspector_user_ids
from . import numbering
from .models import FollowUp, FollowUpResult, Opinion, OpinionStatus

DEFAULT_DEADLINE_DAYS = 15
MAX_BODY = Opinion.body.max_length

LOCKED_MESSAGE = "该意见书已签发，内容不能再修改；如需更正，请作废后重新制作（原编号保留并标注作废）。"


class DocumentError(Exception):
    def __init__(self, message, code=409, field=None):
        super().__init__(message)
        self.message = message
        self.code = code
        self.field = field


# ------------------------------------------------------------------------------------------
# Access rules (templates ask the same functions, so buttons and server agree)
# ------------------------------------------------------------------------------------------

def _in_area(user, obj):
    return obj.area.is_within(user.area)


def can_compose(user, record):
    """An inspector of the record, or a reviewer/admin of its area, for a record with failures."""
    if not _in_area(user, record):
        return False
    return user.id in inspector_user_ids(record) or user.has_role(Role.REVIEWER, Role.ADMIN)


def can_edit(user, opinion):
    return opinion.status == OpinionStatus.DRAFT and can_compose(user, opinion.record)


def can_void(user, opinion):
    return opinion.status == OpinionStatus.ISSUED and can_compose(user, opinion.record)


def can_print(user, opinion):
    return opinion.status != OpinionStatus.DRAFT and _in_area(user, opinion)


def can_follow_up(user, opinion):
    return (opinion.status == OpinionStatus.ISSUED and _in_area(user, opinion)
            and user.has_role(Role.INSPECTOR, Role.REVIEWER, Role.ADMIN))


def ensure_draft(opinion):
    """Every write path to a document's content calls this: an issued one is refused (409)."""
    if opinion.status != OpinionStatus.DRAFT:
        raise DocumentError(LOCKED_MESSAGE, 409)


# ------------------------------------------------------------------------------------------
# Composing
# ------------------------------------------------------------------------------------------

def deadline_days():
    return int(current_app.config.get("OPINION_DEADLINE_DAYS", DEFAULT_DEADLINE_DAYS))


def _plan(record):
    """The plan as the record was made with it (its own version), else the current one."""
    try:
        from ..plans.catalog import get_plan
        from ..plans.versions import plan_for

        return plan_for(record.plan_id, record.plan_version) or get_plan(record.plan_id)
    except Exception:  # a plan file being edited must not stop a document: basis is then typed by hand
        current_app.logger.exception("plan %s could not be loaded for record %s", record.plan_id, record.id)
        return None


def failed_items(record):
    """The record's failed answers with the plan's item text and legal basis, in plan order."""
    plan = _plan(record)
    answers = list(Answer.select().where((Answer.record == record) & (Answer.result == Result.FAIL)))
    order = {item.key: i for i, item in enumerate(plan.items)} if plan else {}
    answers.sort(key=lambda a: (order.get(a.item_key, len(order)), a.item_key))
    out = []
    for a in answers:
        item = None
        if plan is not None:
            try:
                item = plan.item(a.item_key)
            except KeyError:
                item = None
        out.append({
            "key": a.item_key,
            "text": item.text if item else a.item_key,
            "short": (item.short or "") if item else "",
            "basis": item.basis if item else "",
            "finding": a.finding.strip(),
        })
    return out


def _citations(items):
    """Distinct legal citations of the items, in order (a basis may list several, split by ；)."""
    seen = []
    for it in items:
        for part in re.split(r"[；;]", it["basis"] or ""):
            part = part.strip().rstrip("。")
            if part and part not in seen:
                seen.append(part)
    return seen


def cn_date(d):
    """2025年12月7日 — the date in a document's body."""
    return f"{d.year}年{d.month}月{d.day}日"


def compose_body(items, deadline, unit_name=""):
    """The standard wording: facts found, the provisions breached, the order and its deadline."""
    facts = []
    for i, it in enumerate(items, 1):
        fact = (it["finding"] or f"不符合“{it['text']}”的要求").rstrip("。；;，, ")
        facts.append(f"{i}.{fact}" if len(items) > 1 else fact)
    lines = []
    if len(facts) > 1:
        lines.append("经查，你单位存在以下问题：" + "；".join(facts) + "。")
    else:
        lines.append("经查，你单位" + (facts[0] if facts else "……") + "。")
    cites = _citations(items)
    if cites:
        lines.append("上述行为违反了" + "、".join(cites) + "的规定。")
    order_basis = current_app.config.get("OPINION_ORDER_BASIS") or "上述规定"
    reporter = f"{unit_name}" if unit_name else "我单位"
    lines.append(f"依据{order_basis}，责令你单位于{cn_date(deadline)}前改正上述违法行为，"
                 f"并将整改情况书面报告{reporter}。逾期不改正的，将依法予以处理。")
    return "".join(lines)


def draft_values(record, issuer_unit, today=None):
    """Initial values of a new 意见书 for record: who it is addressed to, the text, the deadline."""
    today = today or datetime.date.today()
    inst = record.institution
    deadline = today + datetime.timedelta(days=deadline_days())
    return {
        "subject": inst.name, "legal_rep": inst.legal_rep, "address": inst.address, "phone": inst.phone,
        "deadline": deadline, "body": compose_body(failed_items(record), deadline, issuer_unit.name),
    }


def has_failures(record):
    return Answer.select().where((Answer.record == record) & (Answer.result == Result.FAIL)).exists()


def validate(values, today=None):
    """Check a draft's fields; returns (clean values, {field: message})."""
    today = today or datetime.date.today()
    errors = {}
    clean = {k: (values.get(k) or "").strip() for k in ("subject", "legal_rep", "address", "phone", "body")}
    if not clean["subject"]:
        errors["subject"] = "请填写被监督人。"
    # the limits are the columns' (webapp.inputs: one source for the check and the templates)
    errors.update(inputs.fit(Opinion, clean, {"subject": "被监督人", "legal_rep": "法定代表人/负责人", "address": "地址",
                                              "phone": "联系电话", "body": "监督意见"}))
    if not clean["body"]:
        errors["body"] = "请填写监督意见。"
    raw = values.get("deadline")
    if isinstance(raw, datetime.date):
        clean["deadline"] = raw
    else:
        try:
            # a deadline lies ahead, but within the year (a far date is a typo, not an order)
            clean["deadline"] = inputs.parse_date(raw, "deadline", latest=today + datetime.timedelta(days=366),
                                                  earliest=None, label="改正期限")
        except Invalid as e:
            clean["deadline"] = None
            errors.update(e.errors)
    if clean.get("deadline") and clean["deadline"] < today:
        errors["deadline"] = "改正期限不能早于今天。"
    return clean, errors


def _retarget_deadline(body, old, new):
    """When only the deadline field changed, the date in the standard wording follows it."""
    if old and new and old != new:
        return body.replace(f"于{cn_date(old)}前", f"于{cn_date(new)}前")
    return body


def create_draft(user, record, values, replaces=None, today=None):
    clean, errors = validate(values, today)
    if errors:
        raise DocumentError(next(iter(errors.values())), 400, next(iter(errors)))
    with db.atomic():
        op = Opinion.create(record=record, institution=record.institution_id, area=record.area_id, unit=user.unit_id,
                            created_by=user, replaces=replaces, **clean)
        trail.record(user, "opinion.draft", "opinion", op.id, after={"record": record.id, "subject": op.subject})
    return op


def update_draft(user, opinion, values, expected_version=None):
    ensure_draft(opinion)
    clean, errors = validate(values)
    if errors:
        raise DocumentError(next(iter(errors.values())), 400, next(iter(errors)))
    clean["body"] = _retarget_deadline(clean["body"], opinion.deadline, clean["deadline"])
    version = opinion.version if expected_version is None else expected_version
    with db.atomic():
        n = (Opinion.update(**clean, updated_at=datetime.datetime.now(), version=Opinion.version + 1)
             .where((Opinion.id == opinion.id) & (Opinion.status == OpinionStatus.DRAFT) & (Opinion.version == version))
             .execute())
        if n != 1:
            current = Opinion.get_by_id(opinion.id)
            ensure_draft(current)
            raise DocumentError("该草稿已被他人修改，请刷新后再编辑。", 409)
        trail.record(user, "opinion.edit", "opinion", opinion.id, after={"deadline": clean["deadline"]})
    return Opinion.get_by_id(opinion.id)


# ------------------------------------------------------------------------------------------
# Issue, void, print
# ------------------------------------------------------------------------------------------

def canonical(content):
    return json.dumps(content, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def digest(content_text):
    return hashlib.sha256(content_text.encode("utf-8")).hexdigest()


def code_of(sha):
    """The short verification code printed on each page: 12 hex digits of the content hash."""
    s = sha[:12].upper()
    return f"{s[:4]}-{s[4:8]}-{s[8:12]}"


def record_inspectors(record):
    rows = (Inspector.select(Inspector.name, Inspector.cert_no).join(VisitInspector)
            .where(VisitInspector.visit == record.visit_id).order_by(VisitInspector.position, VisitInspector.id))
    return [{"name": r.name, "cert_no": r.cert_no} for r in rows]


def issue(user, opinion, today=None):
    """签发: take the next number, freeze the content with its hash, in one transaction."""
    ensure_draft(opinion)
    _, errors = validate({"subject": opinion.subject, "body": opinion.body, "deadline": opinion.deadline,
                          "legal_rep": opinion.legal_rep, "address": opinion.address, "phone": opinion.phone}, today)
    if errors:
        raise DocumentError("签发前请先改正：" + next(iter(errors.values())), 400, next(iter(errors)))
    now = datetime.datetime.now()
    today = today or now.date()
    unit = opinion.unit
    record = opinion.record
    with db.atomic():
        seq, pattern = numbering.take_number(unit, today.year)  # first statement: takes the write lock
        number = numbering.format_number(pattern, unit.short_name, unit.name, today.year, seq)
        content = {
            "kind": "卫生监督意见书", "number": number, "unit": unit.name,
            "subject": opinion.subject, "legal_rep": opinion.legal_rep, "address": opinion.address,
            "phone": opinion.phone, "body": opinion.body, "deadline": opinion.deadline.isoformat(),
            "issued_on": today.isoformat(), "inspectors": record_inspectors(record)[:2],
            "record": record.id, "replaces": opinion.replaces.number if opinion.replaces_id else None,
        }
        text = canonical(content)
        sha = digest(text)
        n = (Opinion.update(status=OpinionStatus.ISSUED, year=today.year, seq=seq, number=number, issued_by=user.id,
                            issued_at=now, content=text, sha256=sha, code=code_of(sha), version=Opinion.version + 1,
                            updated_at=now)
             .where((Opinion.id == opinion.id) & (Opinion.status == OpinionStatus.DRAFT)).execute())
        if n != 1:
            raise DocumentError("该意见书已被他人签发，请刷新页面。", 409)  # rollback gives the number back
        trail.record(user, "opinion.issue", "opinion", opinion.id, before={"status": "草稿"},
                     after={"status": "已签发", "number": number, "sha256": sha})
    return Opinion.get_by_id(opinion.id)


def void(user, opinion, reason, redo=False):
    """作废: the number stays taken and is printed as void; with redo a new draft copies the text."""
    reason = (reason or "").strip()
    if not reason:
        raise DocumentError("作废时必须填写原因。", 400, "reason")
    if inputs.too_long(Opinion.void_reason, reason):
        raise DocumentError("作废原因" + inputs.too_long(Opinion.void_reason, reason), 400, "reason")
    if opinion.status != OpinionStatus.ISSUED:
        raise DocumentError(f"该意见书当前为“{opinion.state.label}”，不能作废。", 409)
    now = datetime.datetime.now()
    new = None
    with db.atomic():
        n = (Opinion.update(status=OpinionStatus.VOIDED, voided_by=user.id, voided_at=now, void_reason=reason)
             .where((Opinion.id == opinion.id) & (Opinion.status == OpinionStatus.ISSUED)).execute())
        if n != 1:
            raise DocumentError("该意见书状态已被他人更改，请刷新页面。", 409)
        trail.record(user, "opinion.void", "opinion", opinion.id, before={"status": "已签发", "number": opinion.number},
                     after={"status": "已作废", "reason": reason})
        if redo:
            c = json.loads(opinion.content)
            new = Opinion.create(record=opinion.record_id, institution=opinion.institution_id, area=opinion.area_id,
                                 unit=opinion.unit_id, created_by=user, replaces=opinion.id,
                                 subject=c["subject"], legal_rep=c["legal_rep"], address=c["address"], phone=c["phone"],
                                 body=c["body"], deadline=max(datetime.date.fromisoformat(c["deadline"]), now.date()))
            trail.record(user, "opinion.draft", "opinion", new.id, after={"replaces": opinion.number})
    return Opinion.get_by_id(opinion.id), new


def record_print(user, opinion):
    """Count one print; the first is the original, every later one a 补打 with its number."""
    if opinion.status == OpinionStatus.DRAFT:
        raise DocumentError("草稿未签发，不能打印正式文书；请先签发。", 409)
    with db.atomic():
        Opinion.update(print_count=Opinion.print_count + 1).where(Opinion.id == opinion.id).execute()
        count = Opinion.select(Opinion.print_count).where(Opinion.id == opinion.id).scalar()
        trail.record(user, "opinion.print" if count == 1 else "opinion.reprint", "opinion", opinion.id,
                     after={"number": opinion.number, "print_count": count})
    return count


def verify(code):
    """(opinion or None, content intact?) for a printed verification code."""
    code = (code or "").strip().upper().replace(" ", "")
    if re.fullmatch(r"[0-9A-F]{12}", code):
        code = f"{code[:4]}-{code[4:8]}-{code[8:]}"
    op = Opinion.get_or_none(Opinion.code == code)
    if op is None:
        return None, False
    intact = digest(op.content) == op.sha256 and code_of(op.sha256) == op.code
    return op, intact


# ------------------------------------------------------------------------------------------
# Follow-up (复查)
# ------------------------------------------------------------------------------------------

def add_follow_up(user, opinion, values, evidence=None):
    """Record a 复查; values: result, date, inspector1, inspector2, note. evidence: (bytes, name, mime)."""
    if opinion.status != OpinionStatus.ISSUED:
        raise DocumentError("只有已签发且未作废的意见书可以登记复查。", 409)
    errors = {}
    result = values.get("result") or ""
    if result not in FollowUpResult.LABELS:
        errors["result"] = "请选择复查结论。"
    try:
        date = inputs.parse_date(values.get("date"), "date", latest=datetime.date.today(), label="复查日期")
        if opinion.issued_at and date < opinion.issued_at.date():
            errors["date"] = "复查日期不能早于签发日期。"
    except Invalid as e:
        date = None
        errors.update(e.errors)
    ids = []
    for f in ("inspector1", "inspector2"):
        v = (values.get(f) or "").strip()
        ids.append(inputs.to_int(v))
    insp = {i.id: i for i in Inspector.select().where(Inspector.id.in_([i for i in ids if i]) & (Inspector.active == True))}  # noqa: E712
    if not ids[0] or ids[0] not in insp:
        errors["inspector1"] = "请选择复查人员。"
    if ids[1] and (ids[1] not in insp or ids[1] == ids[0]):
        errors["inspector2"] = "第二名复查人员无效或与第一名相同。"
    for i in ids:
        if i in insp and not insp[i].area.is_within(user.area) and not opinion.area.is_within(insp[i].area):
            errors["inspector1"] = "复查人员须为本辖区执法人员。"
    note = (values.get("note") or "").strip()
    if inputs.too_long(FollowUp.note, note):
        errors["note"] = "说明" + inputs.too_long(FollowUp.note, note)
    if result in (FollowUpResult.PARTIAL, FollowUpResult.NOT_DONE) and not note:
        errors["note"] = "部分整改或未整改时请说明情况。"
    if errors:
        raise DocumentError(next(iter(errors.values())), 400, next(iter(errors)))
    ev = {}
    if evidence is not None and evidence[0]:
        data, name, mime = evidence
        sha = files.store(data)
        ev = {"evidence_sha256": sha, "evidence_name": (name or "evidence").replace("\\", "/").rsplit("/", 1)[-1][:255], "evidence_mime": (mime or "")[:64]}
    with db.atomic():
        fu = FollowUp.create(opinion=opinion, result=result, date=date, inspector1=ids[0], inspector2=ids[1],
                             note=note, created_by=user, **ev)
        trail.record(user, "opinion.follow_up", "opinion", opinion.id,
                     after={"result": FollowUpResult.LABELS[result], "date": date, "note": note})
    return fu


def latest_follow_ups(opinions):
    """{opinion id: its latest 复查} for a list, in one query (the lists show one per row)."""
    latest = {}
    ids = [o.id for o in opinions]
    for fu in FollowUp.select().where(FollowUp.opinion.in_(ids or [0])).order_by(FollowUp.date, FollowUp.id):
        latest[fu.opinion_id] = fu
    return latest


def composable(records, user):
    """The records (an area-scoped Record query) this user may write a 意见书 for: the SQL form
    of can_compose — their own inspections, or any as reviewer/admin."""
    if user.has_role(Role.REVIEWER, Role.ADMIN):
        return records
    return records.where(inspected_by(user))


def overdue(query_for_user, today=None):
    """Issued, not voided, past their deadline, and no 复查 recorded yet (逾期未复查)."""
    today = today or datetime.date.today()
    has_followup = FollowUp.select(FollowUp.id).where(FollowUp.opinion == Opinion.id)
    return (query_for_user.where((Opinion.status == OpinionStatus.ISSUED) & (Opinion.deadline < today)
                                 & ~fn.EXISTS(has_followup))
            .order_by(Opinion.deadline, Opinion.id))


def unrectified_institutions(year, area=None):
    """Institutions with a 意见书 issued in `year` that is not shown to be corrected (no 复查 yet,
    or the latest 复查 says 部分整改/未整改): next year's draw offers them for 回头看
    (the draw for year Y asks `unrectified_institutions(Y - 1)`)."""
    q = Opinion.select(Opinion.id, Opinion.institution).where((Opinion.status == OpinionStatus.ISSUED) & (Opinion.year == year))
    if area is not None:
        from ..org.models import Area

        q = q.join(Area, on=(Opinion.area == Area.id)).where(Area.path.startswith(area.path))
    opinions = {o.id: o.institution_id for o in q}
    if not opinions:
        return Institution.select().where(Institution.id.in_([]))
    latest = {}
    for fu in (FollowUp.select(FollowUp.opinion, FollowUp.result, FollowUp.date, FollowUp.id)
               .where(FollowUp.opinion.in_(list(opinions))).order_by(FollowUp.date, FollowUp.id)):
        latest[fu.opinion_id] = fu.result
    ids = {inst for op, inst in opinions.items() if latest.get(op) != FollowUpResult.DONE}
    return Institution.select().where(Institution.id.in_(sorted(ids))).order_by(Institution.id)


def pending_records(query_for_user):
    """Records whose handling asks for a 意见书 and that have none in force (待制作)."""
    in_force = Opinion.select(Opinion.id).where((Opinion.record == Record.id) & (Opinion.status != OpinionStatus.VOIDED))
    return (query_for_user.join(Handling, on=(Handling.record == Record.id))
            .where((Handling.opinion == True) & ~fn.EXISTS(in_force))  # noqa: E712
            .order_by(Record.id.desc()))

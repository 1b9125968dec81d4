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

from .. import inputs, phone as phone_rule, uploads
from .. import workflow as machine
from ..audit import trail
from ..db import transaction
from ..draw import past
from ..errors import Invalid, too_long
from ..inspection.models import Answer, Handling, Record, Result, VisitInspector
from ..org.models import Role
from ..registers.models import Inspector, Institution
from ..inspection.workflow import inspected_by, inspector_user_ids
from . import numbering
from .models import FollowUp, FollowUpResult, Opinion, OpinionStatus

DEFAULT_DEADLINE_DAYS = 15
MAX_BODY = Opinion.body.max_length
# The length limits the server checks and the fields show (documents/_form.html, _followups.html).
TEXT_MAX = {"subject": Opinion.subject.max_length, "legal_rep": Opinion.legal_rep.max_length,
            "address": Opinion.address.max_length, "phone": Opinion.phone.max_length, "body": MAX_BODY,
            "followup_note": 2000}

LOCKED_MESSAGE = "该意见书已签发，内容不能再修改；如需更正，请作废后重新制作（原编号保留并标注作废）。"


class DocumentError(machine.Refused):
    """A refused 意见书 step or a mistake in its fields: message, code, field; for field errors
    (422) `errors` is every {field: message}, each shown beside its field."""

    def __init__(self, message, code=409, field=None, errors=None):
        super().__init__(message, code, field)
        self.errors = dict(errors) if errors else ({field: message} if field else {})


S = OpinionStatus
# (verb, from state) -> to state. Verbs that keep the state are listed too: the table says in
# which states they are allowed (edit a draft; print an issued or a voided one, marked so;
# record a 复查 on one in force).
TRANSITIONS = {
    ("edit", S.DRAFT): S.DRAFT,
    ("issue", S.DRAFT): S.ISSUED,
    ("void", S.ISSUED): S.VOIDED,
    ("print", S.ISSUED): S.ISSUED,
    ("print", S.VOIDED): S.VOIDED,
    ("follow_up", S.ISSUED): S.ISSUED,
}
VERB_LABELS = {"edit": "修改", "issue": "签发", "void": "作废", "print": "打印", "follow_up": "登记复查"}


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


def _composer_refusal(user, opinion):
    return None if can_compose(user, opinion.record) else "只有参与检查的监督员或本辖区审核人、管理员可以处理该意见书。"


def _reader_refusal(user, opinion):
    # user None: the `opinion pdf` command, run by the server's operator
    return None if user is None or _in_area(user, opinion) else "该意见书不在您的辖区内。"


def _follow_up_refusal(user, opinion):
    if _in_area(user, opinion) and user.has_role(Role.INSPECTOR, Role.REVIEWER, Role.ADMIN):
        return None
    return "只有本辖区的执法人员可以登记复查。"


def _state_message(opinion, verb, current):
    if verb in ("edit", "issue"):
        return LOCKED_MESSAGE
    if verb == "print":
        return "草稿未签发，不能打印正式文书；请先签发。"
    if verb == "follow_up":
        return "只有已签发且未作废的意见书可以登记复查。"
    return f"该意见书当前为“{current.label}”，不能{VERB_LABELS[verb]}。"


MACHINE = machine.Machine(
    Opinion, S, TRANSITIONS, VERB_LABELS, noun="意见书", entity="opinion", action="opinion", error=DocumentError,
    actors={"edit": _composer_refusal, "issue": _composer_refusal, "void": _composer_refusal,
            "print": _reader_refusal, "follow_up": _follow_up_refusal},
    context=lambda op: {"record": op.record_id, "institution": op.institution_id}, state_message=_state_message)


def allowed(user, opinion, verb):
    return MACHINE.allowed(user, opinion, verb)


can_edit, can_issue, can_void, can_print, can_follow_up = (
    MACHINE.asks(v) for v in ("edit", "issue", "void", "print", "follow_up"))


def ensure_draft(opinion):
    """Every write path to a document's content calls this: an issued one is refused (409)."""
    refusal = MACHINE.state_refusal(opinion, "edit")
    if refusal:
        raise DocumentError(refusal, 409)


def is_overdue(opinion, today, followups):
    """In force, past its deadline and no 复查 yet (the same rule as overdue() below)."""
    return opinion.in_force and opinion.deadline < today and not followups


# ------------------------------------------------------------------------------------------
# Composing
# ------------------------------------------------------------------------------------------

def deadline_days():
    return int(current_app.config.get("OPINION_DEADLINE_DAYS", DEFAULT_DEADLINE_DAYS))


def _plan(record):
    """The plan as the record was made with it (its own version), else the current one."""
    try:
        from ..plans.catalog import UnknownVersion, get_plan, plan_for

        try:
            return plan_for(record)
        except UnknownVersion:
            return get_plan(record.plan_id)
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
    for field, label in (("subject", "被监督人"), ("legal_rep", "法定代表人/负责人"), ("address", "地址"),
                         ("phone", "联系电话"), ("body", "监督意见")):
        problem = too_long(label, clean[field], TEXT_MAX[field])
        if problem:
            errors[field] = problem
    if not clean["subject"]:
        errors["subject"] = "请填写被监督人。"
    clean["phone"] = phone_rule.normalise(clean["phone"])
    if "phone" not in errors and phone_rule.problem(clean["phone"]):
        errors["phone"] = phone_rule.problem(clean["phone"])
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
        raise DocumentError(next(iter(errors.values())), 422, next(iter(errors)), errors)
    with transaction():
        op = Opinion.create(record=record, institution=record.institution_id, area=record.area_id, unit=user.unit_id,
                            created_by=user, replaces=replaces, **clean)
        trail.record(user, "opinion.draft", "opinion", op.id, after={"record": record.id, "subject": op.subject})
    return op


def update_draft(user, opinion, values, expected_version=None):
    MACHINE.check(user, opinion, "edit")  # who (403), then 草稿 only (409), before the fields (400)
    clean, errors = validate(values)
    if errors:
        raise DocumentError(next(iter(errors.values())), 422, next(iter(errors)), errors)
    clean["body"] = _retarget_deadline(clean["body"], opinion.deadline, clean["deadline"])
    version = opinion.version if expected_version is None else expected_version
    changes = {getattr(Opinion, k): v for k, v in clean.items()}
    changes.update({Opinion.updated_at: datetime.datetime.now(), Opinion.version: Opinion.version + 1})
    return MACHINE.apply(user, opinion, "edit", changes, where=(Opinion.version == version),
                         after={"deadline": clean["deadline"]}, conflict="该草稿已被他人修改，请刷新后再编辑。")


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
    MACHINE.check(user, opinion, "issue")
    _, errors = validate({"subject": opinion.subject, "body": opinion.body, "deadline": opinion.deadline,
                          "legal_rep": opinion.legal_rep, "address": opinion.address, "phone": opinion.phone}, today)
    if errors:
        raise DocumentError("签发前请先改正：" + next(iter(errors.values())), 422, next(iter(errors)),
                            {k: "签发前请先改正：" + v for k, v in errors.items()})
    now = datetime.datetime.now()
    today = today or now.date()
    unit = opinion.unit
    record = opinion.record
    frozen = {}

    def changes():
        # inside the transaction, which holds the write lock: the number is taken and used, or
        # (on any refusal) rolled back and given back
        seq, pattern = numbering.take_number(unit, today.year)
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
        frozen.update(number=number, sha256=sha)
        return {Opinion.year: today.year, Opinion.seq: seq, Opinion.number: number, Opinion.issued_by: user.id,
                Opinion.issued_at: now, Opinion.content: text, Opinion.sha256: sha, Opinion.code: code_of(sha),
                Opinion.version: Opinion.version + 1, Opinion.updated_at: now}

    return MACHINE.apply(user, opinion, "issue", changes, after=lambda: dict(frozen))


def void(user, opinion, reason, redo=False):
    """作废: the number stays taken and is printed as void; with redo a new draft copies the text."""
    MACHINE.check(user, opinion, "void")
    reason = (reason or "").strip()
    if not reason:
        raise DocumentError("作废时必须填写原因。", 422, "reason")
    problem = too_long("作废原因", reason, Opinion.void_reason.max_length)
    if problem:
        raise DocumentError(problem, 422, "reason")
    now = datetime.datetime.now()

    def successor(voided):
        if not redo:
            return None
        c = json.loads(voided.content)
        new = Opinion.create(record=voided.record_id, institution=voided.institution_id, area=voided.area_id,
                             unit=voided.unit_id, created_by=user, replaces=voided.id,
                             subject=c["subject"], legal_rep=c["legal_rep"], address=c["address"], phone=c["phone"],
                             body=c["body"], deadline=max(datetime.date.fromisoformat(c["deadline"]), now.date()))
        trail.record(user, "opinion.draft", "opinion", new.id, after={"replaces": voided.number})
        return new

    return MACHINE.apply(user, opinion, "void",
                         {Opinion.voided_by: user.id, Opinion.voided_at: now, Opinion.void_reason: reason},
                         before={"number": opinion.number}, after={"reason": reason}, then=successor)


def record_print(user, opinion):
    """Count one print; the first is the original, every later one a 补打 with its number."""
    def audit(printed):
        count = printed.print_count
        trail.record(user, "opinion.print" if count == 1 else "opinion.reprint", "opinion", printed.id,
                     after={"number": printed.number, "print_count": count})
        return count

    _, count = MACHINE.apply(user, opinion, "print", {Opinion.print_count: Opinion.print_count + 1},
                             audit=False, then=audit)
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
    """Record a 复查; values: result, date, inspector1, inspector2, note. evidence: an uploads.Upload or None."""
    MACHINE.check(user, opinion, "follow_up")
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
    problem = too_long("说明", note, TEXT_MAX["followup_note"])
    if problem:
        errors["note"] = problem
    if result in (FollowUpResult.PARTIAL, FollowUpResult.NOT_DONE) and not note:
        errors["note"] = "部分整改或未整改时请说明情况。"
    if errors:
        raise DocumentError(next(iter(errors.values())), 422, next(iter(errors)), errors)
    ev = {}
    if evidence is not None and evidence.data:
        sha = uploads.store(evidence.data)
        ev = {"evidence_sha256": sha, "evidence_name": uploads.clean_name(evidence.name), "evidence_mime": evidence.mime}
    def create(op):
        return FollowUp.create(opinion=op, result=result, date=date, inspector1=ids[0], inspector2=ids[1],
                               note=note, created_by=user, **ev)

    # the compare-and-set on 已签发 makes a 复查 and a concurrent 作废 exclude each other
    _, fu = MACHINE.apply(user, opinion, "follow_up", audit=True, then=create,
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


@past.lookback
def unrectified_units(area, years):
    """Units whose 意见书 of those years is not shown rectified (seed 001 回头看: 整改落实情况)."""
    return {i.id for y in years for i in unrectified_institutions(y, area)}


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

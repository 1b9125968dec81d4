"""Writing and verifying the hash chain. Call `record()` inside the transaction that makes the
change, so the change and its audit entry commit together or not at all.

Each entry's hash covers the previous entry's hash and every field of the entry, so
- changing any stored field breaks that entry's own hash,
- deleting or inserting an entry breaks the next entry's `prev_hash`,
- deleting the last entries breaks the link to `AuditHead.last_hash` (and its count).
"""
import datetime
import hashlib
import json

from ..db import transaction
from .models import AuditEntry, AuditHead

GENESIS = "0" * 64

# Entities whose rows belong to one record: their audit entries show in the record's history.
RECORD_CHILDREN = {"answer": "Answer", "evidence": "Evidence", "handling": "Handling"}


def _canonical(value):
    if value is None or value == "":
        return ""
    return json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)


def _digest(prev_hash, at, actor_id, action, entity, entity_id, before, after, record_id=None, institution_id=None):
    payload = "\x1f".join([prev_hash, at.isoformat(timespec="microseconds"), str(actor_id or ""), action, entity,
                           str(entity_id), before, after, str(record_id or ""), str(institution_id or "")])
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def _entry_digest(e):
    return _digest(e.prev_hash, e.at, e.actor_id, e.action, e.entity, e.entity_id, e.before, e.after, e.record_id, e.institution_id)


def _id_of(value):
    if value is None or value == "":
        return None
    return int(getattr(value, "id", value))


def _context(entity, entity_id, before, after, record, institution):
    """Fill in the record and institution an entry belongs to when the caller did not say."""
    from ..inspection import models as im

    record, institution = _id_of(record), _id_of(institution)
    if entity == "record" and record is None:
        record = _id_of(entity_id)
    if entity == "institution" and institution is None:
        institution = _id_of(entity_id)
    if record is None:
        for d in (after, before):
            if isinstance(d, dict) and (d.get("record_id") or d.get("record")):
                record = _id_of(d.get("record_id") or d.get("record"))
                break
    if record is None and entity in RECORD_CHILDREN and str(entity_id).isdigit():
        model = getattr(im, RECORD_CHILDREN[entity])
        row = model.select(model.record).where(model.id == int(entity_id)).first()
        record = row.record_id if row else None
    if institution is None:
        for d in (after, before):
            if isinstance(d, dict) and (d.get("institution_id") or d.get("institution")):
                try:
                    institution = _id_of(d.get("institution_id") or d.get("institution"))
                except (TypeError, ValueError):
                    continue  # a name rather than an id
                break
    if institution is None and record is not None:
        row = im.Record.select(im.Record.institution).where(im.Record.id == record).first()
        institution = row.institution_id if row else None
    if institution is None and entity == "visit" and str(entity_id).isdigit():
        row = im.Visit.select(im.Visit.institution).where(im.Visit.id == int(entity_id)).first()
        institution = row.institution_id if row else None
    return record, institution


# Entities that carry their own area (model module, class): the entry belongs to that area.
AREA_OWNERS = {"draw": ("draw", "Draw"), "task": ("draw", "Task"), "task_import": ("tasklist", "ImportBatch"),
               "summary_report": ("reports", "SummaryReport"), "opinion": ("documents", "Opinion")}


def _area_of(entity, entity_id, before, after, record_id, institution_id, actor, area=None):
    """The area an entry belongs to (for scoping the log), most specific first: what the caller
    says, the record, the institution, the entity's own area, an area code in the entry, and
    last the actor's unit. None when nothing names one (only a top-level admin sees those)."""
    import importlib

    from ..org.models import Area, Unit

    if area is not None:
        return _id_of(area)
    if record_id is not None:
        from ..inspection.models import Record

        found = Record.select(Record.area).where(Record.id == record_id).scalar()
        if found:
            return found
    if institution_id is not None:
        from ..registers.models import Institution

        found = Institution.select(Institution.area).where(Institution.id == institution_id).scalar()
        if found:
            return found
    if entity in AREA_OWNERS and str(entity_id).isdigit():
        module, name = AREA_OWNERS[entity]
        model = getattr(importlib.import_module(f"webapp.{module}.models"), name)
        found = model.select(model.area).where(model.id == int(entity_id)).scalar()
        if found:
            return found
    if entity == "inspector" and str(entity_id).isdigit():
        from ..registers.models import Inspector

        found = Inspector.select(Unit.area).join(Unit).where(Inspector.id == int(entity_id)).scalar()
        if found:
            return found
    for d in (after, before):
        if isinstance(d, dict) and isinstance(d.get("area"), str):
            found = Area.select(Area.id).where(Area.code == d["area"]).scalar()
            if found:
                return found
    if actor is not None:
        return Unit.select(Unit.area).where(Unit.id == actor.unit_id).scalar()
    return None


def record(actor, action, entity, entity_id, before=None, after=None, record=None, institution=None, area=None):
    """Append one entry; before/after are plain dicts (or None).

    record / institution (ids or rows) place the entry in those history pages; they are worked
    out from the entity when not given (answers, evidence, handling → their record). area (id or
    row) places it in an area's audit log; worked out the same way when not given.
    Every action and field key written here needs its Chinese label in audit/labels.py.
    """
    record_id, institution_id = _context(entity, entity_id, before, after, record, institution)
    area_id = _area_of(entity, entity_id, before, after, record_id, institution_id, actor, area)
    with transaction():
        # Updating the head first serialises writers: a row lock on PostgreSQL, the write lock
        # on SQLite. The chain therefore never forks and ids follow the chain order.
        updated = AuditHead.update(seq=AuditHead.seq + 1).where(AuditHead.id == 1).execute()
        if not updated:
            AuditHead.insert(id=1, seq=0, last_hash=GENESIS).on_conflict_ignore().execute()
            AuditHead.update(seq=AuditHead.seq + 1).where(AuditHead.id == 1).execute()
        head = AuditHead.get_by_id(1)
        at = datetime.datetime.now()
        b, a = _canonical(before), _canonical(after)
        actor_id = actor.id if actor is not None else None
        h = _digest(head.last_hash, at, actor_id, action, entity, entity_id, b, a, record_id, institution_id)
        entry = AuditEntry.create(at=at, actor=actor_id, action=action, entity=entity, entity_id=str(entity_id),
                                  before=b, after=a, record_id=record_id, institution_id=institution_id, area_id=area_id,
                                  prev_hash=head.last_hash, hash=h)
        AuditHead.update(last_hash=h).where(AuditHead.id == 1).execute()
    return entry


def verify():
    """Walk the chain; return (entries checked intact, first broken entry or None, reason).

    The position of the first break is `checked + 1`; reason is "" when the chain is intact.
    """
    prev = GENESIS
    count = 0
    for e in AuditEntry.select().order_by(AuditEntry.id).iterator():
        if e.prev_hash != prev:
            return count, e, "上一条哈希不符（前面的记录被删除、插入或改动）"
        if _entry_digest(e) != e.hash:
            return count, e, "内容哈希不符（该条记录被修改）"
        prev = e.hash
        count += 1
    head = AuditHead.get_or_none(AuditHead.id == 1)
    if head is None:
        if count:
            return count, None, "链头记录缺失"
        return count, None, ""
    if head.last_hash != prev:
        return count, None, "链尾哈希不符（最后的记录被删除）"
    if head.seq != count:
        return count, None, f"条数不符（链头记载 {head.seq} 条，实有 {count} 条）"
    return count, None, ""


def history(entity, entity_id):
    return AuditEntry.select().where((AuditEntry.entity == entity) & (AuditEntry.entity_id == str(entity_id))).order_by(AuditEntry.id)


def record_history(record_id):
    """Every entry about one record: its states and its answers, handling and evidence."""
    return AuditEntry.select().where(AuditEntry.record_id == int(record_id)).order_by(AuditEntry.id)


def in_area(query, area):
    """Restrict a query of entries to those of area and below (those of no area: top admins only)."""
    inside = AuditEntry.area_id.in_(area.subtree_ids())
    return query.where(inside | AuditEntry.area_id.is_null()) if area.parent_id is None else query.where(inside)


def institution_history(institution_id):
    """Every entry about one institution: register edits, visits, its records, documents."""
    return AuditEntry.select().where(AuditEntry.institution_id == int(institution_id)).order_by(AuditEntry.id)


def decoded(text):
    """The stored JSON of before/after as a dict (for display)."""
    if not text:
        return {}
    try:
        value = json.loads(text)
    except ValueError:
        return {"值": text}
    return value if isinstance(value, dict) else {"值": value}

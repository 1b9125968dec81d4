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


# How to place an entry of an entity: entity name -> fn(id) -> {"record": id, "institution": id,
# "area": id} (any of them). The features register their entities here (in their models modules)
# because the trail sits below them all and names none of them.
LOCATORS = {}


def locator(entity):
    """Decorator: fn(entity id) says which record, institution and area an entity belongs to."""
    def register(fn):
        LOCATORS[entity] = fn
        return fn

    return register


def _locate(entity, entity_id, memo):
    """What the entity's locator says (asked once per entry: every audited save passes here)."""
    fn = LOCATORS.get(entity)
    if fn is None or entity_id is None or not str(entity_id).isdigit():
        return {}
    key = (entity, int(entity_id))
    if key not in memo:
        memo[key] = fn(int(entity_id)) or {}
    return memo[key]


def _from_dicts(key, before, after):
    for d in (after, before):
        if isinstance(d, dict) and (d.get(f"{key}_id") or d.get(key)):
            try:
                return _id_of(d.get(f"{key}_id") or d.get(key))
            except (TypeError, ValueError):
                continue  # a name rather than an id
    return None


def _context(entity, entity_id, before, after, record, institution, memo):
    """Fill in the record and institution an entry belongs to when the caller did not say."""
    record, institution = _id_of(record), _id_of(institution)
    if entity == "record" and record is None:
        record = _id_of(entity_id)
    if entity == "institution" and institution is None:
        institution = _id_of(entity_id)
    if record is None:
        record = _from_dicts("record", before, after)
    if record is None and entity not in ("record", "institution"):
        record = _locate(entity, entity_id, memo).get("record")
    if institution is None:
        institution = _from_dicts("institution", before, after)
    if institution is None and record is not None:
        institution = _locate("record", record, memo).get("institution")
    if institution is None and entity != "record":
        institution = _locate(entity, entity_id, memo).get("institution")
    return record, institution


def _area_of(entity, entity_id, before, after, record_id, institution_id, actor, area, memo):
    """The area an entry belongs to (for scoping the log), most specific first: what the caller
    says, the record, the institution, the entity's own area, an area code in the entry, and
    last the actor's unit. None when nothing names one (only a top-level admin sees those)."""
    from ..org.models import Area, Unit

    if area is not None:
        return _id_of(area)
    for owner, owner_id in (("record", record_id), ("institution", institution_id), (entity, entity_id)):
        found = _locate(owner, owner_id, memo).get("area")  # in this order, asked only as far as needed
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
    memo = {}
    record_id, institution_id = _context(entity, entity_id, before, after, record, institution, memo)
    area_id = _area_of(entity, entity_id, before, after, record_id, institution_id, actor, area, memo)
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

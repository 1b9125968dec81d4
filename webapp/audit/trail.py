"""Writing and verifying the hash chain. Call `record()` inside the transaction that makes the
change, so the change and its audit entry commit together or not at all."""
import datetime
import hashlib
import json

from ..db import db
from .models import AuditEntry, AuditHead

GENESIS = "0" * 64


def _canonical(value):
    if value is None or value == "":
        return ""
    return json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)


def _digest(prev_hash, at, actor_id, action, entity, entity_id, before, after):
    payload = "\x1f".join([prev_hash, at.isoformat(timespec="microseconds"), str(actor_id or ""), action, entity,
                           str(entity_id), before, after])
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def record(actor, action, entity, entity_id, before=None, after=None):
    """Append one entry; before/after are plain dicts (or None)."""
    with db.atomic():
        updated = AuditHead.update(seq=AuditHead.seq + 1).where(AuditHead.id == 1).execute()
        if not updated:
            AuditHead.insert(id=1, seq=1, last_hash=GENESIS).execute()
        head = AuditHead.get_by_id(1)
        at = datetime.datetime.now()
        b, a = _canonical(before), _canonical(after)
        actor_id = actor.id if actor is not None else None
        h = _digest(head.last_hash, at, actor_id, action, entity, entity_id, b, a)
        entry = AuditEntry.create(at=at, actor=actor_id, action=action, entity=entity, entity_id=str(entity_id),
                                  before=b, after=a, prev_hash=head.last_hash, hash=h)
        AuditHead.update(last_hash=h).where(AuditHead.id == 1).execute()
    return entry


def verify():
    """Return (checked_count, first_broken_entry_or_None, reason)."""
    prev = GENESIS
    count = 0
    for e in AuditEntry.select().order_by(AuditEntry.id).iterator():
        if e.prev_hash != prev:
            return count, e, "上一条哈希不符（记录被删除或插入）"
        if _digest(e.prev_hash, e.at, e.actor_id, e.action, e.entity, e.entity_id, e.before, e.after) != e.hash:
            return count, e, "内容哈希不符（记录被修改）"
        prev = e.hash
        count += 1
    head = AuditHead.get_or_none(AuditHead.id == 1)
    if head is not None and head.last_hash != prev:
        return count, None, "链尾哈希不符（最后的记录被删除）"
    return count, None, ""


def history(entity, entity_id):
    return AuditEntry.select().where((AuditEntry.entity == entity) & (AuditEntry.entity_id == str(entity_id))).order_by(AuditEntry.id)

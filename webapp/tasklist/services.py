"""Importing an upper platform's list: upload → mapping → matching and resolution → one
all-or-nothing write of a Draw (source 上级平台下发) with its tasks and inspectors.

Before confirmation only the ImportBatch row (file hash, mapping, the admin's choices) and the
stored file exist; no unit, task or draw is written until every row is resolved."""
import datetime
import json


from .. import uploads
from .. import workflow as machine
from ..audit import trail
from ..errors import Invalid, too_long
from ..db import transaction
from ..inputs import EARLIEST, to_ids, to_int, within_a_year
from ..draw import services as draw_services
from ..draw.models import Draw, DrawSource, Task, TaskInspector
from ..org.models import Area, Role, Unit as OrgUnit
from ..plans.catalog import catalog
from ..registers import creditcode
from ..registers import services as registers
from ..registers.models import Inspector, Institution, InstitutionKind, Recusal
from ..scope import areas_of, can_see_area, visible
from . import matching
from .models import BatchStatus, ImportBatch, SourceMapping
from .reading import ReadError, read_table

UPLOADS = uploads.SHEET_FOLDER  # instance/uploads/: the lists as uploaded, by content hash
SKIP_REASON_MAX = 100




class AlreadyImported(Exception):
    """The same file was imported for the same plan and area: nothing changes."""

    def __init__(self, draw):
        super().__init__(already_message(draw))
        self.draw = draw


# (verb, from state) -> to state. Mapping and resolving keep the import pending; "confirm" writes
# the draw and its tasks; "discard" removes the pending import (None: no row is left).
TRANSITIONS = {
    ("map", BatchStatus.PENDING): BatchStatus.PENDING,
    ("resolve", BatchStatus.PENDING): BatchStatus.PENDING,
    ("confirm", BatchStatus.PENDING): BatchStatus.DONE,
    ("discard", BatchStatus.PENDING): None,
}
VERB_LABELS = {"map": "修改列对应", "resolve": "处理清单行", "confirm": "导入", "discard": "放弃导入"}
REFUSALS = {"map": "该清单已导入，不能再修改列对应", "resolve": "该清单已导入，不能再修改",
            "confirm": "该清单正在或已经由他人导入，请刷新页面", "discard": "已导入的清单不能删除"}
FIELD_OF = {"map": "mapping", "resolve": "row", "confirm": "confirm", "discard": "discard"}


def _admin_refusal(user, batch):
    if not (user.has_role(Role.ADMIN) and can_see_area(user, batch.area)):
        return "只有本辖区的管理员可以导入任务清单。"
    return None


MACHINE = machine.Machine(ImportBatch, BatchStatus, TRANSITIONS, VERB_LABELS, noun="任务清单导入", entity="task_import",
                          action="tasklist", actors={v: _admin_refusal for v in VERB_LABELS},
                          state_message=lambda batch, verb, current: REFUSALS[verb])


def allowed(user, batch, verb):
    return MACHINE.allowed(user, batch, verb)


def _refuse(user, batch, verb):
    """The state rule as a mistake shown on the import page (Invalid, beside the step's field)."""
    try:
        MACHINE.check(user, batch, verb)
    except machine.Refused as e:
        raise Invalid({FIELD_OF[verb]: e.message}) from e


def _apply(user, batch, verb, changes, then):
    """A verb on the import: compare-and-set on 待确认 and the verb's writes in one transaction."""
    try:
        return MACHINE.apply(user, batch, verb, changes, audit=False, then=then)
    except machine.Refused as e:
        raise Invalid({FIELD_OF[verb]: e.message}) from e


def already_message(draw):
    return (f"该文件已于 {draw.drawn_at:%Y-%m-%d %H:%M} 由{draw.drawn_by.name}导入（抽取记录第 {draw.id} 号，"
            f"{draw.tasks.count()} 项任务），本次未做任何更改。")


# ------------------------------------------------------------------------------------------------
# Choices and loading
# ------------------------------------------------------------------------------------------------


def import_plans():
    """Plans a list can be imported for: the random-inspection plans, newest first."""
    return sorted((p for p in catalog().plans.values() if p.kind == "random"), key=lambda p: (-p.year, p.id))


def areas_for(user):
    return areas_of(user)


def batches_for(user, limit=30):
    return list(visible(ImportBatch.select(), ImportBatch.area, user).order_by(ImportBatch.id.desc()).limit(limit))


def get_batch(batch_id, user):
    return visible(ImportBatch.select(), ImportBatch.area, user).where(ImportBatch.id == batch_id).first()


def file_path(sha):
    """The uploaded list, stored once by content hash (instance/uploads/)."""
    return uploads.path(sha, UPLOADS)


def table_of(batch):
    data = uploads.load(batch.file_hash, UPLOADS)
    if data is None:
        raise Invalid({"file": f"清单文件《{batch.file_name}》已不在服务器上（instance/uploads），请放弃本次导入后重新上传"})
    try:
        return read_table(data, batch.file_name)
    except ReadError as e:
        raise Invalid({"file": str(e)}) from e


def plan_of(batch):
    plan = catalog().get(batch.plan_id)
    if plan is None:
        raise Invalid({"plan": f"计划“{batch.plan_id}”已不在 forms/ 中，无法继续导入"})
    return plan


def imported_draw(file_hash, plan_id, area):
    return (Draw.select().where((Draw.file_hash == file_hash) & (Draw.plan_id == plan_id) & (Draw.area == area)
                                & (Draw.source == DrawSource.UPPER)).order_by(Draw.id).first())


def register_of(plan, area):
    """The area's register, active inspectors, 回避 and the units already tasked under the plan."""
    subtree = area.subtree_ids()
    kinds = {}
    for iid, kind in InstitutionKind.select(InstitutionKind.institution, InstitutionKind.kind).join(Institution).where(Institution.area.in_(subtree)).tuples():
        kinds.setdefault(iid, []).append(kind)
    institutions = {i.id: matching.Institution(i.id, i.name, i.credit_code, i.address, i.area_id, i.area.name, tuple(sorted(kinds.get(i.id, ()))), i.status)
             for i in Institution.select(Institution, Area).join(Area).where(Institution.area.in_(subtree))}
    people = {p.id: matching.Person(p.id, p.name, p.cert_no, p.unit.name)
              for p in Inspector.select(Inspector, OrgUnit).join(OrgUnit).where((Inspector.active == True) & OrgUnit.area.in_(subtree))}  # noqa: E712
    recusals = set(Recusal.select(Recusal.inspector, Recusal.institution).where(Recusal.inspector.in_(list(people) or [0])).tuples())
    existing = {}
    for iid, tier, did, source in (Task.select(Task.institution, Task.tier, Draw.id, Draw.source).join(Draw)
                                   .where((Task.plan_id == plan.id) & Task.area.in_(subtree)).tuples()):
        existing[(iid, tier)] = f"{source}，抽取记录第 {did} 号"
    return matching.Register(institutions=institutions, people=people, recusals=recusals, existing=existing)


def _add_outside(reg, rows_codes):
    """Credit codes of the file registered outside the area: said so instead of 'not found'."""
    codes = [c for c in rows_codes if c and c not in reg.by_code]
    if codes:
        for code, name, area in Institution.select(Institution.credit_code, Institution.name, Area.name).join(Area).where(Institution.credit_code.in_(codes)).tuples():
            reg.outside[code] = (name, area)


# ------------------------------------------------------------------------------------------------
# Step 1: upload
# ------------------------------------------------------------------------------------------------


def start(user, form, upload):
    """Check the upload form, store the file, create (or reuse) the pending import.

    Returns (batch, note); raises Invalid for mistakes and AlreadyImported for the same file."""
    errors = {}
    plan = catalog().get((form.get("plan") or "").strip())
    if plan is None or plan.kind != "random":
        errors["plan"] = "请选择计划"
    area_id = to_int(str(form.get("area") or ""))
    area = Area.get_or_none(Area.id == area_id) if area_id is not None else None
    if area is None:
        errors["area"] = "请选择导入到哪个地区"
    elif not can_see_area(user, area):
        errors["area"] = f"“{area.name}”不在您的辖区内"
    source = (form.get("source") or "").strip()
    if not source:
        errors["source"] = "请填写清单来源，如“乌鲁木齐市执法平台”（同一来源的文件下次可免去列对应）"
    elif too_long("来源名称", source, ImportBatch.source.max_length):
        errors["source"] = too_long("来源名称", source, ImportBatch.source.max_length)
    file = None
    if upload is None or not upload.filename:
        errors["file"] = "请选择要上传的清单文件（.xlsx 或 .csv）"
    else:
        try:
            file = uploads.read(upload, "file", uploads.SHEETS)
            table = read_table(file.data, file.name)
            if not table.rows:
                errors["file"] = f"“{file.name}”的表头（第 {table.header_row} 行）下没有数据行"
        except Invalid as e:
            errors.update(e.errors)
        except ReadError as e:
            errors["file"] = f"“{file.name}”未导入：{e}"
    if errors:
        raise Invalid(errors)
    name = file.name
    sha = uploads.store(file.data, UPLOADS)
    done = imported_draw(sha, plan.id, area)
    if done is not None:
        raise AlreadyImported(done)
    pending = ImportBatch.get_or_none((ImportBatch.file_hash == sha) & (ImportBatch.plan_id == plan.id)
                                      & (ImportBatch.area == area) & (ImportBatch.status == BatchStatus.PENDING))
    if pending is not None:
        return pending, "该文件已上传过且尚未导入：继续之前的导入。"
    saved = SourceMapping.get_or_none((SourceMapping.source == source) & (SourceMapping.signature == table.signature))
    with transaction():
        batch = ImportBatch.create(plan_id=plan.id, area=area, source=source, file_name=name, file_hash=sha,
                                   signature=table.signature, mapping=saved.mapping if saved else "", created_by=user)
        trail.record(user, "tasklist.upload", "task_import", batch.id,
                     after={"plan": plan.id, "area": area.code, "source": source, "file": name, "sha256": sha,
                            "mapping": "沿用已保存的列对应" if saved else ""})
    note = f"已按“{source}”上次保存的列对应自动对应各列，如有不对请修改。" if saved else ""
    return batch, note


# ------------------------------------------------------------------------------------------------
# Step 2: mapping
# ------------------------------------------------------------------------------------------------


def mapping_context(batch, form=None):
    """What the mapping screen shows: columns with samples, the current (or suggested) choice."""
    table = table_of(batch)
    plan = plan_of(batch)
    current = dict(form) if form is not None else (batch.mapping_dict or matching.suggest(table.headers))
    columns = [{"header": h, "samples": table.samples(i)} for i, h in enumerate(table.headers)]
    return {"table": table, "plan": plan, "columns": columns, "current": current, "fields": matching.FIELDS}


def mapped_preview(batch, form, n=5):
    """The first rows as the submitted mapping reads them (for the live preview)."""
    table = table_of(batch)
    index = {h: i for i, h in enumerate(table.headers)}
    out = []
    for number, cells in table.rows[:n]:
        out.append((number, {f: cells[index[form.get(f)]] if form.get(f) in index else "" for f, _, _ in matching.FIELDS}))
    return out


def save_mapping(batch, form, user):
    """Validate and store the mapping on the import and for the source; raise Invalid."""
    _refuse(user, batch, "map")
    table = table_of(batch)
    mapping, errors = matching.check_mapping(form, table.headers, plan_of(batch))
    if errors:
        raise Invalid(errors)
    text = json.dumps(mapping, ensure_ascii=False, sort_keys=True)
    before = batch.mapping_dict

    def remember(_):
        now = datetime.datetime.now()
        # one row per (source, header row) even when two admins save the first mapping at once
        (SourceMapping.insert(source=batch.source, signature=table.signature, mapping=text, updated_by=user, updated_at=now)
         .on_conflict(conflict_target=[SourceMapping.source, SourceMapping.signature],
                      update={SourceMapping.mapping: text, SourceMapping.updated_by: user.id, SourceMapping.updated_at: now})
         .execute())
        trail.record(user, "tasklist.mapping", "task_import", batch.id, before=before, after=mapping)

    _apply(user, batch, "map", {ImportBatch.mapping: text}, remember)
    batch.mapping = text
    return mapping


# ------------------------------------------------------------------------------------------------
# Step 3: matching and resolution
# ------------------------------------------------------------------------------------------------


def analysis(batch):
    """(plan, table, register, rows) for the import as it now stands."""
    plan = plan_of(batch)
    table = table_of(batch)
    reg = register_of(plan, batch.area)
    mapping = batch.mapping_dict
    if "credit_code" in mapping and mapping["credit_code"] in table.headers:
        i = table.headers.index(mapping["credit_code"])
        _add_outside(reg, [creditcode.normalise(c[i]) for _, c in table.rows])
    rows = matching.analyse(table, plan, reg, mapping, batch.resolution_dict)
    return plan, table, reg, rows


def preview_context(batch):
    plan, table, reg, rows = analysis(batch)
    open_rows = [r for r in rows if not r.ok]
    return {"plan": plan, "table": table, "rows": rows, "open_rows": open_rows, "register": reg,
            "tiers": {t.key: t.name for t in plan.tiers}, "categories": {c.key: c.name for c in plan.categories},
            "ready_count": sum(1 for r in rows if r.ok and not r.skipped), "skipped_count": sum(1 for r in rows if r.skipped),
            "random_count": sum(1 for r in rows if r.ok and not r.skipped and r.random),
            "kind_names": registers.kind_names()}


def search_institutions(batch, q, limit=20):
    """Units of the import's area whose name or credit code contains q (for linking a row)."""
    q = (q or "").strip()
    query = Institution.select(Institution, Area).join(Area).where(Institution.area.in_(batch.area.subtree_ids()))
    if q:
        query = query.where(Institution.name.contains(q) | Institution.credit_code.contains(q.upper()))
    return list(query.order_by(Institution.name).limit(limit))


def _row_of(batch, number):
    plan, table, reg, rows = analysis(batch)
    row = next((r for r in rows if r.number == number), None)
    if row is None:
        raise Invalid({"row": f"文件中没有第 {number} 行数据"})
    return plan, reg, row


def resolve(batch, number, form, user):
    """Record the admin's decision for one row (link / create / skip / category / tier / deadline /
    inspectors / undo). Validated now and again on confirmation; raises Invalid."""
    _refuse(user, batch, "resolve")
    plan, reg, row = _row_of(batch, number)
    action = form.get("action", "")
    res = dict(batch.resolution_dict.get(str(number), {}))
    if action == "link":
        iid = to_int(str(form.get("institution") or ""))
        if iid is None:
            raise Invalid({"institution": "请选择要关联的单位"})
        if iid not in reg.institutions:
            raise Invalid({"institution": "所选单位不在本次导入地区的名录库中"})
        res.pop("create", None)
        res.pop("skip", None)
        res["unit"] = iid
    elif action == "create":
        data = {k: (form.get(k) or "").strip() for k in ("name", "credit_code", "address", "area")}
        data["kinds"] = form.getlist("kinds") if hasattr(form, "getlist") else form.get("kinds", [])
        clean, errors = registers.check_institution(data, user=user)
        if clean.get("area") is not None and "area" not in errors and not clean["area"].is_within(batch.area):
            errors["area"] = f"新单位应属于本次导入的地区“{batch.area.name}”"
        taken = {r.get("create", {}).get("credit_code") for n, r in batch.resolution_dict.items() if n != str(number)}
        if "credit_code" not in errors and clean["credit_code"] in taken:
            errors["credit_code"] = "清单中另一行已用此统一社会信用代码新建单位"
        if errors:
            raise Invalid(errors)
        res.pop("unit", None)
        res.pop("skip", None)
        res["create"] = {"name": clean["name"], "credit_code": clean["credit_code"], "address": clean["address"],
                         "area": clean["area"].code, "kinds": clean["kinds"]}
    elif action == "skip":
        reason = (form.get("reason") or "").strip()
        if not reason:
            raise Invalid({"reason": "请填写不导入此行的原因，如“已注销”“重复下发”"})
        if len(reason) > SKIP_REASON_MAX:
            raise Invalid({"reason": f"原因不能超过{SKIP_REASON_MAX}个字"})
        res = {"skip": True, "reason": reason}
    elif action == "category":
        if form.get("category") not in {c.key for c in plan.categories}:
            raise Invalid({"category": "请选择本计划的类别"})
        res["category"] = form["category"]
    elif action == "tier":
        if form.get("tier") not in {t.key for t in plan.tiers}:
            raise Invalid({"tier": "请选择抽查层级"})
        res["tier"] = form["tier"]
    elif action == "deadline":
        d = matching.parse_date(form.get("deadline"))
        if d is None:
            raise Invalid({"deadline": "请填写正确的日期，如 2025-10-31"})
        if not EARLIEST <= d <= within_a_year():
            raise Invalid({"deadline": f"完成时限应在 {EARLIEST.isoformat()} 至 {within_a_year().isoformat()} 之间"})
        res["deadline"] = d.isoformat()
    elif action == "inspectors":
        chosen = form.getlist("inspectors") if hasattr(form, "getlist") else form.get("inspectors", [])
        ids = to_ids(str(x) for x in chosen)
        if form.get("random") or not ids:
            res["inspectors"] = "random"
        else:
            if any(i not in reg.people for i in ids):
                raise Invalid({"inspectors": "所选执法人员不在本地区在岗人员中"})
            unit_id = res.get("unit") or (row.institution.id if row.institution else None)
            barred = [reg.people[i].name for i in ids if (i, unit_id) in reg.recusals]
            if barred:
                raise Invalid({"inspectors": f"{'、'.join(barred)}已声明回避该单位"})
            res["inspectors"] = ids
    elif action == "undo":
        res = {}
    else:
        raise Invalid({"row": "未知的操作"})
    resolutions = batch.resolution_dict
    if res:
        resolutions[str(number)] = res
    else:
        resolutions.pop(str(number), None)
    text = json.dumps(resolutions, ensure_ascii=False, sort_keys=True)
    _apply(user, batch, "resolve", {ImportBatch.resolutions: text},
           lambda _: trail.record(user, "tasklist.resolve", "task_import", batch.id,
                                  after={"row": number, "action": action, "resolution": res}))
    batch.resolutions = text


# ------------------------------------------------------------------------------------------------
# Step 4: the all-or-nothing import
# ------------------------------------------------------------------------------------------------


def confirm(batch, user):
    """Write the draw, its tasks and inspectors in one transaction, or nothing (raise Invalid)."""
    if batch.done:
        if batch.draw is None:
            raise Invalid({"confirm": "该清单已导入过，其抽取记录已不存在"})
        raise AlreadyImported(batch.draw)
    if not batch.mapping:
        raise Invalid({"confirm": "请先完成列对应"})
    # 待确认 → 已导入 first (compare-and-set: a second click or a second admin finds it taken),
    # then everything else in the same transaction: any refusal in _write undoes it all
    _, draw = _apply(user, batch, "confirm", {}, lambda b: _write(b, user))
    return draw


def _write(batch, user):
    """The draw (上级平台下发), its tasks and inspectors, and the units to create: inside confirm's
    transaction."""
    done = imported_draw(batch.file_hash, batch.plan_id, batch.area)
    if done is not None:
        raise AlreadyImported(done)
    plan, table, reg, rows = analysis(batch)
    blocked = [r for r in rows if not r.ok]
    if blocked:
        raise Invalid({"confirm": f"还有 {len(blocked)} 行未处理（第 {'、'.join(str(r.number) for r in blocked[:10])} 行"
                                  f"{'等' if len(blocked) > 10 else ''}），处理完后才能导入；本次未写入任何数据"})
    todo = [r for r in rows if not r.skipped]
    if not todo:
        raise Invalid({"confirm": "所有行都被排除了，没有可导入的任务"})
    for r in todo:
        if r.new_institution:
            r.institution = _create_institution(r.new_institution, batch, user)
    from ..plans.versions import remember_version

    remember_version(plan)
    inputs = draw_services.gather(plan, batch.area)
    seed = draw_services.new_seed()
    random_rows = [r for r in todo if r.random]
    try:
        # the system's own assignment (回避, load balance, not the last team): no second algorithm
        teams = draw_services.assign_inspectors(
            [(r.tier, r.category, r.institution.id, r.institution.area_id, False) for r in random_rows], inputs, seed)
    except draw_services.DrawError as e:
        raise Invalid({"confirm": f"系统随机分配执法人员失败：{e}；本次未写入任何数据"}) from e
    assigned = {id(r): t.inspectors for r, t in zip(random_rows, teams)}
    drawn = [draw_services.Drawn(r.tier, r.category, r.institution.id, r.institution.area_id, False,
                                 assigned[id(r)] if r.random else tuple(p.id for p in r.inspectors)) for r in todo]
    draw = Draw.create(plan_id=plan.id, plan_version=plan.version, area=batch.area, source=DrawSource.UPPER,
                       seed=seed if random_rows else None, file_hash=batch.file_hash,
                       result_hash=draw_services.result_hash(drawn), drawn_by=user,
                       note=f"导入自“{batch.source}”的清单《{batch.file_name}》：{len(todo)} 项任务，"
                            f"其中 {len(random_rows)} 项由系统随机分配执法人员")
    # the list was decided upstream: the draw is confirmed at once, through its own transition
    draw = draw_services.confirm(draw, user)
    default_deadline = draw_services._deadline(plan)
    for r, d in zip(todo, drawn):
        task = Task.create(draw=draw, plan_id=plan.id, plan_version=plan.version, institution=r.institution.id,
                           area=r.institution.area_id, category=r.category, tier=r.tier, lookback=False,
                           deadline=r.deadline or default_deadline)
        for pos, insp in enumerate(d.inspectors):
            TaskInspector.create(task=task, inspector=insp, position=pos)
        trail.record(user, "task.import", "task", task.id, institution=r.institution.id,
                     after={"draw": draw.id, "row": r.number, "institution_id": r.institution.id, "tier": r.tier,
                            "category": r.category, "inspectors": list(d.inspectors),
                            "assigned": "系统随机分配" if r.random else "清单指定",
                            "deadline": (r.deadline or default_deadline).isoformat() if (r.deadline or default_deadline) else ""})
    ImportBatch.update(draw=draw).where(ImportBatch.id == batch.id).execute()
    trail.record(user, "draw.import", "draw", draw.id, after={
        "plan": plan.id, "version": plan.version, "area": batch.area.code, "source": batch.source,
        "file": batch.file_name, "file_hash": batch.file_hash, "tasks": len(todo), "random": len(random_rows),
        "seed": draw.seed, "skipped": [r.number for r in rows if r.skipped], "result_hash": draw.result_hash})
    return draw


def _create_institution(data, batch, user):
    """A unit the admin chose to add to the register: validated again, made with its audit entry."""
    clean, errors = registers.check_institution(data, user=user)
    if errors:
        raise Invalid({"confirm": f"新建单位“{data.get('name')}”未通过校验：{'；'.join(errors.values())}；本次未写入任何数据"})
    inst = registers.create_institution(clean, user)
    kinds = tuple(sorted(clean["kinds"]))
    return matching.Institution(inst.id, inst.name, inst.credit_code, inst.address, inst.area_id, clean["area"].name, kinds, inst.status)


def discard(batch, user):
    """Drop a pending import (its file stays under its hash; nothing else was written)."""
    _refuse(user, batch, "discard")
    with transaction():
        try:
            row = MACHINE.lock(batch, "discard")  # not imported meanwhile
        except machine.Refused as e:
            raise Invalid({"discard": e.message}) from e
        trail.record(user, "tasklist.discard", "task_import", row.id, before={"file": row.file_name, "sha256": row.file_hash})
        row.delete_instance()


def result_context(batch):
    plan = catalog().get(batch.plan_id)
    draw = batch.draw
    return {"plan": plan, "draw": draw, "rows": draw_services.draw_rows(draw, plan) if draw else []}


def areas_within(area):
    """Areas a unit created during the import may belong to: the import's area and below."""
    return list(area.subtree().order_by(Area.path))

"""The two registers: one validator per register (used by the form, the inline check and the
Excel import alike), version-checked saves, Excel template/import/export, 回避 declarations.
Every change writes its audit entry in the same transaction."""
import datetime
import re
from contextlib import contextmanager
from dataclasses import dataclass, field

from peewee import IntegrityError
from flask import current_app

from .. import phone as phone_rule
from .. import inputs
from ..audit import trail
from ..plans.catalog import catalog  # the vocabulary (kinds, services) lives with the plans
from ..db import transaction
from ..errors import Invalid, too_long
from ..org.models import Area, Unit, User
from ..printing import HeaderCell, Sheet, build_workbook
from ..scope import visible
from ..sheets import SheetError, read_rows
from . import creditcode
from .models import Inspector, Institution, InstitutionKind, InstitutionService, Recusal

STATUSES = ("在业", "停业")

# Excel columns of the institutions register, in order: (field, header). The template, the
# import and the export share them, so an export can be edited and imported back as it is.
INSTITUTION_COLUMNS = [
    ("name", "单位名称"),
    ("credit_code", "统一社会信用代码"),
    ("license_no", "执业许可证号"),
    ("kinds", "单位类别"),
    ("area", "所在地区"),
    ("address", "地址"),
    ("legal_rep", "法定代表人/负责人"),
    ("phone", "联系电话"),
    ("services", "服务项目"),
    ("status", "状态"),
]
INSTITUTION_HEADERS = dict(INSTITUTION_COLUMNS)
INSPECTOR_COLUMNS = [("name", "姓名"), ("cert_no", "执法证号"), ("unit", "所属执法单位"), ("specialties", "专业"),
                     ("active", "状态"), ("user", "登录账号"), ("recusals", "回避单位")]
LIST_SPLIT = re.compile(r"[、,，;；/\n]+")
# the columns' own limits: checked here, shown on the form fields (registers/institution_form.html)
MAX_LEN = {k: getattr(Institution, k).max_length for k in ("name", "license_no", "address", "legal_rep", "phone")}
RECUSAL_REASON_MAX = Recusal.reason.max_length
INSPECTOR_MAX = {k: getattr(Inspector, k).max_length for k in ("name", "cert_no", "specialties")} | {"user": User.username.max_length}


class Conflict(Exception):
    """The row was changed by someone else since the form was opened."""


# A unique value checked free by the validator may be taken by a concurrent save before this one
# commits: the database's unique index refuses it, and the user gets the field error, not a 500.
TAKEN = {
    "credit_code": "该统一社会信用代码刚刚已由他人登记，请核对。",
    "cert_no": "该执法证号刚刚已由他人登记，请核对。",
    "user": "该登录账号刚刚已关联其他执法人员，请核对。",
    "institution": "刚刚已有人申报过对该单位的回避。",
}


@contextmanager
def _unique(*fields):
    """Turn a unique-index refusal inside a write into Invalid({field: TAKEN message})."""
    try:
        yield
    except IntegrityError as exc:
        text = str(exc)
        field_name = next((f for f in fields if f in text), fields[0])
        raise Invalid({field_name: TAKEN[field_name]}) from exc


# ------------------------------------------------------------------------------------------------
# The vocabulary (register kinds and services) comes from the plans' shared file
# ------------------------------------------------------------------------------------------------

def kind_names():
    return {k: v.name for k, v in catalog().kinds.items()}


def service_names():
    return {k: v.name for k, v in catalog().services.items()}


def _lookup(values, vocabulary, label):
    """Map names or keys to keys; return (keys, error message or None)."""
    by_name = {v: k for k, v in vocabulary.items()}
    keys, unknown = [], []
    for v in values:
        v = v.strip()
        if not v:
            continue
        key = v if v in vocabulary else by_name.get(v)
        if key is None:
            unknown.append(v)
        elif key not in keys:
            keys.append(key)
    if unknown:
        return keys, f"未知的{label}“{'、'.join(unknown)}”"
    return keys, None


def split_names(text, vocabulary):
    """The names of a 、-separated list cell: a vocabulary name that itself contains a separator
    ("其他医疗、保健机构（开展母婴保健技术服务）") is taken whole before the cell is split."""
    if isinstance(text, (list, tuple)):
        return list(text)
    text = str(text or "")
    found = []
    for name in sorted(vocabulary.values(), key=len, reverse=True):
        if LIST_SPLIT.search(name) and name in text:
            found.append((text.index(name), name))
            text = text.replace(name, "、")
    rest = [(0, v) for v in LIST_SPLIT.split(text) if v.strip()]
    return [name for _, name in sorted(found)] + [v for _, v in rest]


def _area_from(text):
    text = (text or "").strip()
    if not text:
        return None
    code = text.split()[0]
    area = Area.get_or_none(Area.code == code)
    if area is None:
        matches = list(Area.select().where(Area.name == text).limit(2))
        area = matches[0] if len(matches) == 1 else None
    return area


# ------------------------------------------------------------------------------------------------
# Institutions
# ------------------------------------------------------------------------------------------------


def check_institution(data, user=None, instance_id=None, unique=True):
    """Validate one institution (form or Excel row). Returns (clean dict, {field: message}).

    data: name, credit_code, license_no, kinds (list of keys or names), area (code or name),
    address, legal_rep, phone, services (list), status. `user` limits the areas allowed.
    """
    errors, clean = {}, {}
    for key in ("name", "license_no", "address", "legal_rep", "phone"):
        # the one text rule also for workbook cells (a request's values are cleaned already)
        value = inputs.clean_text(str(data.get(key) or "")).strip()
        problem = too_long(INSTITUTION_HEADERS[key], value, MAX_LEN[key])
        if problem:
            errors[key] = problem
        clean[key] = value
    if not clean["name"]:
        errors["name"] = "请填写单位名称"
    code = creditcode.normalise(data.get("credit_code"))
    clean["credit_code"] = code
    if not code:
        errors["credit_code"] = "请填写统一社会信用代码"
    elif creditcode.problem(code):
        errors["credit_code"] = creditcode.problem(code)
    else:
        other = Institution.get_or_none(Institution.credit_code == code)
        if unique and other is not None and other.id != instance_id:
            errors["credit_code"] = f"该统一社会信用代码已登记为“{other.name}”"
    if "phone" not in errors:
        clean["phone"] = phone_rule.normalise(clean["phone"])
        if phone_rule.problem(clean["phone"]):
            errors["phone"] = phone_rule.problem(clean["phone"])
    clean["kinds"], err = _lookup(split_names(data.get("kinds"), kind_names()), kind_names(), "单位类别")
    if err:
        errors["kinds"] = err
    elif not clean["kinds"]:
        errors["kinds"] = "请至少选择一个单位类别"
    clean["services"], err = _lookup(split_names(data.get("services"), service_names()), service_names(), "服务项目")
    if err:
        errors["services"] = err
    area = _area_from(data.get("area"))
    if area is None:
        errors["area"] = "请选择所在地区" if not str(data.get("area") or "").strip() else f"找不到地区“{data.get('area')}”"
    elif user is not None and not area.is_within(user.area):
        errors["area"] = f"“{area.name}”不在您的辖区内"
    clean["area"] = area
    status = str(data.get("status") or "在业").strip()
    if status not in STATUSES:
        errors["status"] = "状态应为“在业”或“停业”"
    clean["status"] = status
    return clean, errors


def _snapshot(inst):
    return {"name": inst.name, "credit_code": inst.credit_code, "license_no": inst.license_no, "area": inst.area.code,
            "address": inst.address, "legal_rep": inst.legal_rep, "phone": inst.phone, "status": inst.status,
            "kinds": inst.kind_keys, "services": inst.service_keys, "version": inst.version}


def _set_lists(inst, kinds, services):
    InstitutionKind.delete().where(InstitutionKind.institution == inst).execute()
    InstitutionService.delete().where(InstitutionService.institution == inst).execute()
    if kinds:
        InstitutionKind.insert_many([(inst.id, k) for k in kinds], fields=[InstitutionKind.institution, InstitutionKind.kind]).execute()
    if services:
        InstitutionService.insert_many([(inst.id, s) for s in services], fields=[InstitutionService.institution, InstitutionService.service]).execute()


FIELDS = ("name", "credit_code", "license_no", "area", "address", "legal_rep", "phone", "status")


def create_institution(clean, actor):
    """Add a unit; raises Invalid when its credit code was registered meanwhile."""
    with _unique("credit_code"), transaction():
        inst = Institution.create(**{k: clean[k] for k in FIELDS})
        _set_lists(inst, clean["kinds"], clean["services"])
        trail.record(actor, "institution.create", "institution", inst.id, after=_snapshot(inst))
    return inst


def update_institution(inst, clean, version, actor):
    """Save if nobody changed the row since `version` was read; raise Conflict otherwise."""
    with _unique("credit_code"), transaction():
        before = _snapshot(inst)
        values = {k: clean[k] for k in FIELDS}
        values.update(version=Institution.version + 1, updated_at=datetime.datetime.now())
        n = Institution.update(**values).where((Institution.id == inst.id) & (Institution.version == version)).execute()
        if n != 1:
            raise Conflict()
        inst = Institution.get_by_id(inst.id)
        _set_lists(inst, clean["kinds"], clean["services"])
        trail.record(actor, "institution.update", "institution", inst.id, before=before, after=_snapshot(inst))
    return inst


def institutions_query(user=None, q="", kind="", area="", status=""):
    """The register filtered as on the list page (unexecuted; scoped to the user's areas)."""
    query = Institution.select(Institution, Area).join(Area)
    if user is not None:
        query = visible(query, Institution.area, user)
    q = (q or "").strip()
    if q:
        query = query.where(Institution.name.contains(q) | Institution.credit_code.startswith(q.upper())
                            | Institution.license_no.contains(q))
    if kind:
        query = query.where(Institution.id.in_(InstitutionKind.select(InstitutionKind.institution).where(InstitutionKind.kind == kind)))
    if area:
        a = Area.get_or_none(Area.code == area)
        if a is not None:
            query = query.where(Area.path.startswith(a.path))
    if status:
        query = query.where(Institution.status == status)
    return query.order_by(Area.path, Institution.name, Institution.id)


def lists_for(ids):
    """{institution id: (kind keys, service keys)} in two queries (no per-row lookups)."""
    out = {i: ([], []) for i in ids}
    if not ids:
        return out
    for iid, k in InstitutionKind.select(InstitutionKind.institution, InstitutionKind.kind).where(InstitutionKind.institution.in_(ids)).order_by(InstitutionKind.kind).tuples():
        out[iid][0].append(k)
    for iid, s in InstitutionService.select(InstitutionService.institution, InstitutionService.service).where(InstitutionService.institution.in_(ids)).order_by(InstitutionService.service).tuples():
        out[iid][1].append(s)
    # shown in the vocabulary's order (医院 before 内设医美科室), as the plans list them
    korder = {k: n for n, k in enumerate(catalog().kinds)}
    sorder = {k: n for n, k in enumerate(catalog().services)}
    for kinds, services in out.values():
        kinds.sort(key=lambda k: korder.get(k, len(korder)))
        services.sort(key=lambda k: sorder.get(k, len(sorder)))
    return out


# ------------------------------------------------------------------------------------------------
# Excel: template, import (all or nothing), export
# ------------------------------------------------------------------------------------------------


@dataclass
class ImportResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list = field(default_factory=list)  # (row number, column header, message)

    @property
    def ok(self):
        return not self.errors


def institution_template():
    kinds = "、".join(kind_names().values())
    sheet = Sheet(
        title="检查对象名录库",
        headings=["检查对象名录库导入模板",
                  "单位类别、服务项目可填多个，用“、”分隔；所在地区填行政区划代码或名称；状态填“在业”或“停业”。",
                  f"单位类别可选：{kinds}"],
        header=[[HeaderCell(h) for _, h in INSTITUTION_COLUMNS]],
        rows=[],
        widths=[30, 22, 22, 26, 14, 30, 14, 16, 30, 8],
    )
    return build_workbook([sheet])


def institution_export(user=None):
    kinds, services = kind_names(), service_names()
    insts = list(institutions_query(user))
    lists = lists_for([i.id for i in insts])
    rows = []
    for inst in insts:
        k, s = lists[inst.id]
        rows.append([inst.name, inst.credit_code, inst.license_no, "、".join(kinds.get(x, x) for x in k), inst.area.code,
                     inst.address, inst.legal_rep, inst.phone, "、".join(services.get(x, x) for x in s), inst.status])
    sheet = Sheet(title="检查对象名录库", headings=[f"检查对象名录库（导出于 {datetime.date.today():%Y-%m-%d}，共 {len(rows)} 家）"],
                  header=[[HeaderCell(h) for _, h in INSTITUTION_COLUMNS]], rows=rows,
                  widths=[30, 22, 22, 26, 10, 30, 14, 16, 30, 8])
    return build_workbook([sheet])


def inspector_export(user=None):
    query = Inspector.select(Inspector, Unit, Area).join(Unit).join(Area).order_by(Area.path, Unit.name, Inspector.name)
    if user is not None:
        query = visible(query, Unit.area, user)
    inspectors = list(query)
    recusals = {}
    for insp_id, name in (Recusal.select(Recusal.inspector, Institution.name).join(Institution)
                          .where(Recusal.inspector.in_([i.id for i in inspectors] or [0])).tuples()):
        recusals.setdefault(insp_id, []).append(name)
    users = {u.id: u.username for u in User.select(User.id, User.username).where(User.id.in_([i.user_id for i in inspectors if i.user_id] or [0]))}
    rows = [[i.name, i.cert_no, i.unit.name, i.specialties, "在岗" if i.active else "停用", users.get(i.user_id, ""),
             "、".join(recusals.get(i.id, []))] for i in inspectors]
    sheet = Sheet(title="执法检查人员名录库", headings=[f"执法检查人员名录库（导出于 {datetime.date.today():%Y-%m-%d}，共 {len(rows)} 人）"],
                  header=[[HeaderCell(h) for _, h in INSPECTOR_COLUMNS]], rows=rows, widths=[12, 18, 28, 20, 8, 14, 40])
    return build_workbook([sheet])


def read_institution_rows(data):
    """Yield (row number, {field: text}) from an uploaded workbook or CSV file (the one reader,
    webapp.sheets, with its limits); raise ValueError (Chinese) if unreadable or over a limit."""
    header_at, columns = None, None
    for number, texts in read_rows(data):
        if columns is None:
            if INSTITUTION_HEADERS["credit_code"] in texts:
                by_header = {h: f for f, h in INSTITUTION_COLUMNS}
                columns = {i: by_header[t] for i, t in enumerate(texts) if t in by_header}
                missing = [h for f, h in INSTITUTION_COLUMNS if f not in columns.values() and f in ("name", "credit_code", "kinds", "area")]
                if missing:
                    raise ValueError(f"表头缺少列：{'、'.join(missing)}")
                header_at = number
            elif number >= 10:
                break
            continue
        yield number, {f: texts[i] if i < len(texts) else "" for i, f in columns.items()}
    if header_at is None:
        raise ValueError("找不到表头：文件（.xlsx 的第一张工作表或 CSV）中应有“统一社会信用代码”等列名，请使用下载的模板")


def import_institutions(data, actor=None, user=None):
    """Validate every row of the file (bytes, or a binary file object); write all of them or
    none. Re-import updates by 统一社会信用代码. A file past the reader's limits writes nothing."""
    result = ImportResult()
    try:
        parsed = list(read_institution_rows(data if isinstance(data, bytes) else data.read()))
    except (ValueError, SheetError) as e:
        result.errors.append((0, "", str(e)))
        return result
    if not parsed:
        result.errors.append((0, "", "文件中没有数据行"))
        return result
    cleaned, seen = [], {}
    for number, row in parsed:
        clean, errors = check_institution(row, user=user, unique=False)
        code = clean["credit_code"]
        if code and "credit_code" not in errors:
            if code in seen:
                errors["credit_code"] = f"与第{seen[code]}行的统一社会信用代码重复"
            seen.setdefault(code, number)
        for f, h in INSTITUTION_COLUMNS:
            if f in errors:
                result.errors.append((number, h, errors[f]))
        cleaned.append(clean)
    if result.errors:
        return result
    existing = {}
    codes = [c["credit_code"] for c in cleaned]
    for chunk in range(0, len(codes), 500):
        for inst in Institution.select(Institution, Area).join(Area).where(Institution.credit_code.in_(codes[chunk:chunk + 500])):
            existing[inst.credit_code] = inst
    if user is not None:
        for number_clean, (number, _) in zip(cleaned, parsed):
            inst = existing.get(number_clean["credit_code"])
            if inst is not None and not inst.area.is_within(user.area):
                result.errors.append((number, INSTITUTION_HEADERS["credit_code"], f"该代码已登记为辖区外的单位“{inst.name}”，不能修改"))
        if result.errors:
            return result
    lists = lists_for([i.id for i in existing.values()])
    try:
        with _unique("credit_code"), transaction():
            created, updated = [], []
            for clean in cleaned:
                inst = existing.get(clean["credit_code"])
                if inst is None:
                    inst = Institution.create(**{k: clean[k] for k in FIELDS})
                    _set_lists(inst, clean["kinds"], clean["services"])
                    created.append(clean["credit_code"])
                    continue
                kinds, services = lists[inst.id]
                same = all(getattr(inst, k) == clean[k] for k in FIELDS if k != "area") and inst.area_id == clean["area"].id \
                    and sorted(kinds) == sorted(clean["kinds"]) and sorted(services) == sorted(clean["services"])
                if same:
                    result.unchanged += 1
                    continue
                values = {k: clean[k] for k in FIELDS}
                values.update(version=Institution.version + 1, updated_at=datetime.datetime.now())
                Institution.update(**values).where(Institution.id == inst.id).execute()
                _set_lists(inst, clean["kinds"], clean["services"])
                updated.append(clean["credit_code"])
            result.created, result.updated = len(created), len(updated)
            trail.record(actor, "institution.import", "register", "institutions",
                         after={"created": created, "updated": updated, "unchanged": result.unchanged})
    except Invalid as e:
        # another import (or a form) registered one of these codes meanwhile: nothing was written
        return ImportResult(errors=[(0, INSTITUTION_HEADERS["credit_code"], e.errors["credit_code"] + "本次未写入任何数据，请重新导入。")])
    return result


# ------------------------------------------------------------------------------------------------
# Inspectors and 回避
# ------------------------------------------------------------------------------------------------


def units_for(user):
    query = Unit.select(Unit, Area).join(Area).order_by(Area.path, Unit.name)
    return list(visible(query, Unit.area, user) if user is not None else query)


def check_inspector(data, user=None, instance_id=None):
    errors, clean = {}, {}
    clean["name"] = (data.get("name") or "").strip()
    if not clean["name"]:
        errors["name"] = "请填写姓名"
    elif too_long("姓名", clean["name"], INSPECTOR_MAX["name"]):
        errors["name"] = too_long("姓名", clean["name"], INSPECTOR_MAX["name"])
    clean["cert_no"] = (data.get("cert_no") or "").strip()
    if not clean["cert_no"]:
        errors["cert_no"] = "请填写执法证号"
    elif too_long("执法证号", clean["cert_no"], INSPECTOR_MAX["cert_no"]):
        errors["cert_no"] = too_long("执法证号", clean["cert_no"], INSPECTOR_MAX["cert_no"])
    else:
        other = Inspector.get_or_none(Inspector.cert_no == clean["cert_no"])
        if other is not None and other.id != instance_id:
            errors["cert_no"] = f"执法证号已登记给“{other.name}”"
    unit_id = inputs.to_int(str(data.get("unit") or ""))
    unit = Unit.get_or_none(Unit.id == unit_id) if unit_id is not None else None
    if unit is None:
        errors["unit"] = "请选择所属执法单位"
    elif user is not None and not unit.area.is_within(user.area):
        errors["unit"] = "该单位不在您的辖区内"
    clean["unit"] = unit
    clean["specialties"] = ",".join(s for s in (x.strip() for x in LIST_SPLIT.split(data.get("specialties") or "")) if s)
    if too_long("专业", clean["specialties"], INSPECTOR_MAX["specialties"]):
        errors["specialties"] = too_long("专业", clean["specialties"], INSPECTOR_MAX["specialties"])
    clean["active"] = str(data.get("active", "")) in ("1", "on", "true", "y")
    username = (data.get("user") or "").strip()
    clean["user"] = None
    if username:
        linked = User.get_or_none(User.username == username)
        if linked is None:
            errors["user"] = f"找不到登录账号“{username}”"
        else:
            other = Inspector.get_or_none(Inspector.user == linked)
            if other is not None and other.id != instance_id:
                errors["user"] = f"该账号已关联执法人员“{other.name}”"
            clean["user"] = linked
    return clean, errors


def _insp_snapshot(i):
    return {"name": i.name, "cert_no": i.cert_no, "unit": i.unit_id, "specialties": i.specialties, "active": i.active,
            "user": i.user_id, "version": i.version}


INSPECTOR_FIELDS = ("name", "cert_no", "unit", "specialties", "active", "user")


def create_inspector(clean, actor):
    """Add an inspector; raises Invalid when the cert number or account was taken meanwhile."""
    with _unique("cert_no", "user"), transaction():
        insp = Inspector.create(**{k: clean[k] for k in INSPECTOR_FIELDS})
        trail.record(actor, "inspector.create", "inspector", insp.id, after=_insp_snapshot(insp))
    return insp


def update_inspector(insp, clean, version, actor):
    with _unique("cert_no", "user"), transaction():
        before = _insp_snapshot(insp)
        values = {k: clean[k] for k in INSPECTOR_FIELDS}
        values["version"] = Inspector.version + 1
        if Inspector.update(**values).where((Inspector.id == insp.id) & (Inspector.version == version)).execute() != 1:
            raise Conflict()
        insp = Inspector.get_by_id(insp.id)
        trail.record(actor, "inspector.update", "inspector", insp.id, before=before, after=_insp_snapshot(insp))
    return insp


def declare_recusal(insp, credit_code, reason, actor, user=None):
    """Record a 回避 declaration; returns (recusal or None, {field: message})."""
    errors = {}
    code = creditcode.normalise(credit_code)
    inst = Institution.get_or_none(Institution.credit_code == code) if code else None
    if not code:
        errors["credit_code"] = "请填写需回避的检查对象的统一社会信用代码"
    elif inst is None:
        errors["credit_code"] = "名录库中没有该统一社会信用代码的单位"
    elif user is not None and not inst.area.is_within(user.area):
        errors["credit_code"] = "该单位不在您的辖区内"
    elif Recusal.select().where((Recusal.inspector == insp) & (Recusal.institution == inst)).exists():
        errors["credit_code"] = "已申报过对该单位的回避"
    reason = (reason or "").strip()
    if not reason:
        errors["reason"] = "请填写回避理由"
    elif too_long("回避理由", reason, RECUSAL_REASON_MAX):
        errors["reason"] = too_long("回避理由", reason, RECUSAL_REASON_MAX)
    if errors:
        return None, errors
    try:
        with _unique("institution"), transaction():
            rec = Recusal.create(inspector=insp, institution=inst, reason=reason)
            trail.record(actor, "recusal.create", "inspector", insp.id, after={"institution": inst.id, "name": inst.name, "reason": rec.reason})
    except Invalid as e:
        return None, {"credit_code": e.errors["institution"]}
    return rec, {}


def withdraw_recusal(rec, actor):
    with transaction():
        if Recusal.delete().where(Recusal.id == rec.id).execute() != 1:
            return  # withdrawn meanwhile by someone else: nothing more to do or to audit
        trail.record(actor, "recusal.delete", "inspector", rec.inspector_id,
                     before={"institution": rec.institution_id, "reason": rec.reason})


def import_from_path(path, limit=None):
    """The CLI's import: the same size limit as an upload (read no further than it)."""
    limit = limit or current_app.config["SHEET_MAX_BYTES"]
    with open(path, "rb") as fh:
        data = fh.read(limit + 1)
    if len(data) > limit:
        return ImportResult(errors=[(0, "", f"文件超过 {limit // 1024 // 1024} MB 的大小上限，未导入")])
    return import_institutions(data)

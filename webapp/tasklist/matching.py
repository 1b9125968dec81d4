"""Column mapping and row matching for an imported list: which column is which field, which
register unit and inspectors each row means, and what the admin still has to decide.

Pure functions over plain data (the Table, the mapping, the admin's resolutions and a `Register`
snapshot of the area): the preview and the final import run the very same analysis."""
import datetime
import re
import unicodedata
from dataclasses import dataclass, field

from ..registers import creditcode

# (field, label, header words that suggest it) — the order is the order on the mapping screen.
FIELDS = [
    ("name", "单位名称", ("单位名称", "机构名称", "被检查单位", "检查对象", "被抽查单位", "企业名称", "名称")),
    ("credit_code", "统一社会信用代码", ("统一社会信用代码", "社会信用代码", "信用代码", "组织机构代码")),
    ("address", "地址", ("单位地址", "地址", "住所", "经营场所", "执业地点")),
    ("category", "类别", ("单位类别", "机构类别", "抽查类别", "专业类别", "类别", "类型")),
    ("tier", "抽查层级（国家/市级）", ("抽查层级", "任务来源", "层级", "级别", "双随机类型", "任务类型")),
    ("inspectors", "执法人员（姓名或执法证号）", ("执法人员", "检查人员", "监督员", "执法证号", "检查人", "承办人")),
    ("deadline", "完成时限", ("完成时限", "完成期限", "截止日期", "截止时间", "完成时间", "期限", "时限")),
]
FIELD_LABELS = {f: label for f, label, _ in FIELDS}
NAME_SPLIT = re.compile(r"[、,;；/|\s]+")
CERT_IN_NAME = re.compile(r"^(.*?)[(\[]([0-9A-Za-z-]+)[)\]]$")


# ------------------------------------------------------------------------------------------------
# Normalisation
# ------------------------------------------------------------------------------------------------


def norm_name(text):
    """A unit name as compared: half-width, no spaces, 有限责任公司 = 有限公司, one kind of bracket."""
    t = unicodedata.normalize("NFKC", text or "")
    t = re.sub(r"\s+", "", t)
    t = t.replace("有限责任公司", "有限公司")
    t = t.translate(str.maketrans("[]【】〔〕（）", "()()()()"))
    return t.upper()


def norm_address(text):
    t = norm_name(text)
    return t.replace("号院", "号").rstrip("。.")


def parse_date(text):
    """2025-10-31, 2025/10/31, 2025.10.31, 2025年10月31日, 20251031 → date; else None."""
    t = unicodedata.normalize("NFKC", text or "").strip()
    if not t:
        return None
    t = t.split(" ")[0]
    m = re.fullmatch(r"(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?", t) or re.fullmatch(r"(\d{4})(\d{2})(\d{2})", t)
    if not m:
        return None
    try:
        return datetime.date(*map(int, m.groups()))
    except ValueError:
        return None


# ------------------------------------------------------------------------------------------------
# Mapping
# ------------------------------------------------------------------------------------------------


def suggest(headers):
    """{field: header} guessed from the header words (a header is used for one field at most)."""
    out, used = {}, set()
    for f, _, words in FIELDS:
        for w in words:
            hit = next((h for h in headers if h not in used and w in h), None)
            if hit:
                out[f] = hit
                used.add(hit)
                break
    return out


def check_mapping(form, headers, plan):
    """Validate a submitted mapping. Returns (mapping, {field: Chinese message})."""
    mapping, errors = {}, {}
    for f, label, _ in FIELDS:
        h = (form.get(f) or "").strip()
        if not h:
            continue
        if h not in headers:
            errors[f] = f"文件中没有“{h}”这一列"
        elif h in mapping.values():
            errors[f] = f"“{h}”已对应到“{FIELD_LABELS[next(k for k, v in mapping.items() if v == h)]}”，一列只能对应一个字段"
        else:
            mapping[f] = h
    if "name" not in mapping and "credit_code" not in mapping and "name" not in errors:
        errors["name"] = "请至少指定“单位名称”或“统一社会信用代码”所在的列"
    tier_keys = [t.key for t in plan.tiers]
    default_tier = (form.get("tier_default") or "").strip()
    if default_tier:
        if default_tier not in tier_keys:
            errors["tier_default"] = "请选择本计划中的抽查层级"
        else:
            mapping["tier_default"] = default_tier
    elif len(tier_keys) == 1:
        mapping["tier_default"] = tier_keys[0]
    elif "tier" not in mapping and "tier" not in errors:
        errors["tier_default"] = "本计划分国家、市级等层级：请指定层级所在的列，或选择统一的层级"
    return mapping, errors


# ------------------------------------------------------------------------------------------------
# The register of an area, as plain data
# ------------------------------------------------------------------------------------------------


@dataclass
class Institution:
    id: int
    name: str
    credit_code: str
    address: str
    area_id: int
    area_name: str
    kinds: tuple
    status: str


@dataclass
class Person:
    id: int
    name: str
    cert_no: str
    unit_name: str


@dataclass
class Register:
    institutions: dict  # id -> Institution (the area's register)
    people: dict  # id -> Person (active inspectors of the area)
    recusals: set  # {(inspector id, institution id)}
    existing: dict  # {(institution id, tier): "描述"} units already holding a task of this plan
    outside: dict = field(default_factory=dict)  # credit code -> (name, area name) outside the area
    by_code: dict = field(default_factory=dict)
    by_name: dict = field(default_factory=dict)

    def __post_init__(self):
        for u in self.institutions.values():
            self.by_code[u.credit_code] = u
            self.by_name.setdefault(norm_name(u.name), []).append(u)

    def similar(self, name, limit=8):
        """Units whose normalised name contains the row's, or the other way round (for linking)."""
        n = norm_name(name)
        if len(n) < 2:
            return []
        core = n[:4]
        hits = [u for u in self.institutions.values() if n in norm_name(u.name) or norm_name(u.name) in n or core in norm_name(u.name)]
        return sorted(hits, key=lambda u: (abs(len(u.name) - len(name)), u.name))[:limit]


# ------------------------------------------------------------------------------------------------
# Rows
# ------------------------------------------------------------------------------------------------


@dataclass
class Row:
    number: int  # row number in the file
    values: dict  # field -> text
    institution: Institution | None = None
    new_institution: dict | None = None  # an institution the admin chose to create (made on confirmation)
    institution_problem: str = ""
    candidates: list = field(default_factory=list)
    category: str = ""
    tier: str = ""
    deadline: datetime.date | None = None
    inspectors: list = field(default_factory=list)  # Person, in list order; [] → random
    random: bool = True
    problems: dict = field(default_factory=dict)  # field -> Chinese message (besides the unit)
    notes: list = field(default_factory=list)  # shown, not blocking
    skipped: bool = False
    resolution: dict = field(default_factory=dict)

    @property
    def ok(self):
        return self.skipped or (not self.institution_problem and not self.problems)

    @property
    def label(self):
        return self.values.get("name") or self.values.get("credit_code") or f"第{self.number}行"

    @property
    def institution_name(self):
        if self.unit:
            return self.unit.name
        return self.new_institution["name"] if self.new_institution else ""


def _match_institution(row, reg):
    name, code = row.values.get("name", ""), creditcode.normalise(row.values.get("credit_code", ""))
    address = row.values.get("address", "")
    by_name = reg.by_name.get(norm_name(name), []) if name else []
    if code:
        bad = creditcode.problem(code)
        if bad:
            row.institution_problem = f"统一社会信用代码“{code}”有误：{bad}"
            row.candidates = by_name or reg.similar(name)
            return
        if code in reg.by_code:
            row.institution = reg.by_code[code]
            if name and norm_name(name) != norm_name(row.institution.name):
                row.notes.append(f"名称与名录库不同（名录库为“{row.institution.name}”），按统一社会信用代码匹配")
            return
        if code in reg.outside:
            other, where = reg.outside[code]
            row.institution_problem = f"统一社会信用代码对应的“{other}”属于{where}，不在本次导入的地区内"
            row.candidates = by_name or reg.similar(name)
            return
    if not name:
        row.institution_problem = "该行没有单位名称，统一社会信用代码在名录库中也找不到" if code else "该行没有单位名称和统一社会信用代码"
        return
    hits = by_name
    if len(hits) > 1 and address:
        same_place = [u for u in hits if norm_address(u.address) == norm_address(address)]
        hits = same_place if len(same_place) == 1 else hits
    if len(hits) == 1:
        row.institution = hits[0]
        if code:
            row.notes.append(f"名录库中该单位的统一社会信用代码为 {row.institution.credit_code}，与清单中的 {code} 不同，按名称匹配")
        return
    if hits:
        row.institution_problem = f"名录库中有 {len(hits)} 个名为“{name}”的单位，请选择是哪一个"
        row.candidates = hits
        return
    row.institution_problem = "名录库中找不到该单位" + ("（统一社会信用代码和名称都未匹配）" if code else "")
    row.candidates = reg.similar(name)


def _category(row, plan, value):
    if value:
        v = norm_name(value)
        for c in plan.categories:
            if v in (norm_name(c.name), c.key.upper()):
                return c.key
        hits = [c for c in plan.categories if v in norm_name(c.name) or norm_name(c.name) in v]
        if len(hits) == 1:
            return hits[0].key
        return None
    kinds = row.institution.kinds if row.institution else tuple(row.new_institution.get("kinds", ())) if row.new_institution else ()
    cat = plan.category_of(kinds) if kinds else None
    return cat.key if cat else None


def _tier(plan, value, default):
    if not value:
        return default or None
    v = norm_name(value)
    for t in plan.tiers:
        if v in (norm_name(t.name), t.key.upper()):
            return t.key
    if "国家" in v or "国" == v:
        hits = [t for t in plan.tiers if "国家" in t.name]
    elif "市" in v:
        hits = [t for t in plan.tiers if "市" in t.name]
    else:
        hits = [t for t in plan.tiers if v in norm_name(t.name)]
    return hits[0].key if len(hits) == 1 else None


def _people(row, reg, value):
    people, problems = [], []
    by_cert = {p.cert_no.upper(): p for p in reg.people.values()}
    for token in NAME_SPLIT.split(unicodedata.normalize("NFKC", value)):
        token = token.strip()
        if not token:
            continue
        m = CERT_IN_NAME.match(token)
        name, cert = (m.group(1), m.group(2)) if m else (token, token)
        p = by_cert.get(cert.upper())
        if p is None:
            same = [q for q in reg.people.values() if q.name == name]
            if len(same) == 1:
                p = same[0]
            elif same:
                problems.append(f"有 {len(same)} 名执法人员叫“{name}”，请指定")
                continue
            else:
                problems.append(f"执法人员名录库（本地区、在岗）中没有“{token}”")
                continue
        if p in people:
            continue
        if row.institution and (p.id, row.institution.id) in reg.recusals:
            problems.append(f"“{p.name}”已声明回避“{row.institution.name}”，不能检查该单位")
            continue
        people.append(p)
    return people, problems


def analyse_row(number, values, plan, reg, mapping, resolution):
    """One row: its unit, category, tier, deadline and inspectors, with what blocks it."""
    row = Row(number=number, values=values, resolution=resolution or {})
    res = row.resolution
    if res.get("skip") and str(res.get("reason") or "").strip():
        row.skipped = True
        return row  # a skip stored without its reason (before the reason was required) counts for nothing
    if res.get("unit"):
        row.institution = reg.institutions.get(int(res["unit"]))
        if row.institution is None:
            row.institution_problem = "所选单位已不在本地区名录库中，请重新选择"
    elif res.get("create"):
        row.new_institution = res["create"]
        if row.new_institution.get("credit_code") in reg.by_code:
            row.institution_problem = f"统一社会信用代码 {row.new_institution['credit_code']} 已登记为“{reg.by_code[row.new_institution['credit_code']].name}”，请改为关联该单位"
    else:
        _match_institution(row, reg)

    if res.get("category"):
        row.category = res["category"]
    elif row.institution or row.new_institution:
        row.category = _category(row, plan, values.get("category", ""))
        if row.category is None:
            row.category = ""
            row.problems["category"] = (f"类别“{values['category']}”不是本计划的类别" if values.get("category")
                                        else "无法按名录库的单位类别确定该单位在本计划中的类别") + "，请选择"
    row.tier = res.get("tier") or _tier(plan, values.get("tier", ""), mapping.get("tier_default")) or ""
    if not row.tier:
        row.problems["tier"] = f"无法识别抽查层级“{values.get('tier', '')}”，请选择"
    if res.get("deadline"):
        row.deadline = datetime.date.fromisoformat(res["deadline"])
    elif values.get("deadline"):
        row.deadline = parse_date(values["deadline"])
        if row.deadline is None:
            row.problems["deadline"] = f"无法识别的日期“{values['deadline']}”，请填写完成时限"
    if "inspectors" in res:
        chosen = res["inspectors"]
        row.inspectors = [reg.people[i] for i in chosen if i in reg.people] if chosen != "random" else []
        if chosen != "random" and len(row.inspectors) != len(chosen):
            row.problems["inspectors"] = "所选执法人员已不在本地区在岗人员中，请重新选择"
    elif values.get("inspectors"):
        row.inspectors, problems = _people(row, reg, values["inspectors"])
        if problems:
            row.problems["inspectors"] = "；".join(problems)
    row.random = not row.inspectors
    return row


def analyse(table, plan, reg, mapping, resolutions):
    """Every row of the file, with duplicates and units already tasked under the plan flagged."""
    columns = {f: table.headers.index(h) for f, h in mapping.items() if f in FIELD_LABELS and h in table.headers}
    rows = []
    for number, cells in table.rows:
        values = {f: cells[i].strip() for f, i in columns.items()}
        rows.append(analyse_row(number, values, plan, reg, mapping, resolutions.get(str(number))))
    seen = {}
    for row in rows:
        if row.skipped or row.institution_problem or not row.tier:
            continue
        key = (row.institution.id if row.institution else "new:" + row.new_institution["credit_code"], row.tier)
        if key in seen:
            row.institution_problem = f"与第 {seen[key]} 行是同一单位、同一层级：请排除其中一行或关联到其他单位"
            row.candidates = []
        else:
            seen[key] = row.number
            if row.institution and (row.institution.id, row.tier) in reg.existing:
                row.institution_problem = f"该单位已有本计划的任务（{reg.existing[(row.institution.id, row.tier)]}），不能重复下发：请排除此行"
    return rows

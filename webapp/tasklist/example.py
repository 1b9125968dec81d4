"""An example list as an upper platform sends it, made from an area's own register: the demo
imports one, the upload page offers one for download, tests/data/tasklist/ holds one.

Deterministic (units and inspectors in id order), so the same register gives the same file."""
from ..org.models import Unit as OrgUnit
from ..printing import HeaderCell, Sheet, build_workbook
from ..registers import creditcode
from ..registers.models import Inspector, Institution, InstitutionKind

HEADER = ["序号", "单位名称", "统一社会信用代码", "单位地址", "单位类别", "抽查层级", "执法人员", "完成时限"]


def _institution_rows(plan, area, n):
    kinds = {k: c for c in plan.categories for k in c.kinds}
    seen, out = set(), []
    query = (Institution.select(Institution, InstitutionKind.kind.alias("k")).join(InstitutionKind)
             .where(Institution.area.in_(area.subtree_ids()) & (Institution.status == "在业")
                    & InstitutionKind.kind.in_(list(kinds))).order_by(Institution.id))
    for inst in query.objects():
        if inst.id in seen:
            continue
        seen.add(inst.id)
        out.append((inst, kinds[inst.k]))
    step = max(1, len(out) // n) if out else 1
    return out[::step][:n]


def best_plan(plans, area):
    """The plan with the most units of the area in its categories (the most telling example)."""
    counts = [(len(_institution_rows(p, area, 10**6)), -n, p) for n, p in enumerate(plans)]
    best = max(counts, key=lambda c: c[:2], default=None)
    return best[2] if best and best[0] else None


def rows(plan, area, problems=True, n=7):
    """The list's rows: by credit code, one by (spaced, half-width-bracketed) name only, some with
    inspectors named by name or 执法证号, the rest left to the system; with `problems`, also a
    unit missing from the register and one with a wrong credit code."""
    people = list(Inspector.select().join(OrgUnit).where((Inspector.active == True) & OrgUnit.area.in_(area.subtree_ids()))  # noqa: E712
                  .order_by(Inspector.user.is_null(), Inspector.id))
    tier = plan.tiers[0].name
    deadline = next((d.date for d in plan.deadlines if d.kind == "completion"), None)
    out = []
    units = _institution_rows(plan, area, n + (1 if problems else 0))
    for i, (inst, cat) in enumerate(units[:n]):
        name, code, names = inst.name, inst.credit_code, ""
        if i == 0 and len(people) >= 2:
            names = f"{people[0].name}、{people[1].name}"
        elif i == 1 and len(people) >= 4:
            names = f"{people[2].cert_no}/{people[3].cert_no}"
        elif i == 2:
            name, code = " ".join([inst.name[:3], inst.name[3:]]).replace("（", "(").replace("）", ")"), ""
        out.append([i + 1, name, code, inst.address, cat.name, tier, names, deadline.isoformat() if deadline and i < 2 else ""])
    if problems:
        cat = plan.categories[-1] if len(plan.categories) > 1 else plan.categories[0]
        out.append([len(out) + 1, f"{area.name}康乐口腔诊所", creditcode.complete(f"92{area.code}MA7KL0Q"[:17].ljust(17, "0")),
                    f"{area.name}幸福路18号", cat.name, tier, "", ""])
        if len(units) > n:
            inst, cat = units[n]
            bad = inst.credit_code[:17] + ("1" if inst.credit_code[17] != "1" else "2")
            out.append([len(out) + 1, inst.name, bad, inst.address, cat.name, tier, "", ""])
    return out


def workbook(plan, area, problems=True):
    """The list as an .xlsx: a merged title and an issuing line above the header, a note below."""
    sheet = Sheet(title="任务清单", header=[[HeaderCell(h) for h in HEADER]], rows=rows(plan, area, problems),
                  headings=[f"{plan.title.replace('计划表', '').replace('工作', '')}任务清单（{area.name}）", "下发单位：乌鲁木齐市卫生健康委员会　　来源：市执法平台双随机名单"],
                  footer=["注：执法人员一栏为空的，由各区自行随机分配。"], widths=[6, 36, 22, 30, 18, 12, 24, 12])
    return build_workbook([sheet])

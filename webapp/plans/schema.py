"""What a plan file and the vocabulary must contain: the schema checks, in Chinese.

``plan()`` checks one parsed plan file completely against the vocabulary it is given, reports
every problem through the Checker (file, place, problem) and builds the frozen model only when
there is none. The summary tables are checked in ``summaries.py``.
"""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from typing import Any, Mapping

from .checker import Checker, Spec, at, check_refs, key_names
from .model import (
    DEFAULT_TIER_KEY,
    DEFAULT_TIER_NAME,
    REMAINDER_PREFIX,
    DEADLINE_KINDS,
    CaseKind,
    Category,
    Deadline,
    Item,
    Kind,
    Lookback,
    Period,
    Plan,
    Sampling,
    Section,
    Service,
    Summary,
    Tier,
    Vocabulary,
)
from .summaries import generated_summary, summary_tables

_PLAN_ID_RE = re.compile(r"^[a-z0-9][a-z0-9-]*$")

_VOCAB_SPEC: Spec = {"kinds": ("tables", True), "services": ("tables", True)}

_PLAN_SPEC: Spec = {
    "id": ("str", True),
    "title": ("str", True),
    "year": ("int", True),
    "authority": ("str", True),
    "seed": ("str", True),
    "kind": ("str", True),
    "document": ("str", False),
    "note": ("str", False),
    "lookback": ("table", False),
    "period": ("table", False),
    "deadlines": ("tables", False),
    "tiers": ("tables", False),
    "categories": ("tables", True),
    "draws": ("tables", False),
    "case_kinds": ("tables", False),
    "sections": ("tables", True),
    "summaries": ("tables", False),
    "generated_summary": ("bool", False),
}
_LOOKBACK_SPEC: Spec = {"years": ("ints", True), "note": ("str", True)}
_PERIOD_SPEC: Spec = {"start": ("date", True), "end": ("date", True)}
_DEADLINE_SPEC: Spec = {
    "kind": ("str", True),
    "label": ("str", True),
    "date": ("date", True),
    "start": ("date", False),
}
_CATEGORY_SPEC: Spec = {"key": ("str", True), "name": ("str", True), "kinds": ("strs", True)}
_SAMPLING_SPEC: Spec = {
    "categories": ("strs", True),
    "tier": ("str", False),
    "ratio": ("number", True),
    "base": ("str", False),
    "per_district": ("int", False),
    "rounding": ("str", False),
    "note": ("str", False),
}
_SECTION_SPEC: Spec = {
    "key": ("str", True),
    "title": ("str", True),
    "categories": ("strs", False),
    "services": ("strs", False),
    "items": ("tables", True),
}
_ITEM_SPEC: Spec = {
    "key": ("str", True),
    "text": ("str", True),
    "basis": ("str", True),
    "categories": ("strs", False),
    "services": ("strs", False),
    "optional_note": ("str", False),
    "short": ("str", False),
    "case_kind": ("str", False),
}


def vocabulary(c: Checker, data: dict[str, Any], text: str) -> Vocabulary:
    """The vocabulary of _categories.toml (``text``: the file as it was read)."""
    f = c.fields("", data, _VOCAB_SPEC)
    kinds = key_names(c, "kinds", f["kinds"], "登记类别")
    services = key_names(c, "services", f["services"], "服务项目")
    return Vocabulary(
        kinds={k: Kind(k, n) for k, n in kinds.items()},
        services={k: Service(k, n) for k, n in services.items()},
        text=text,
    )


def plan(c: Checker, data: dict[str, Any], vocab: Vocabulary, version: str, text: str) -> Plan | None:
    """The Plan of one parsed file, or None when ``c`` collected any error for it."""
    top = c.fields("", data, _PLAN_SPEC)

    if top["id"] is not None and not _PLAN_ID_RE.match(top["id"]):
        c.err("id", f"计划编号 “{top['id']}” 只能由小写字母、数字和连字符组成")
    if top["year"] is not None and not 2000 <= top["year"] <= 2100:
        c.err("year", f"年份 {top['year']} 不合理")
    if top["kind"] is not None and top["kind"] not in ("random", "special"):
        c.err("kind", f"计划类型应为 “random”（随机抽查）或 “special”（专项检查），实为 “{top['kind']}”")

    lookback = None
    if top["lookback"] is not None:
        lb = c.fields("lookback", top["lookback"], _LOOKBACK_SPEC)
        if lb["years"] is not None and lb["note"] is not None:
            lookback = Lookback(tuple(lb["years"]), lb["note"])

    period = _period(c, top["period"], top["year"])
    deadlines = []
    for i, table in enumerate(top["deadlines"] or []):
        place = at("", "deadlines", i)
        d = c.fields(place, table, _DEADLINE_SPEC)
        if d["kind"] is not None and d["kind"] not in DEADLINE_KINDS:
            known = "、".join(f"“{k}”（{n}）" for k, n in DEADLINE_KINDS.items())
            c.err(f"{place}.kind", f"未知的期限类型 “{d['kind']}”，应为 {known} 之一")
            d["kind"] = None
        if d["start"] is not None and d["date"] is not None and d["start"] > d["date"]:
            c.err(f"{place}.start", "开始日期晚于截止日期")
        # a stage of the 汇总表 runs from the period's start to this date: it must lie inside
        if d["kind"] == "stage_summary" and period is not None and d["date"] is not None and d["date"] not in period:
            c.err(f"{place}.date", f"阶段性总结日期 {d['date']} 不在计划期间 {period.start} 至 {period.end} 内")
        if d["kind"] is not None and d["label"] is not None and d["date"] is not None:
            deadlines.append(Deadline(d["kind"], d["date"], d["label"], d["start"]))

    # Tiers: a plan without [[tiers]] has one implicit tier, so every sampling rule has a tier.
    tier_names = key_names(c, "tiers", top["tiers"], "抽取层级")
    if top["tiers"] is None:
        tier_names = {DEFAULT_TIER_KEY: DEFAULT_TIER_NAME}
    elif not top["tiers"]:
        c.err("tiers", "不能为空列表（不分层级时省略 tiers）")
    tiers = tuple(Tier(k, n) for k, n in tier_names.items())

    categories = _categories(c, top["categories"] or [], vocab)
    cat_keys = [cat.key for cat in categories]
    if top["categories"] is not None and not top["categories"]:
        c.err("categories", "至少需要一个单位类别")

    sampling = _sampling(c, top["draws"] or [], cat_keys, tier_names)
    if top["kind"] == "random":
        if not sampling and not c.errors:
            c.err("draws", "随机抽查计划至少需要一条抽取规则")
        # count categories named by any rule, valid or not, so one bad rule gives one error
        drawn = {
            k
            for t in top["draws"] or []
            if isinstance(t.get("categories"), list)
            for k in t["categories"]
        }
        for cat in categories:
            if cat.key not in drawn:
                c.err("draws", f"单位类别 “{cat.key}” 没有抽取规则")
    elif top["kind"] == "special" and top["draws"]:
        c.err("draws", "专项检查计划不抽取，不应有 draws")

    case_kinds = tuple(
        CaseKind(k, n) for k, n in key_names(c, "case_kinds", top["case_kinds"], "案件分类").items()
    )
    case_keys = [ck.key for ck in case_kinds]

    sections = _sections(c, top["sections"] or [], cat_keys, vocab, case_keys)
    if top["sections"] is not None and not top["sections"]:
        c.err("sections", "至少需要一个检查内容部分")
    items = {i.key: i for s in sections for i in s.items}

    generated = bool(top["generated_summary"])
    summaries: tuple[Summary, ...] = ()
    if generated:
        if top["summaries"]:
            c.err("summaries", "已设 generated_summary = true，不应再写 summaries")
        for s_index, section in enumerate(sections):
            for i_index, item in enumerate(section.items):
                if item.short is None:
                    c.err(
                        f"sections[{s_index}].items[{i_index}]",
                        "生成汇总表需要检查项简称 “short”",
                    )
        title = top["title"] or ""
        summaries = (generated_summary(title, categories, sections),)
    else:
        if not top["summaries"]:
            c.err("", "缺少汇总表：请写 [[summaries]]，或设 generated_summary = true")
        summaries = summary_tables(c, top["summaries"] or [], cat_keys, items, case_keys)

    if c.errors:
        return None
    return Plan(
        id=top["id"],
        title=top["title"],
        year=top["year"],
        authority=top["authority"],
        seed=top["seed"],
        kind=top["kind"],
        version=version,
        source=c.name,
        tiers=tiers,
        categories=categories,
        sampling=sampling,
        sections=sections,
        summaries=summaries,
        period=period,
        deadlines=tuple(deadlines),
        case_kinds=case_kinds,
        document=top["document"],
        note=top["note"],
        lookback=lookback,
        generated_summary=generated,
        text=text,
        vocabulary=vocab,
    )


def _period(c: Checker, table: dict | None, year: int | None) -> Period | None:
    """The plan's [period]; without one, its plan year (1 January to 31 December)."""
    if table is None:
        return Period(date(year, 1, 1), date(year, 12, 31)) if year is not None and 2000 <= year <= 2100 else None
    f = c.fields("period", table, _PERIOD_SPEC)
    if f["start"] is None or f["end"] is None:
        return None
    if f["start"] > f["end"]:
        c.err("period.end", f"计划期间的结束日期 {f['end']} 早于开始日期 {f['start']}")
        return None
    if year is not None and f["start"].year != year:
        c.err("period.start", f"计划期间应从计划年度 {year} 年开始，实为 {f['start']}")
        return None
    return Period(f["start"], f["end"])


def _categories(c: Checker, tables: list[dict], vocab: Vocabulary) -> tuple[Category, ...]:
    out: list[Category] = []
    owner: dict[str, str] = {}  # register kind -> plan category holding it
    for i, table in enumerate(tables):
        place = at("", "categories", i)
        f = c.fields(place, table, _CATEGORY_SPEC)
        key = c.key(place, f["key"])
        if key is not None and any(cat.key == key for cat in out):
            c.err(f"{place}.key", f"单位类别 “{key}” 重复")
            continue
        kinds = check_refs(c, f"{place}.kinds", f["kinds"] or [], vocab.kinds, "登记类别")
        if f["kinds"] is not None and not f["kinds"]:
            c.err(f"{place}.kinds", "至少需要一个登记类别")
        # A register kind in two rows would make category_of() ambiguous.
        for k in kinds:
            if k in owner:
                c.err(f"{place}.kinds", f"登记类别 “{k}” 已归入单位类别 “{owner[k]}”")
            elif key is not None:
                owner[k] = key
        if key is not None and f["name"] is not None:
            out.append(Category(key, f["name"], kinds))
    return tuple(out)


def _sampling(
    c: Checker, tables: list[dict], cat_keys: list[str], tiers: Mapping[str, str]
) -> tuple[Sampling, ...]:
    """The [[draws]] tables: the sampling rules."""
    out: list[Sampling] = []
    seen: dict[tuple[str, str], int] = {}  # (tier, category) -> rule index
    for i, table in enumerate(tables):
        place = at("", "draws", i)
        f = c.fields(place, table, _SAMPLING_SPEC)
        ok = all(f[k] is not None for k in ("categories", "ratio"))
        cats = check_refs(c, f"{place}.categories", f["categories"] or [], cat_keys, "单位类别")
        if f["categories"] is not None and not f["categories"]:
            c.err(f"{place}.categories", "至少需要一个单位类别")
            ok = False

        tier = f["tier"]
        if "tier" not in table:
            if len(tiers) == 1:
                tier = next(iter(tiers))
            else:
                c.err(place, "计划有多个抽取层级，须写明 “tier”")
                ok = False
        elif tier is not None and tier not in tiers:
            c.err(f"{place}.tier", f"未知的抽取层级 “{tier}”")
            ok = False

        ratio = None
        if f["ratio"] is not None:
            # via str() so that 0.12 becomes Decimal("0.12"), not 0.11999999999999999555910790149937
            ratio = Decimal(str(f["ratio"]))
            if not 0 < ratio <= 1:
                c.err(f"{place}.ratio", f"抽取比例应大于 0 且不大于 1，实为 {f['ratio']}")
                ok = False

        base = f["base"]
        if base is not None:
            other = base[len(REMAINDER_PREFIX):] if base.startswith(REMAINDER_PREFIX) else None
            if other is None:
                c.err(f"{place}.base", f"应为 “remainder:<层级>”，实为 “{base}”")
                ok = False
            elif other not in tiers:
                c.err(f"{place}.base", f"未知的抽取层级 “{other}”")
                ok = False
            elif other == tier:
                c.err(f"{place}.base", "不能取本层级的剩余单位")
                ok = False

        if f["per_district"] is not None and f["per_district"] < 1:
            c.err(f"{place}.per_district", "每个区县抽取数应至少为 1")
            ok = False
        if f["rounding"] is not None and f["rounding"] != "ceil":
            c.err(f"{place}.rounding", f"取整方式只支持 “ceil”（向上取整），实为 “{f['rounding']}”")
            ok = False

        for cat in cats:
            if tier is not None and (tier, cat) in seen:
                c.err(
                    f"{place}.categories",
                    f"单位类别 “{cat}” 在层级 “{tier}” 已由 draws[{seen[tier, cat]}] 抽取",
                )
                ok = False
            elif tier is not None:
                seen[tier, cat] = i

        if ok and tier is not None and ratio is not None:
            out.append(Sampling(cats, tier, ratio, base, f["per_district"], "ceil", f["note"]))

    # A remainder rule needs the other tier to draw the very same pool first.
    for i, d in enumerate(out):
        other = d.remainder_of
        if other and not any(o.tier == other and o.categories == d.categories for o in out):
            c.err(
                at("", "draws", i) + ".base",
                f"层级 “{other}” 没有对同一单位类别的抽取规则，无剩余单位可取",
            )
    return tuple(out)


def _sections(
    c: Checker,
    tables: list[dict],
    cat_keys: list[str],
    vocab: Vocabulary,
    case_keys: list[str],
) -> tuple[Section, ...]:
    out: list[Section] = []
    seen_items: dict[str, str] = {}
    for s_index, table in enumerate(tables):
        s_place = at("", "sections", s_index)
        f = c.fields(s_place, table, _SECTION_SPEC)
        if f["key"] is not None and any(s.key == f["key"] for s in out):
            c.err(f"{s_place}.key", f"部分编号 “{f['key']}” 重复")
        # Section-level categories/services are defaults for its items (a whole section may be
        # for one kind of unit, e.g. 特殊血站管理 in seed 001 附表3).
        s_cats = check_refs(c, f"{s_place}.categories", f["categories"] or [], cat_keys, "单位类别")
        s_svcs = check_refs(c, f"{s_place}.services", f["services"] or [], vocab.services, "服务项目")
        items: list[Item] = []
        for i_index, item_table in enumerate(f["items"] or []):
            place = at(s_place, "items", i_index)
            g = c.fields(place, item_table, _ITEM_SPEC)
            key = g["key"]
            if key is not None:
                if key in seen_items:
                    c.err(f"{place}.key", f"检查项编号 “{key}” 重复（已见于 {seen_items[key]}）")
                    key = None
                else:
                    seen_items[key] = place
            cats = (
                check_refs(c, f"{place}.categories", g["categories"], cat_keys, "单位类别")
                if g["categories"] is not None
                else (s_cats or tuple(cat_keys))
            )
            if g["categories"] is not None and not g["categories"]:
                c.err(f"{place}.categories", "不能为空列表（适用全部单位类别时省略）")
            svcs = (
                check_refs(c, f"{place}.services", g["services"], vocab.services, "服务项目")
                if g["services"] is not None
                else s_svcs
            )
            if g["case_kind"] is not None and g["case_kind"] not in case_keys:
                c.err(f"{place}.case_kind", f"未知的案件分类 “{g['case_kind']}”")
            if key is None or g["text"] is None or g["basis"] is None or f["key"] is None:
                continue
            items.append(
                Item(
                    key=key,
                    text=g["text"],
                    basis=g["basis"],
                    section=f["key"],
                    categories=cats,
                    services=svcs,
                    optional_note=g["optional_note"],
                    short=g["short"],
                    case_kind=g["case_kind"],
                )
            )
        if f["items"] is not None and not f["items"]:
            c.err(f"{s_place}.items", "至少需要一个检查项")
        if f["key"] is not None and f["title"] is not None:
            out.append(Section(f["key"], f["title"], tuple(items)))
    return tuple(out)

"""Checking TOML tables, with every problem named in Chinese and all problems found at once.

The generic half of the schema: a Checker collects every error of one file as
'<file>: <place>: <problem>' (so whoever edits a plan fixes all mistakes in one go), checks the
keys and types of one table against a Spec, and turns tomllib's English errors into Chinese.
What a plan file must contain is in ``schema.py`` and ``summaries.py``.
"""

from __future__ import annotations

import re
import tomllib
from datetime import date, datetime
from typing import Any, Iterable

KEY_RE = re.compile(r"^[a-z][a-z0-9_]*$")


class PlanError(Exception):
    """Every problem found in the plan files, each a full Chinese sentence naming file and place."""

    def __init__(self, errors: list[str]):
        self.errors = list(errors)
        super().__init__("计划文件有误：\n" + "\n".join(self.errors))


_TYPE_NAMES = {
    "str": "文本",
    "int": "整数",
    "number": "数字",
    "bool": "布尔值（true 或 false）",
    "date": "日期（如 2025-06-15）",
    "strs": "文本列表",
    "ints": "整数列表",
    "table": "表",
    "tables": "表数组（[[…]]）",
}


def _kind_of(value: Any) -> str:
    """Name a TOML value's type in Chinese, for 'expected X, got Y' messages."""
    if isinstance(value, bool):
        return "布尔值"
    if isinstance(value, int):
        return "整数"
    if isinstance(value, float):
        return "小数"
    if isinstance(value, str):
        return "文本"
    if isinstance(value, datetime):
        return "日期时间"
    if isinstance(value, date):
        return "日期"
    if isinstance(value, list):
        return "列表"
    if isinstance(value, dict):
        return "表"
    return type(value).__name__


def _matches(value: Any, kind: str) -> bool:
    if kind == "str":
        return isinstance(value, str)
    if kind == "int":
        return isinstance(value, int) and not isinstance(value, bool)
    if kind == "number":
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if kind == "bool":
        return isinstance(value, bool)
    if kind == "date":
        # a datetime is a date subclass, but a deadline is a day
        return type(value) is date
    if kind == "strs":
        return isinstance(value, list) and all(isinstance(v, str) for v in value)
    if kind == "ints":
        return isinstance(value, list) and all(
            isinstance(v, int) and not isinstance(v, bool) for v in value
        )
    if kind == "table":
        return isinstance(value, dict)
    if kind == "tables":
        return isinstance(value, list) and all(isinstance(v, dict) for v in value)
    raise AssertionError(kind)


# field name -> (type, required)
Spec = dict[str, tuple[str, bool]]

# [[x]] tables of a key and a name: kinds, services, tiers, case_kinds
_KEY_NAME_SPEC: Spec = {"key": ("str", True), "name": ("str", True)}


class Checker:
    """Collects errors for one file; every message is '<file>: <place>: <problem>'."""

    def __init__(self, name: str, errors: list[str] | None = None):
        self.name = name
        self.errors: list[str] = [] if errors is None else errors

    def err(self, where: str, problem: str) -> None:
        self.errors.append(f"{self.name}: {where}: {problem}" if where else f"{self.name}: {problem}")

    def fields(self, where: str, data: dict[str, Any], spec: Spec) -> dict[str, Any]:
        """Check keys and types of one table; returns the good values (bad or absent -> None)."""
        out: dict[str, Any] = {}
        for key in data:
            if key not in spec:
                self.err(where, f"未知的键 “{key}”")
        for key, (kind, required) in spec.items():
            place = f"{where}.{key}" if where else key
            if key not in data:
                if required:
                    self.err(where, f"缺少必填项 “{key}”")
                out[key] = None
                continue
            value = data[key]
            if not _matches(value, kind):
                self.err(place, f"应为{_TYPE_NAMES[kind]}，实为{_kind_of(value)}")
                out[key] = None
                continue
            if kind == "str" and not value.strip():
                self.err(place, "不能为空")
                out[key] = None
                continue
            if kind == "strs" and any(not v.strip() for v in value):
                self.err(place, "列表中不能有空文本")
                out[key] = None
                continue
            out[key] = value
        return out

    def key(self, where: str, value: str | None) -> str | None:
        if value is not None and not KEY_RE.match(value):
            self.err(f"{where}.key", f"键 “{value}” 只能由小写字母、数字和下划线组成，且以字母开头")
            return None
        return value


def at(parent: str, name: str, index: int) -> str:
    return f"{parent}.{name}[{index}]" if parent else f"{name}[{index}]"


# tomllib speaks English; the people editing plans read Chinese.
_TOML_MESSAGES = (
    ("Invalid date or datetime", "日期或时间无效"),
    ("Cannot overwrite a value", "同一个键被重复定义"),
    ("Cannot declare", "同一个表被重复声明"),
    ("Invalid value", "值无效"),
    ("Invalid initial character for a key part", "键名无效"),
    ("Unclosed array", "数组没有闭合"),
    ("Unterminated string", "字符串没有闭合"),
    ("Expected newline or end of document after a statement", "一条语句之后应当换行"),
)
_TOML_WHERE = re.compile(r"\(at line (\d+), column (\d+)\)|\(at end of document\)")


def _toml_error(exc: tomllib.TOMLDecodeError) -> str:
    text = str(exc)
    message = next((zh for en, zh in _TOML_MESSAGES if text.startswith(en)), None)
    where = _TOML_WHERE.search(text)
    if message is None:
        return f"TOML 格式错误：{text}"
    if where is None:
        return f"TOML 格式错误：{message}"
    if where.group(1):
        return f"TOML 格式错误：第 {where.group(1)} 行第 {where.group(2)} 列，{message}"
    return f"TOML 格式错误：文件末尾，{message}"


def parse_toml(text: str, checker: Checker) -> dict[str, Any] | None:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        checker.err("", _toml_error(exc))
        return None


def key_names(c: Checker, where: str, tables: list[dict] | None, what: str) -> dict[str, str]:
    """[[x]] key + name lists: kinds, services, tiers, case_kinds. Returns key -> name."""
    seen: dict[str, str] = {}
    for i, table in enumerate(tables or []):
        place = at("", where, i)
        f = c.fields(place, table, _KEY_NAME_SPEC)
        key = c.key(place, f["key"])
        if key is None or f["name"] is None:
            continue
        if key in seen:
            c.err(f"{place}.key", f"{what} “{key}” 重复")
            continue
        seen[key] = f["name"]
    return seen


def check_refs(
    c: Checker, place: str, values: Iterable[str], known: Iterable[str], what: str
) -> tuple[str, ...]:
    """Report unknown keys in a reference list; returns the known ones in order, deduplicated."""
    known = set(known)
    good: list[str] = []
    for v in values:
        if v not in known:
            c.err(place, f"未知的{what} “{v}”")
        elif v in good:
            c.err(place, f"{what} “{v}” 重复列出")
        else:
            good.append(v)
    return tuple(good)


"""Read the plan files in ``forms/`` and validate them completely at load: the entry points.

A plan (抽查计划) is data, not code: its categories (单位类别), sampling ratios, check items and
summary tables (汇总表) live in one TOML file per plan (see ``forms/README.md``). This module is
the only reader of those files. It checks *everything* before returning anything, collects every
problem (not just the first) and names the file, the place in it and the problem in Chinese, so
that whoever edits a plan can fix all mistakes in one go.

The result is the frozen model of ``model.py``. Each plan carries ``version``, a hash of its
file's bytes, the text itself and the vocabulary it was checked against: a record stores the plan
id and version it was made with, and ``versions.py`` keeps that text, so an old record can always
be rendered with the plan as it was.

The package: ``model`` (the frozen dataclasses), ``checker`` (generic TOML checking and its
Chinese messages), ``schema`` (what a plan file and the vocabulary contain), ``summaries`` (the
汇总表 columns), this module (reading files), ``catalog`` (the current plans and plans by version,
one cache) and ``versions`` (the stored versions).
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from . import schema
from .checker import Checker, PlanError, parse_toml
from .model import Catalog, Plan, Vocabulary

__all__ = [
    "PlanError",
    "FORMS_DIR",
    "VOCABULARY_FILE",
    "version_of",
    "load_plans",
    "load_vocabulary",
    "load_vocabulary_text",
    "load_plan_file",
    "load_plan_text",
    "check",
]

# webapp/plans/loader.py -> repository root -> forms/
FORMS_DIR = Path(__file__).resolve().parents[2] / "forms"
# The shared vocabulary (register kinds and services) is not a plan: its name starts with "_".
VOCABULARY_FILE = "_categories.toml"


def version_of(data: bytes) -> str:
    """A plan version: the first 16 hex digits of the sha256 of the file's bytes."""
    return hashlib.sha256(data).hexdigest()[:16]


# ------------------------------------------------------------------------------------------------
# The vocabulary (_categories.toml)
# ------------------------------------------------------------------------------------------------


def _vocabulary_from_text(text: str, checker: Checker) -> Vocabulary:
    data = parse_toml(text, checker)
    return schema.vocabulary(checker, data, text) if data is not None else Vocabulary({}, {}, text)


def load_vocabulary_text(text: str, name: str = VOCABULARY_FILE) -> Vocabulary:
    c = Checker(name)
    vocab = _vocabulary_from_text(text, c)
    if c.errors:
        raise PlanError(c.errors)
    return vocab


def _read_text(path: Path) -> str:
    # bytes decoded as they are (no newline translation): the text is stored exactly
    return path.read_bytes().decode("utf-8")


def load_vocabulary(path: str | Path | None = None) -> Vocabulary:
    """Read ``_categories.toml`` from a forms directory (or the file itself)."""
    p = Path(path) if path is not None else FORMS_DIR
    if p.is_dir():
        p = p / VOCABULARY_FILE
    return load_vocabulary_text(_read_text(p), p.name)


# ------------------------------------------------------------------------------------------------
# Plans
# ------------------------------------------------------------------------------------------------


def _plan_from_bytes(raw: bytes, name: str, vocab: Vocabulary, errors: list[str]) -> Plan | None:
    """Validate one file; its problems are appended to ``errors``. None when it has any."""
    # a checker of its own: schema.plan() decides success from this file's errors only
    c = Checker(name)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        c.err("", "文件不是 UTF-8 编码")
        text = None
    data = parse_toml(text, c) if text is not None else None
    plan = schema.plan(c, data, vocab, version_of(raw), text) if data is not None else None
    errors.extend(c.errors)
    return plan


def load_plan_text(text: str, name: str, vocab: Vocabulary) -> Plan:
    """Validate one plan given as text (``name`` is used in messages, e.g. "x.toml")."""
    errors: list[str] = []
    plan = _plan_from_bytes(text.encode("utf-8"), name, vocab, errors)
    if plan is None:
        raise PlanError(errors)
    return plan


def load_plan_file(path: str | Path, vocab: Vocabulary) -> Plan:
    p = Path(path)
    errors: list[str] = []
    plan = _plan_from_bytes(p.read_bytes(), p.name, vocab, errors)
    if plan is None:
        raise PlanError(errors)
    return plan


def _load(path: str | Path | None) -> tuple[Catalog | None, list[str]]:
    directory = Path(path) if path is not None else FORMS_DIR
    errors: list[str] = []
    vocab_path = directory / VOCABULARY_FILE
    if not vocab_path.is_file():
        return None, [f"{directory}: 缺少词表文件 {VOCABULARY_FILE}"]
    vc = Checker(VOCABULARY_FILE, errors)
    try:
        vocab = _vocabulary_from_text(_read_text(vocab_path), vc)
    except UnicodeDecodeError:
        vc.err("", "文件不是 UTF-8 编码")
        vocab = Vocabulary({}, {})

    plans: dict[str, Plan] = {}
    files: dict[str, str] = {}
    # file-name order, so a listing of plans is stable and predictable
    for p in sorted(directory.glob("*.toml")):
        if p.name.startswith("_"):
            continue
        plan = _plan_from_bytes(p.read_bytes(), p.name, vocab, errors)
        if plan is None:
            continue
        if plan.id in plans:
            errors.append(f"{p.name}: id: 计划编号 “{plan.id}” 与 {files[plan.id]} 重复")
            continue
        plans[plan.id] = plan
        files[plan.id] = p.name
    if errors:
        return None, errors
    return Catalog(plans=plans, kinds=vocab.kinds, services=vocab.services), []


def load_plans(path: str | Path | None = None) -> Catalog:
    """Load and validate every plan in ``path`` (default: the repository's ``forms/``)."""
    catalog, errors = _load(path)
    if catalog is None:
        raise PlanError(errors)
    return catalog


def check(path: str | Path | None = None) -> list[str]:
    """All problems in the forms directory, as messages; empty when everything is valid."""
    return _load(path)[1]

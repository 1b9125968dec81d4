"""The shape of the code, kept true by tests (ARCHITECTURE.md describes it).

- No import cycle between the packages (and top-level modules) under webapp/: dependencies run
  one way, from the features a user meets down to the foundation.
- Nothing outside a package uses another package's `_private` names.
- Every feature's CLI lives in its `commands.py` (or webapp/cli.py for the app-wide commands).
"""
import ast
import pathlib

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent / "webapp"


def _modules():
    for path in sorted(ROOT.rglob("*.py")):
        rel = path.relative_to(ROOT)
        if rel.parts[0] == "migrations":
            continue
        parts = ["webapp", *rel.with_suffix("").parts]
        is_pkg = parts[-1] == "__init__"
        if is_pkg:
            parts = parts[:-1]
        yield path, ".".join(parts), is_pkg


def _imports(path, module, is_pkg):
    """(imported module, names) for every import in the file, relative ones resolved."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, []
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = module.split(".")
                base = base[: len(base) - node.level + (1 if is_pkg else 0)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            names = [a.name for a in node.names]
            if node.module is None:
                for name in names:  # `from . import views` imports the module webapp.x.views
                    yield f"{target}.{name}", []
            else:
                yield target, names


def _unit(module):
    """The package a module belongs to: webapp.<first part> (a top-level module is its own)."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else None


def package_graph():
    edges = {}
    for path, module, is_pkg in _modules():
        src = _unit(module)
        for target, _names in _imports(path, module, is_pkg):
            if not target.startswith("webapp."):
                continue
            dst = _unit(target)
            if src and dst and src != dst:
                edges.setdefault(src, {}).setdefault(dst, []).append(f"{module} → {target}")
    return edges


def _cycles(edges):
    """Strongly connected components with more than one package (Tarjan)."""
    index, low, stack, on, out, counter = {}, {}, [], set(), [], [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in edges.get(v, {}):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in list(edges):
        if v not in index:
            visit(v)
    return out


def test_no_import_cycle_between_packages():
    edges = package_graph()
    problems = []
    for comp in _cycles(edges):
        ties = [f"  {a} → {b}: {edges[a][b][0]}" for a in comp for b in edges.get(a, {}) if b in comp]
        problems.append("循环依赖 " + " ↔ ".join(comp) + "\n" + "\n".join(ties))
    assert not problems, "\n".join(problems)


def test_cycle_detector_finds_a_cycle():
    # the test above would pass vacuously if the detector could not see one
    assert _cycles({"a": {"b": ["x"]}, "b": {"a": ["y"]}, "c": {"a": ["z"]}}) == [["a", "b"]]
    assert "inspection" in package_graph()


def test_no_private_names_across_packages():
    leaks = []
    for path, module, is_pkg in _modules():
        for target, names in _imports(path, module, is_pkg):
            if not target.startswith("webapp.") or _unit(target) == _unit(module):
                continue
            private = [n for n in names if n.startswith("_") and not n.startswith("__")]
            if private or any(p.startswith("_") and not p.startswith("__") for p in target.split(".")):
                leaks.append(f"{module} 使用了 {target} 的私有名称 {private or target}")
    assert not leaks, "\n".join(leaks)


@pytest.mark.parametrize("path", [p for p, _m, _k in _modules()], ids=lambda p: str(p.relative_to(ROOT)))
def test_cli_commands_live_in_commands_modules(path):
    if path.name in ("commands.py", "cli.py"):
        return
    text = path.read_text(encoding="utf-8")
    assert ".cli.command(" not in text and "@click.command" not in text, (
        f"{path.relative_to(ROOT)}：命令行命令应放在本功能的 commands.py 中")

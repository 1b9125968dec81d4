"""The benchmark harness: `make bench` (or `.venv/bin/python bench/run.py [name …]`).

Imports every bench/bench_*.py; each exposes `run() -> [(name, seconds, floor_name, floor_seconds)]`.
A figure is printed as a ratio to its floor — the cost of the same work done by the stack alone
(a raw SQL query, a bare render) — so results compare across machines.
"""
import importlib.util
import pathlib
import sys

HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))


def modules(only=()):
    for path in sorted(HERE.glob("bench_*.py")):
        name = path.stem
        if only and name not in only and name.removeprefix("bench_") not in only:
            continue
        spec = importlib.util.spec_from_file_location(name, path)
        mod = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(mod)
        yield name, mod


def main(argv):
    failed = 0
    print(f"{'figure':<44} {'seconds':>9}   {'floor':<34} {'seconds':>9} {'ratio':>7}")
    for name, mod in modules(argv):
        try:
            results = mod.run()
        except Exception as exc:  # one broken bench must not hide the others
            failed += 1
            print(f"{name}: 失败 {exc!r}")
            continue
        for fig, secs, floor, floor_secs in results:
            ratio = secs / floor_secs if floor_secs else float("inf")
            print(f"{fig:<44} {secs:>9.4f}   {floor:<34} {floor_secs:>9.4f} {ratio:>7.1f}x")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

"""The intranet has no outside hosts: no template or static file may reference one."""
import pathlib
import re

ROOT = pathlib.Path(__file__).resolve().parent.parent
URL = re.compile(r"""(?:src|href|action|url)\s*[=(]\s*["']?\s*(?:https?:)?//([^/"'\s)]+)""", re.I)
ALLOWED = {"127.0.0.1", "localhost", "www.w3.org"}


def test_no_external_urls_in_templates_and_static():
    offenders = []
    for folder in ("templates", "static"):
        for path in (ROOT / folder).rglob("*"):
            if path.is_file() and path.suffix in {".html", ".js", ".css", ".svg"}:
                for host in URL.findall(path.read_text(encoding="utf-8", errors="replace")):
                    if host.split(":")[0] not in ALLOWED:
                        offenders.append(f"{path.relative_to(ROOT)}: {host}")
    assert offenders == []


def test_htmx_vendored_and_pinned_to_one_major():
    files = sorted(p.name for p in (ROOT / "static" / "vendor").glob("htmx-*.min.js"))
    assert files == ["htmx-2.0.11.min.js"]
    base = (ROOT / "templates" / "base.html").read_text(encoding="utf-8")
    assert "vendor/htmx-2.0.11.min.js" in base

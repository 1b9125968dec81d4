"""Every file the app sends goes out through here: generated PDFs and workbooks (send) and
stored uploads (send_stored). The name is cleaned by the one rule (uploads.clean_name) and sent
twice, as RFC 6266 asks: `filename*=UTF-8''…` with the Chinese name for every current browser,
and `filename="…"` with an ASCII fallback for the rest. Names are built with file_name(), which
leaves out empty and repeated parts (no "草稿-草稿")."""
import re
import unicodedata
from urllib.parse import quote

from flask import abort, current_app, send_file

from . import uploads

XLSX = uploads.XLSX
PDF = uploads.PDF

_UNSAFE_ASCII = re.compile(r'[^A-Za-z0-9._()\[\] +-]+')  # quotes, backslash, ; and controls are not kept


def file_name(*parts, ext):
    """Parts joined with "-", empty ones and a part equal to the one before left out:
    file_name("卫生监督意见书", "草稿", "草稿", ext="pdf") == "卫生监督意见书-草稿.pdf"."""
    kept = []
    for part in parts:
        part = str(part or "").strip().strip("-")
        if part and (not kept or kept[-1] != part):
            kept.append(part)
    return "-".join(kept) + "." + ext.lstrip(".")


def ascii_fallback(name, default="download"):
    """The ASCII name for clients that do not read filename*: the ASCII letters and digits of
    the name (accents dropped), other runs as one "_", the extension kept; prefixed with `default`
    when no Latin letter is left (a wholly Chinese name: "download-2025.pdf")."""
    stem, dot, ext = name.rpartition(".")
    if not dot or not re.fullmatch(r"[A-Za-z0-9]{1,10}", ext):
        stem, ext = name, ""
    simple = unicodedata.normalize("NFKD", stem).encode("ascii", "ignore").decode("ascii")
    simple = _UNSAFE_ASCII.sub("_", simple)
    simple = re.sub(r"_+", "_", re.sub(r"_?-_?", "-", simple)).strip("_- .")
    if not re.search(r"[A-Za-z]", simple):
        simple = default + (f"-{simple}" if simple else "")
    return simple + (f".{ext}" if ext else "")


def content_disposition(name, inline=False, fallback=None):
    """The header value for `name` (cleaned here again, so no stored name can break a response)."""
    name = uploads.clean_name(name, default="download")
    plain = ascii_fallback(fallback or name)
    kind = "inline" if inline else "attachment"
    return f"{kind}; filename=\"{plain}\"; filename*=UTF-8''{quote(name, safe='')}"


def _harden(resp, foreign=False):
    # The browser must not guess another type than the one sent. A file from outside (an upload)
    # is also sandboxed, should it ever be opened as a page; our own PDFs are not (Chromium's PDF
    # viewer refuses to run in a sandboxed document, and the 抽取记录 opens inline to print).
    resp.headers["X-Content-Type-Options"] = "nosniff"
    if foreign:
        resp.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return resp


def send(data, name, mimetype, inline=False, fallback=None, cache="no-store"):
    """A generated file (PDF, workbook) as a response: shown by the browser when `inline`
    (a PDF to print), otherwise saved under `name`. `fallback` is the ASCII name offered to old
    clients (default: derived from `name`)."""
    resp = current_app.response_class(data, mimetype=mimetype)
    resp.headers["Content-Disposition"] = content_disposition(name, inline, fallback)
    resp.headers["Cache-Control"] = cache
    return _harden(resp)


def send_stored(sha, name, mimetype, folder=uploads.EVIDENCE_FOLDER):
    """A stored upload, always as an attachment under its cleaned name; 404 with a Chinese
    message when the bytes are no longer in the store."""
    target = uploads.path(sha, folder)
    if target is None:
        abort(404)
    try:
        resp = send_file(target, mimetype=mimetype or "application/octet-stream", as_attachment=True,
                         download_name="x", max_age=3600, conditional=True)
    except FileNotFoundError:
        abort(404, "文件已不在存储中，请联系管理员。")
    resp.headers["Content-Disposition"] = content_disposition(name)
    resp.headers["Cache-Control"] = "private, max-age=3600"  # only the signed-in user's browser keeps it
    return _harden(resp, foreign=True)

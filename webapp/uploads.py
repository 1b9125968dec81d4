"""Files from outside, read one way: every upload (evidence on check items, 复查 attachments, the
register import, the task-list import) comes through read(): a size limit, the type sniffed from
the file's first bytes (neither its name nor the browser's claim is trusted), and the one
file-name rule, clean_name(). Kept files are stored once under instance/<folder>/ by SHA-256,
outside static/, never overwritten; they are sent back only through webapp.downloads (always as
an attachment)."""
import hashlib
import os
import re
import unicodedata
from dataclasses import dataclass

from flask import current_app

from .errors import Invalid

JPEG, PNG, WEBP, HEIC, PDF = "image/jpeg", "image/png", "image/webp", "image/heic", "application/pdf"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
XLS = "application/vnd.ms-excel"
CSV = "text/csv"

# What each use accepts, and how its refusal names the allowed kinds.
EVIDENCE = (JPEG, PNG, WEBP, HEIC, PDF)
SHEETS = (XLSX, CSV)
KIND_NAMES = {EVIDENCE: "照片（JPEG、PNG、WebP、HEIC）或 PDF 文件", SHEETS: "Excel 工作簿（.xlsx）或 CSV 文件"}

EVIDENCE_FOLDER = "evidence"  # instance/evidence/: photos and PDFs of check items and 复查
SHEET_FOLDER = "uploads"  # instance/uploads/: task lists as uploaded

_HEIF_BRANDS = {b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"mif1", b"msf1"}
_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # the old binary Office format (.xls)
NAME_MAX = 120  # characters; a file name's column is 255, and a header line must stay short


@dataclass(frozen=True)
class Upload:
    data: bytes
    name: str  # already cleaned by clean_name()
    mime: str

    @property
    def size(self):
        return len(self.data)


# ------------------------------------------------------------------------------------------------
# The one file-name rule
# ------------------------------------------------------------------------------------------------

_SPACES = re.compile(r"\s+")


def clean_name(name, default="文件"):
    """A file name as stored and as sent in a header: no path parts, no control or format
    characters (NUL, newlines, the right-to-left override that disguises 'gpj.exe'), no leading
    dots, spaces collapsed, at most NAME_MAX characters with the extension kept; `default` when
    nothing is left."""
    text = unicodedata.normalize("NFC", str(name or ""))
    text = text.replace("\\", "/").rsplit("/", 1)[-1]  # C:\fakepath\x.jpg, ../../x.jpg
    text = "".join(" " if ch.isspace() else ch for ch in text
                   if unicodedata.category(ch) not in ("Cc", "Cf", "Cs", "Co", "Cn") or ch.isspace())
    text = _SPACES.sub(" ", text).strip().lstrip(".").strip()
    if not text:
        return default
    if len(text) > NAME_MAX:
        stem, dot, ext = text.rpartition(".")
        if dot and 0 < len(ext) <= 10 and stem:
            text = stem[:NAME_MAX - len(ext) - 1].rstrip() + "." + ext
        else:
            text = text[:NAME_MAX].rstrip()
    return text


# ------------------------------------------------------------------------------------------------
# Types from content
# ------------------------------------------------------------------------------------------------


def sniff(head):
    """The MIME type from the file's first bytes (magic numbers), or None."""
    if head.startswith(b"\xff\xd8\xff"):
        return JPEG
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return WEBP
    if head[4:8] == b"ftyp" and head[8:12] in _HEIF_BRANDS:
        return HEIC
    if head.startswith(b"%PDF-"):
        return PDF
    if head.startswith(b"PK\x03\x04"):
        return XLSX  # a zip; webapp.sheets checks that it is a workbook, within limits
    if head.startswith(_OLE):
        return XLS
    return None


def is_text(head):
    """CSV has no signature: text in UTF-8, GBK/GB18030, or UTF-16 with its byte-order mark."""
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return True
    if not head or b"\x00" in head:
        return False
    # a cut in the middle of a multi-byte character at the end of `head` is not a reason to refuse
    for encoding in ("utf-8", "gb18030"):
        try:
            head.decode(encoding)
            return True
        except UnicodeDecodeError as e:
            if e.start >= len(head) - 4:
                return True
    return False


def _mb(n):
    return f"{n / 1024 / 1024:.1f}".rstrip("0").rstrip(".") + " MB"


def limit_for(kinds):
    return current_app.config["SHEET_MAX_BYTES" if kinds == SHEETS else "EVIDENCE_MAX_BYTES"]


def read(upload, field, kinds=EVIDENCE, limit=None):
    """The uploaded file (a werkzeug FileStorage) as an Upload, or Invalid({field: Chinese
    message}): none chosen, empty, over `limit` bytes (read no further than that), or of a type
    outside `kinds` by its first bytes."""
    if upload is None or not upload.filename:
        none = {EVIDENCE: "请选择要上传的照片或文件。", SHEETS: "请选择要导入的 Excel（.xlsx）或 CSV 文件。"}
        raise Invalid({field: none.get(kinds, "请选择要上传的文件。")})
    limit = limit or limit_for(kinds)
    name = clean_name(upload.filename)
    data = upload.stream.read(limit + 1)
    if not data:
        raise Invalid({field: f"文件“{name}”是空的，未上传。"})
    if len(data) > limit:
        hint = "请只保留需要导入的数据后重试" if kinds == SHEETS else "请压缩后重试"
        raise Invalid({field: f"文件“{name}”超过 {_mb(limit)} 的大小上限，未上传。{hint}。"})
    mime = sniff(data[:512]) or (CSV if CSV in kinds and is_text(data[:4096]) else None)
    if mime == XLS and XLSX in kinds:
        raise Invalid({field: f"“{name}”是旧版 .xls 格式，不支持：请在 Excel 中另存为 .xlsx 或 CSV 后上传。"})
    if mime not in kinds:
        raise Invalid({field: f"文件“{name}”不是允许的类型，未上传。只能上传{KIND_NAMES.get(kinds, '允许的文件')}。"})
    return Upload(data, name, mime)


# ------------------------------------------------------------------------------------------------
# The store: instance/<folder>/<first two hex digits>/<sha256>
# ------------------------------------------------------------------------------------------------


def path(sha, folder=EVIDENCE_FOLDER):
    """Where the bytes of `sha` live (None for something that is not a SHA-256 in hex)."""
    if not re.fullmatch(r"[0-9a-f]{64}", sha or ""):
        return None
    return os.path.join(current_app.instance_path, folder, sha[:2], sha)


def store(data, folder=EVIDENCE_FOLDER):
    """Write the bytes once under their SHA-256 and return it."""
    sha = hashlib.sha256(data).hexdigest()
    target = path(sha, folder)
    if not os.path.exists(target):
        os.makedirs(os.path.dirname(target), exist_ok=True)
        tmp = f"{target}.{os.getpid()}.tmp"
        with open(tmp, "wb") as fh:
            fh.write(data)
        os.replace(tmp, target)  # atomic: a reader never sees half a file
    return sha


def load(sha, folder=EVIDENCE_FOLDER):
    """The stored bytes of `sha`, or None when they are not (or no longer) in the store."""
    target = path(sha, folder)
    if target is None or not os.path.exists(target):
        return None
    with open(target, "rb") as fh:
        return fh.read()

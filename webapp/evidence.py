"""Evidence files (photos, PDFs) for check items and for 复查: checked by their first bytes,
limited in size, stored once under instance/evidence/ by SHA-256 and never overwritten.
Every feature that keeps a file goes through here (uploaded task lists use store/path too)."""
import hashlib
import os

from flask import current_app

from .errors import Invalid

TYPES = {"image/jpeg": "JPEG", "image/png": "PNG", "image/webp": "WebP", "image/heic": "HEIC", "application/pdf": "PDF"}
_HEIF_BRANDS = {b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"mif1", b"msf1"}


def sniff(head):
    """The MIME type from the file's first bytes (its name is not trusted), or None."""
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    if head[4:8] == b"ftyp" and head[8:12] in _HEIF_BRANDS:
        return "image/heic"
    if head.startswith(b"%PDF-"):
        return "application/pdf"
    return None


def _mb(n):
    return f"{n / 1024 / 1024:.1f}".rstrip("0").rstrip(".") + " MB"


def read_upload(upload, field="evidence"):
    """(bytes, file name, MIME type) of an uploaded file, or Invalid({field: Chinese message})."""
    limit = current_app.config["EVIDENCE_MAX_BYTES"]
    if upload is None or not upload.filename:
        raise Invalid({field: "请选择要上传的照片或文件。"})
    name = os.path.basename(upload.filename.replace("\\", "/"))[:255]
    data = upload.stream.read(limit + 1)
    if not data:
        raise Invalid({field: f"文件“{name}”是空的，未上传。"})
    if len(data) > limit:
        raise Invalid({field: f"文件“{name}”超过 {_mb(limit)} 的大小上限，未上传。请压缩后重试。"})
    mime = sniff(data[:16])
    if mime is None:
        raise Invalid({field: f"文件“{name}”不是允许的类型，未上传。只能上传照片（JPEG、PNG、WebP、HEIC）或 PDF 文件。"})
    return data, name, mime


def path(sha, folder="evidence"):
    """Where the bytes of `sha` live: instance/<folder>/<first two hex digits>/<sha>."""
    return os.path.join(current_app.instance_path, folder, sha[:2], sha)


def store(data, folder="evidence"):
    """Write the bytes once under their SHA-256 and return it (also used for uploaded lists)."""
    sha = hashlib.sha256(data).hexdigest()
    target = path(sha, folder)
    if not os.path.exists(target):
        os.makedirs(os.path.dirname(target), exist_ok=True)
        tmp = f"{target}.{os.getpid()}.tmp"
        with open(tmp, "wb") as fh:
            fh.write(data)
        os.replace(tmp, target)  # atomic: a reader never sees half a file
    return sha

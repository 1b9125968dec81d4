"""Reading an upper platform's list: .xlsx or CSV (UTF-8 with or without BOM, or GBK/GB18030),
with merged title rows above the header, notes below it and trailing empty rows. The file is
read by webapp.sheets (the one reader, with its limits against hostile files).

The result is plain data (headers and text rows with their row numbers in the file), so that
matching and the preview never touch the file format again."""
import hashlib
import re
import unicodedata
from dataclasses import dataclass, field

from ..sheets import LIMITS, SheetError, read_rows

# Words a header cell of such a list contains (after normalisation); used to find the header row.
HEADER_WORDS = ("单位", "名称", "机构", "信用代码", "代码", "地址", "住所", "类别", "类型", "层级", "级别", "来源",
                "执法", "检查人", "监督员", "证号", "期限", "时限", "日期", "完成", "序号", "地区", "区县", "备注")
SCAN_ROWS = 30  # the header is within the first rows; title blocks are a few rows at most


ReadError = SheetError  # the file cannot be read as a list; Chinese, shown beside the file field


@dataclass
class Table:
    headers: list  # normalised header texts, unique ("第3列" for an empty header cell)
    rows: list  # [(row number in the file, [cell text, …])], blank rows left out
    header_row: int  # its row number in the file
    title: str = ""  # the text above the header (merged title rows), for the preview
    skipped: list = field(default_factory=list)  # [(row number, text)] rows with a single filled cell

    @property
    def signature(self):
        """Identifies a layout: the same headers in the same order (next year's file of the source)."""
        return hashlib.sha256("\x1f".join(self.headers).encode("utf-8")).hexdigest()

    def samples(self, column, n=3):
        out = []
        for _, cells in self.rows:
            v = cells[column] if column < len(cells) else ""
            if v and v not in out:
                out.append(v)
            if len(out) >= n:
                break
        return out


def clean(text):
    """Full-width to half-width (NFKC), no surrounding space; None → ""."""
    if text is None:
        return ""
    return unicodedata.normalize("NFKC", str(text)).strip()


def header_text(text):
    """A header cell as compared and stored: NFKC, no whitespace at all (headers wrap in Excel)."""
    return re.sub(r"\s+", "", clean(text))


def _known(texts):
    return sum(1 for t in texts if t and any(w in header_text(t) for w in HEADER_WORDS))


def find_header(rows):
    """Index of the header row: the first with ≥3 filled cells that look like headers (or,
    failing that, the first with ≥3 filled cells followed by a row as full as itself)."""
    limit = min(len(rows), SCAN_ROWS)
    for i in range(limit):
        filled = [t for t in rows[i] if t]
        if len(filled) >= 3 and _known(filled) >= min(3, len(filled)):
            return i
    for i in range(limit):
        filled = sum(1 for t in rows[i] if t)
        nxt = next((r for r in rows[i + 1:] if any(r)), None)
        if filled >= 3 and nxt is not None and sum(1 for t in nxt if t) >= filled - 1:
            return i
    return None


def read_table(data, file_name="", limits=LIMITS):
    """Parse the bytes of an uploaded list into a Table; raise ReadError with a Chinese message.
    The kind of file comes from its bytes, not from file_name."""
    numbered = [(n, [clean(c) for c in cells]) for n, cells in read_rows(data, limits)]
    rows = [cells for _, cells in numbered]
    at = find_header(rows)
    if at is None:
        raise ReadError("找不到表头行：前 30 行中没有一行含有至少 3 个列名（如“单位名称”“统一社会信用代码”）")
    raw = rows[at]
    width = max([len(raw)] + [len(r) for r in rows[at + 1:]])
    headers, seen = [], set()
    for i in range(width):
        h = header_text(raw[i]) if i < len(raw) else ""
        h = h or f"第{i + 1}列"
        while h in seen:
            h += "'"
        seen.add(h)
        headers.append(h)
    body, skipped = [], []
    for n, cells in numbered[at + 1:]:
        filled = [c for c in cells if c]
        if not filled:
            continue  # cells of spaces only
        if len(filled) == 1 and len(headers) > 2:
            skipped.append((n, filled[0]))  # a note or 合计 line under the table: shown, not imported
            continue
        body.append((n, list(cells) + [""] * (width - len(cells))))
    title = " ".join(t for r in rows[:at] for t in r if t)
    return Table(headers=headers, rows=body, header_row=numbered[at][0], title=title, skipped=skipped)

"""Reading an upper platform's list: .xlsx or CSV (UTF-8 with or without BOM, or GBK/GB18030),
with merged title rows above the header, notes below it and trailing empty rows.

The result is plain data (headers and text rows with their row numbers in the file), so that
matching and the preview never touch the file format again."""
import csv
import datetime
import hashlib
import io
import re
import unicodedata
from dataclasses import dataclass, field

# Words a header cell of such a list contains (after normalisation); used to find the header row.
HEADER_WORDS = ("单位", "名称", "机构", "信用代码", "代码", "地址", "住所", "类别", "类型", "层级", "级别", "来源",
                "执法", "检查人", "监督员", "证号", "期限", "时限", "日期", "完成", "序号", "地区", "区县", "备注")
SCAN_ROWS = 30  # the header is within the first rows; title blocks are a few rows at most


class ReadError(ValueError):
    """The file cannot be read as a list; the message is Chinese and shown beside the file field."""


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


def _cell(value):
    if value is None:
        return ""
    if isinstance(value, datetime.datetime):
        return value.date().isoformat() if value.time() == datetime.time(0) else value.isoformat(sep=" ")
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return unicodedata.normalize("NFKC", str(value)).strip()


def _xlsx_rows(data):
    from openpyxl import load_workbook

    try:
        wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as e:  # openpyxl raises several types for a file that is not a workbook
        raise ReadError("无法读取该 Excel 文件：请上传 .xlsx 格式的工作簿（.xls 请先另存为 .xlsx）") from e
    try:
        ws = wb.worksheets[0]
        return [[_cell(v) for v in row] for row in ws.iter_rows(values_only=True)]
    finally:
        wb.close()


def decode(data):
    """Text of a CSV file: UTF-8 (BOM or not) first, else GB18030 (a superset of GBK)."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("gb18030")
    except UnicodeDecodeError as e:
        raise ReadError("无法识别文件的文字编码：请以 UTF-8 或 GBK 编码保存 CSV 文件") from e


def _csv_rows(data):
    text = decode(data)
    sample = "\n".join(text.splitlines()[:SCAN_ROWS])
    delimiter = max(",\t;", key=sample.count) if sample else ","
    return [[_cell(v) for v in row] for row in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)]


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


def read_table(data, file_name=""):
    """Parse the bytes of an uploaded list into a Table; raise ReadError with a Chinese message."""
    if not data:
        raise ReadError("文件是空的")
    if data[:4] == b"PK\x03\x04":
        rows = _xlsx_rows(data)
    elif file_name.lower().endswith((".xlsx", ".xlsm")):
        raise ReadError("该文件不是有效的 .xlsx 工作簿")
    elif file_name.lower().endswith(".xls") or data[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
        raise ReadError("不支持旧版 .xls 格式：请在 Excel 中另存为 .xlsx 或 CSV 后上传")
    else:
        rows = _csv_rows(data)
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
    for n, cells in enumerate(rows[at + 1:], start=at + 2):
        filled = [c for c in cells if c]
        if not filled:
            continue  # blank lines, often many at the end of an exported sheet
        if len(filled) == 1 and len(headers) > 2:
            skipped.append((n, filled[0]))  # a note or 合计 line under the table: shown, not imported
            continue
        body.append((n, list(cells) + [""] * (width - len(cells))))
    title = " ".join(t for r in rows[:at] for t in r if t)
    return Table(headers=headers, rows=body, header_row=at + 1, title=title, skipped=skipped)

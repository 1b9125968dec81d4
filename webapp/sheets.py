"""The one reader of spreadsheets from outside (the register import and the task-list import):
an .xlsx workbook's first sheet or a CSV file (UTF-8 with or without BOM, GBK/GB18030, UTF-16
with BOM), read as a stream of (row number, [cell text, …]) with limits.

Such files come from other systems (上级平台) and from anyone with an account, so nothing in them
is trusted:
- before reading: the archive's member count, its total uncompressed size and the ratio of that
  to its compressed size (a zip bomb is refused unopened);
- while reading: the rows and columns that really hold a value are counted (the sheet's declared
  dimension, e.g. A1:XFD1048576, is ignored: openpyxl's read-only mode pads every row to it),
  against a row cap, a column cap, a cell-length cap and a time budget. The sheet's XML is parsed
  as a stream (defusedxml: no DTD, no entities) and every row is dropped once read.
Past a limit, SheetError says why in Chinese; the callers then write nothing.

Cells come back as text: numbers without a spurious ".0", dates as 2025-10-31, booleans 是/否."""
import codecs
import csv
import datetime
import io
import itertools
import re
import time
import zipfile
from dataclasses import dataclass, replace

from defusedxml.ElementTree import iterparse
from openpyxl.styles.numbers import BUILTIN_FORMATS, is_date_format
from openpyxl.utils.datetime import CALENDAR_MAC_1904, CALENDAR_WINDOWS_1900, from_excel


class SheetError(ValueError):
    """The file is refused; the message is Chinese and is shown beside the file field."""


@dataclass(frozen=True)
class Limits:
    rows: int = 20000  # rows holding a value (a district's list or register is a few thousand)
    columns: int = 200  # the last column holding a value
    cell_chars: int = 32767  # Excel's own limit for one cell
    line_chars: int = 256 * 1024  # one CSV line
    members: int = 500  # files inside the .xlsx archive (a real workbook has a dozen or two)
    unpacked_bytes: int = 100 * 1024 * 1024  # all members together, uncompressed
    ratio: int = 100  # uncompressed / compressed, once above `ratio_floor` (sheet XML packs ~10×)
    ratio_floor: int = 8 * 1024 * 1024
    xml_part_bytes: int = 4 * 1024 * 1024  # workbook.xml, its rels, styles.xml: read whole
    shared_strings: int = 1_000_000  # distinct texts of the workbook
    seconds: float = 20.0  # the whole read

    def with_(self, **changes):
        return replace(self, **changes)


LIMITS = Limits()
XLSX_SIGNATURE = b"PK\x03\x04"
OLE_SIGNATURE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"

_NS = re.compile(r"^\{[^}]*\}")
_REF = re.compile(r"^([A-Z]{1,3})(\d+)$")
_BOOL = {"1": "是", "0": "否"}


def _mb(n):
    return f"{n / 1024 / 1024:.0f} MB"


def _local(tag):
    return _NS.sub("", tag)


class _Clock:
    def __init__(self, limits):
        self.limits = limits
        self.until = time.monotonic() + limits.seconds
        self.ticks = 0

    def tick(self):
        self.ticks += 1
        if self.ticks % 2048 == 0 and time.monotonic() > self.until:
            raise SheetError(f"读取文件超过 {self.limits.seconds:g} 秒仍未完成，已停止：文件过大或结构异常，请只保留需要导入的工作表和数据后重试")


class _Counter:
    """Rows and columns that hold a value, against the caps."""

    def __init__(self, limits):
        self.limits = limits
        self.rows = 0

    def row(self, number, cells):
        self.rows += 1
        if self.rows > self.limits.rows:
            raise SheetError(f"有数据的行超过 {self.limits.rows} 行（第 {number} 行），已停止读取：请分成几个文件分别导入")

    def column(self, number, col):
        if col > self.limits.columns:
            raise SheetError(f"第 {number} 行第 {col} 列有数据，超过 {self.limits.columns} 列的上限，已停止读取：请删除多余的列后重试")

    def cell(self, number, text):
        if len(text) > self.limits.cell_chars:
            raise SheetError(f"第 {number} 行有一个单元格超过 {self.limits.cell_chars} 个字，已停止读取")


def read_rows(data, limits=LIMITS):
    """(row number in the file, [cell text, …]) for every row holding a value, in order; the list
    runs to the row's last filled cell. Raises SheetError (Chinese) for an unreadable or
    over-limit file. The type comes from the bytes, not the file name."""
    if not data:
        raise SheetError("文件是空的")
    if data.startswith(XLSX_SIGNATURE):
        return _xlsx_rows(data, limits)
    if data.startswith(OLE_SIGNATURE):
        raise SheetError("不支持旧版 .xls 格式：请在 Excel 中另存为 .xlsx 或 CSV 后上传")
    return _csv_rows(data, limits)


# ------------------------------------------------------------------------------------------------
# .xlsx
# ------------------------------------------------------------------------------------------------

_NOT_A_WORKBOOK = "无法读取该 Excel 文件：请上传 .xlsx 格式的工作簿（.xls 请先另存为 .xlsx）"


def _open_archive(data, limits):
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        members = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, OSError) as e:
        raise SheetError(_NOT_A_WORKBOOK) from e
    if len(members) > limits.members:
        raise SheetError(f"该工作簿包含 {len(members)} 个内部文件，超过 {limits.members} 个的上限，不像正常的 Excel 文件，已拒绝")
    unpacked = sum(m.file_size for m in members)
    packed = max(1, sum(m.compress_size for m in members))
    if unpacked > limits.unpacked_bytes:
        raise SheetError(f"该工作簿解压后约 {_mb(unpacked)}，超过 {_mb(limits.unpacked_bytes)} 的上限，已拒绝（未读取其内容）")
    if unpacked > limits.ratio_floor and unpacked / packed > limits.ratio:
        raise SheetError(f"该工作簿的压缩比异常（解压后是压缩前的 {unpacked // packed} 倍），疑似压缩炸弹，已拒绝（未读取其内容）")
    return archive, {m.filename: m for m in members}


class _Capped(io.RawIOBase):
    """A member of the archive read with a hard cap on the bytes it may inflate to (the sizes in
    the archive's directory are the sender's word; this does not take it)."""

    def __init__(self, raw, cap, total):
        self.raw, self.cap, self.total = raw, cap, total

    def readable(self):
        return True

    def readinto(self, buf):
        chunk = self.raw.read(min(len(buf), 64 * 1024))
        self.total[0] += len(chunk)
        if self.total[0] > self.cap:
            raise SheetError(f"该工作簿解压后超过 {_mb(self.cap)} 的上限，已停止读取")
        buf[:len(chunk)] = chunk
        return len(chunk)


def _events(archive, info, limits, total, events=("end",)):
    stream = io.BufferedReader(_Capped(archive.open(info), limits.unpacked_bytes, total), 64 * 1024)
    return iterparse(stream, events=events, forbid_dtd=True)


def _small_part(archive, members, name, limits, total):
    """The elements of a small part (workbook, rels, styles), or [] if absent."""
    info = members.get(name)
    if info is None:
        return []
    if info.file_size > limits.xml_part_bytes:
        raise SheetError(f"该工作簿的“{name}”部分过大（{_mb(info.file_size)}），不像正常的 Excel 文件，已拒绝")
    return [el for _, el in _events(archive, info, limits, total)]


def _first_sheet(archive, members, limits, total):
    """The archive path of the first worksheet, and whether dates count from 1904."""
    book = _small_part(archive, members, "xl/workbook.xml", limits, total)
    rels = _small_part(archive, members, "xl/_rels/workbook.xml.rels", limits, total)
    date1904 = any(_local(el.tag) == "workbookPr" and el.get("date1904") in ("1", "true") for el in book)
    first = next((el for el in book if _local(el.tag) == "sheet"), None)
    target = None
    if first is not None:
        rid = next((v for k, v in first.attrib.items() if _local(k) == "id"), None)
        target = next((el.get("Target") for el in rels if _local(el.tag) == "Relationship" and el.get("Id") == rid), None)
    if target:
        target = target.lstrip("/")
        target = target if target.startswith("xl/") else "xl/" + target
    else:
        target = next((n for n in sorted(members) if n.startswith("xl/worksheets/") and n.endswith(".xml")), None)
    if target not in members:
        raise SheetError(_NOT_A_WORKBOOK)
    return target, date1904


def _date_styles(archive, members, limits, total):
    """Indexes of the cell styles whose number format is a date or time."""
    custom, formats, in_xfs = {}, [], False
    for el in _small_part(archive, members, "xl/styles.xml", limits, total):
        tag = _local(el.tag)
        if tag == "numFmt":
            custom[el.get("numFmtId")] = el.get("formatCode") or ""
        elif tag == "cellXfs":
            formats = [xf.get("numFmtId", "0") for xf in el if _local(xf.tag) == "xf"]
            in_xfs = True
    if not in_xfs:
        return set()
    dates = set()
    for i, fid in enumerate(formats):
        code = custom.get(fid)
        if code is None and fid.isdigit():
            code = BUILTIN_FORMATS.get(int(fid))
        if code and is_date_format(code):
            dates.add(i)
    return dates


def _stream(archive, info, limits, total, clock, keep):
    """(event, element) of a large part, each element detached from its parent once its end has
    been seen, so memory holds one row, not the sheet. Inside a `keep` element (a cell, a shared
    text) the pieces stay until it ends, at most PIECES of them."""
    stack, inside, pieces = [], 0, 0
    for event, el in _events(archive, info, limits, total, ("start", "end")):
        clock.tick()
        if event == "start":
            stack.append(el)
            if inside or _local(el.tag) in keep:
                inside += 1
                pieces += 1
                if pieces > PIECES:
                    raise SheetError("该工作簿中有一个单元格的结构异常复杂，不像正常的 Excel 文件，已停止读取")
            yield event, el
            continue
        stack.pop()
        yield event, el
        if inside:
            inside -= 1
            if inside:
                continue  # a piece of the kept element: it is read when that element ends
            pieces = 0
        if stack:
            stack[-1].remove(el)  # the last child: found at once


PIECES = 1000


def _shared_strings(archive, members, limits, total, clock):
    info = members.get("xl/sharedStrings.xml")
    if info is None:
        return []
    out = []
    for event, el in _stream(archive, info, limits, total, clock, ("si",)):
        if event != "end" or _local(el.tag) != "si":
            continue
        # the text runs of the item, without the phonetic guides (rPh) Excel keeps for CJK
        parts = []
        for child in el:
            tag = _local(child.tag)
            if tag == "t":
                parts.append(child.text or "")
            elif tag == "r":
                parts.extend(t.text or "" for t in child if _local(t.tag) == "t")
        out.append("".join(parts))
        if len(out) > limits.shared_strings:
            raise SheetError(f"该工作簿含有超过 {limits.shared_strings} 条不同的文字，已停止读取")
    return out


def _column_index(letters):
    n = 0
    for ch in letters:
        n = n * 26 + ord(ch) - 64
    return n


def _number(text):
    if re.fullmatch(r"-?\d+", text):
        return int(text)
    value = float(text)
    return int(value) if value.is_integer() else value


def _cell_text(cell, kind, style, strings, dates, epoch):
    if kind == "inlineStr":
        t = [x for x in cell.iter() if _local(x.tag) == "t"]
        return "".join(x.text or "" for x in t)
    v = next((x for x in cell if _local(x.tag) == "v"), None)
    if v is None or v.text is None:
        return ""
    raw = v.text
    if kind == "s":
        try:
            return strings[int(raw)]
        except (ValueError, IndexError) as e:
            raise SheetError(_NOT_A_WORKBOOK) from e
    if kind in ("str", "e"):
        return raw
    if kind == "b":
        return _BOOL.get(raw, raw)
    try:
        value = _number(raw)
    except ValueError:
        return raw
    if style in dates:
        try:
            when = from_excel(value, epoch)
        except (ValueError, OverflowError, TypeError):
            return str(value)
        if isinstance(when, datetime.datetime):
            return when.date().isoformat() if when.time() == datetime.time(0) else when.isoformat(sep=" ")
        return when.isoformat() if hasattr(when, "isoformat") else str(when)
    return str(value)


def _xlsx_rows(data, limits):
    clock = _Clock(limits)
    archive, members = _open_archive(data, limits)
    total = [0]
    try:
        target, date1904 = _first_sheet(archive, members, limits, total)
        dates = _date_styles(archive, members, limits, total)
        strings = _shared_strings(archive, members, limits, total, clock)
        epoch = CALENDAR_MAC_1904 if date1904 else CALENDAR_WINDOWS_1900
        counter = _Counter(limits)
        values, number, next_row, col = {}, 0, 1, 0
        for event, el in _stream(archive, members[target], limits, total, clock, ("c",)):
            tag = _local(el.tag)
            if event == "start":
                if tag == "row":
                    values, col = {}, 0
                    r = el.get("r")
                    number = int(r) if r and r.isdigit() else next_row
                    next_row = number + 1
                continue
            if tag == "c":
                ref = _REF.match(el.get("r") or "")
                col = _column_index(ref.group(1)) if ref else col + 1
                style = el.get("s") or "0"
                text = _cell_text(el, el.get("t", "n"), int(style) if style.isdigit() else 0, strings, dates, epoch).strip()
                if text:
                    counter.column(number, col)
                    counter.cell(number, text)
                    values[col] = text
            elif tag == "row":
                if values:
                    counter.row(number, values)
                    yield number, [values.get(i, "") for i in range(1, max(values) + 1)]
                values = {}
            elif tag == "sheetData":
                break
    except (zipfile.BadZipFile, EOFError, OSError, KeyError) as e:
        raise SheetError(_NOT_A_WORKBOOK) from e
    except SheetError:
        raise
    except Exception as e:  # expat's ParseError and defusedxml's refusals: not a workbook we read
        if type(e).__module__.startswith(("xml.", "defusedxml")):
            raise SheetError(_NOT_A_WORKBOOK) from e
        raise
    finally:
        archive.close()


# ------------------------------------------------------------------------------------------------
# CSV
# ------------------------------------------------------------------------------------------------

SCAN_LINES = 30


def decode(data):
    """Text of a CSV file: UTF-16 by its BOM, UTF-8 (BOM or not), else GB18030 (a superset of GBK)."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError as e:
            raise SheetError("无法识别文件的文字编码：请以 UTF-8 或 GBK 编码保存 CSV 文件") from e
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("gb18030")
    except UnicodeDecodeError as e:
        raise SheetError("无法识别文件的文字编码：请以 UTF-8 或 GBK 编码保存 CSV 文件") from e


def _lines(text, limits, clock, where):
    for line in io.StringIO(text, newline=""):
        clock.tick()
        where[0] += 1
        if len(line) > limits.line_chars:
            raise SheetError(f"第 {where[0]} 行超过 {limits.line_chars} 个字符，不像正常的 CSV 文件，已停止读取")
        if "\x00" in line:
            raise SheetError(f"第 {where[0]} 行含有空字符（NUL），不是正常的文本文件，已停止读取")
        yield line


def _csv_rows(data, limits):
    clock = _Clock(limits)
    text = decode(data)
    where = [0]
    sample = "".join(itertools.islice(_lines(text, limits, clock, [0]), SCAN_LINES))
    delimiter = max(",\t;", key=sample.count) if sample else ","
    counter = _Counter(limits)
    reader = csv.reader(_lines(text, limits, clock, where), delimiter=delimiter)
    try:
        for number, cells in enumerate(reader, 1):  # the row as a spreadsheet shows it
            if len(cells) > limits.columns and any(c.strip() for c in cells[limits.columns:]):
                counter.column(number, max(i for i, c in enumerate(cells, 1) if c.strip()))
            texts = [c.strip() for c in cells[:limits.columns]]
            while texts and not texts[-1]:
                texts.pop()
            if not texts:
                continue
            for t in texts:
                counter.cell(number, t)
            counter.row(number, texts)
            yield number, texts
    except csv.Error as e:
        raise SheetError(f"CSV 文件第 {where[0]} 行格式有误，无法读取：请检查引号是否成对") from e

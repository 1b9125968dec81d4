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
  as a stream (pyexpat, no tree; a DTD or entity declaration is refused) and every row is
  dropped once read.
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
import zlib
from dataclasses import dataclass, replace
from xml.parsers import expat

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
    unpacked_bytes: int = 64 * 1024 * 1024  # all members together, uncompressed (a 20,000-row sheet: ~10 MB)
    ratio: int = 100  # uncompressed / compressed, once above `ratio_floor` (sheet XML packs ~10×)
    ratio_floor: int = 8 * 1024 * 1024
    xml_part_bytes: int = 4 * 1024 * 1024  # workbook.xml, its rels, styles.xml: read whole
    shared_strings: int = 400_000  # distinct texts of the workbook (20,000 rows × 20 columns)
    seconds: float = 20.0  # the whole read

    def with_(self, **changes):
        return replace(self, **changes)


LIMITS = Limits()
XLSX_SIGNATURE = b"PK\x03\x04"
OLE_SIGNATURE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"

_REF = re.compile(r"^([A-Z]{1,3})(\d+)$")
_BOOL = {"1": "是", "0": "否"}


def _mb(n):
    return f"{n / 1024 / 1024:.0f} MB"


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
CHUNK = 64 * 1024


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


def _refuse_dtd(*args):
    # A workbook never has a DTD; entity declarations are how XML bombs expand.
    raise SheetError("该工作簿的内容含有 DTD 或实体声明，不是正常的 Excel 文件，已拒绝")


class _Parser:
    """pyexpat fed in chunks from one archive member: `handlers` get (local tag, attributes) on
    start, the tag on end and text in between; no tree is built, so memory holds what the handlers
    keep. The member may inflate to no more than what is left of the archive's unpacked limit
    (the sizes in the archive's directory are the sender's word; this does not take it)."""

    def __init__(self, archive, info, reading):
        self.archive, self.info, self.reading = archive, info, reading

    def run(self, start, end=None, text=None):
        """Yield after every chunk (the handlers' results are then ready for the caller)."""
        parser = expat.ParserCreate(namespace_separator="}")
        parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
        parser.StartDoctypeDeclHandler = _refuse_dtd
        parser.EntityDeclHandler = _refuse_dtd
        parser.buffer_text = True
        local = {}

        def tag(name):
            t = local.get(name)
            if t is None:
                t = local[name] = name.rpartition("}")[2]
            return t

        clock = self.reading.clock
        parser.StartElementHandler = lambda name, attrs: (clock.tick(), start(tag(name), attrs))
        if end is not None:
            parser.EndElementHandler = lambda name: end(tag(name))
        if text is not None:
            parser.CharacterDataHandler = text
        try:
            with self.archive.open(self.info) as raw:
                while True:
                    chunk = raw.read(CHUNK)
                    self.reading.inflated += len(chunk)
                    if self.reading.inflated > self.reading.limits.unpacked_bytes:
                        raise SheetError(f"该工作簿解压后超过 {_mb(self.reading.limits.unpacked_bytes)} 的上限，已停止读取")
                    parser.Parse(chunk, not chunk)
                    yield
                    if not chunk:
                        break
        except expat.ExpatError as e:
            raise SheetError(_NOT_A_WORKBOOK) from e


class _Reading:
    """One workbook being read: its archive, limits, clock and the bytes inflated so far."""

    def __init__(self, data, limits):
        self.limits = limits
        self.clock = _Clock(limits)
        self.archive, self.members = _open_archive(data, limits)
        self.inflated = 0

    def parse(self, name, start, end=None, text=None, small=False):
        info = self.members.get(name)
        if info is None:
            return False
        if small and info.file_size > self.limits.xml_part_bytes:
            raise SheetError(f"该工作簿的“{name}”部分过大（{_mb(info.file_size)}），不像正常的 Excel 文件，已拒绝")
        for _ in _Parser(self.archive, info, self).run(start, end, text):
            pass
        return True

    def first_sheet(self):
        """The archive path of the first worksheet, and whether dates count from 1904."""
        found = {"date1904": False, "rid": None, "targets": {}}

        def book(tag, attrs):
            if tag == "workbookPr" and attrs.get("date1904") in ("1", "true"):
                found["date1904"] = True
            elif tag == "sheet" and found["rid"] is None:
                found["rid"] = next((v for k, v in attrs.items() if k.rpartition("}")[2] == "id"), "")

        def rels(tag, attrs):
            if tag == "Relationship":
                found["targets"][attrs.get("Id")] = attrs.get("Target") or ""

        self.parse("xl/workbook.xml", book, small=True)
        self.parse("xl/_rels/workbook.xml.rels", rels, small=True)
        target = found["targets"].get(found["rid"])
        if target:
            target = target.lstrip("/")
            target = target if target.startswith("xl/") else "xl/" + target
        else:
            target = next((n for n in sorted(self.members) if n.startswith("xl/worksheets/") and n.endswith(".xml")), None)
        if target not in self.members:
            raise SheetError(_NOT_A_WORKBOOK)
        return target, found["date1904"]

    def date_styles(self):
        """Indexes of the cell styles whose number format is a date or time."""
        custom, formats, stack = {}, [], []

        def start(tag, attrs):
            if tag == "numFmt":
                custom[attrs.get("numFmtId")] = attrs.get("formatCode") or ""
            elif tag == "xf" and stack and stack[-1] == "cellXfs":
                formats.append(attrs.get("numFmtId", "0"))
            stack.append(tag)

        self.parse("xl/styles.xml", start, lambda tag: stack.pop(), small=True)
        dates = set()
        for i, fid in enumerate(formats):
            code = custom.get(fid)
            if code is None and fid.isdigit():
                code = BUILTIN_FORMATS.get(int(fid))
            if code and is_date_format(code):
                dates.add(i)
        return dates

    def shared_strings(self):
        """The workbook's shared texts: the runs of each item, without the phonetic guides (rPh)
        Excel keeps for CJK."""
        out, state = [], {"parts": None, "in_t": False, "rph": 0, "chars": 0}
        limit = self.limits

        def start(tag, attrs):
            if tag == "si":
                state["parts"], state["chars"] = [], 0
            elif tag == "rPh":
                state["rph"] += 1
            elif tag == "t" and state["parts"] is not None and not state["rph"]:
                state["in_t"] = True

        def end(tag):
            if tag == "t":
                state["in_t"] = False
            elif tag == "rPh":
                state["rph"] -= 1
            elif tag == "si" and state["parts"] is not None:
                out.append("".join(state["parts"]))
                state["parts"] = None
                if len(out) > limit.shared_strings:
                    raise SheetError(f"该工作簿含有超过 {limit.shared_strings} 条不同的文字，已停止读取")

        def text(data):
            if state["in_t"]:
                state["chars"] += len(data)
                if state["chars"] > limit.cell_chars:
                    raise SheetError(f"该工作簿中有一段文字超过 {limit.cell_chars} 个字，已停止读取")
                state["parts"].append(data)

        self.parse("xl/sharedStrings.xml", start, end, text)
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


def _value_text(raw, kind, style, strings, dates, epoch):
    """The text of a cell from its raw <v> (or inline) text, its type and its style."""
    if kind in ("inlineStr", "str", "e"):
        return raw
    if not raw:
        return ""
    if kind == "s":
        try:
            return strings[int(raw)]
        except (ValueError, IndexError) as e:
            raise SheetError(_NOT_A_WORKBOOK) from e
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
    reading = _Reading(data, limits)
    try:
        target, date1904 = reading.first_sheet()
        dates = reading.date_styles()
        strings = reading.shared_strings()
        epoch = CALENDAR_MAC_1904 if date1904 else CALENDAR_WINDOWS_1900
        counter = _Counter(limits)
        ready = []  # rows completed by the last chunk
        st = {"row": 0, "next": 1, "values": None, "col": 0, "kind": "n", "style": 0, "buf": None, "rph": 0, "chars": 0,
              "done": False}

        def start(tag, attrs):
            if tag == "c":
                ref = _REF.match(attrs.get("r") or "")
                st["col"] = _column_index(ref.group(1)) if ref else st["col"] + 1
                st["kind"] = attrs.get("t", "n")
                s = attrs.get("s") or "0"
                st["style"] = int(s) if s.isdigit() else 0
                st["buf"], st["chars"] = [], 0
            elif tag == "row":
                r = attrs.get("r")
                st["row"] = int(r) if r and r.isdigit() else st["next"]
                st["next"] = st["row"] + 1
                st["values"], st["col"] = {}, 0
            elif tag in ("v", "t") and st["buf"] is not None and not st["rph"]:
                st["collect"] = True
            elif tag == "rPh":
                st["rph"] += 1

        def end(tag):
            if tag in ("v", "t"):
                st["collect"] = False
            elif tag == "rPh":
                st["rph"] -= 1
            elif tag == "c" and st["buf"] is not None:
                text = _value_text("".join(st["buf"]), st["kind"], st["style"], strings, dates, epoch).strip()
                st["buf"] = None
                if text and st["values"] is not None:
                    counter.column(st["row"], st["col"])
                    counter.cell(st["row"], text)
                    st["values"][st["col"]] = text
            elif tag == "row":
                values = st["values"] or {}
                if values:
                    counter.row(st["row"], values)
                    ready.append((st["row"], [values.get(i, "") for i in range(1, max(values) + 1)]))
                st["values"] = None
            elif tag == "sheetData":
                st["done"] = True

        def text(data):
            if st.get("collect"):
                st["chars"] += len(data)
                if st["chars"] > limits.cell_chars:
                    raise SheetError(f"第 {st['row']} 行有一个单元格超过 {limits.cell_chars} 个字，已停止读取")
                st["buf"].append(data)

        for _ in _Parser(reading.archive, reading.members[target], reading).run(start, end, text):
            yield from ready
            ready.clear()
            if st["done"]:
                break
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError, KeyError, NotImplementedError, RuntimeError) as e:
        raise SheetError(_NOT_A_WORKBOOK) from e
    finally:
        reading.archive.close()


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

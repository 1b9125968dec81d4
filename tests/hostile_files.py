"""Hostile spreadsheets, built here byte by byte (nothing is shipped): a tiny workbook that
declares the whole sheet A1:XFD1048576, a zip bomb that unpacks to gigabytes, a CSV that is one
huge line, an XML entity bomb, a sheet of very many rows."""
import io
import struct
import zipfile
import zlib
from functools import lru_cache

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"

CONTENT_TYPES = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
                 '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
                 '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
                 '<Default Extension="xml" ContentType="application/xml"/>'
                 '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
                 '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
                 '</Types>')
ROOT_RELS = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
             '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
             '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/>'
             '</Relationships>')
WORKBOOK = (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><workbook xmlns="{MAIN}" xmlns:r="{REL}">'
            '<sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>')
WORKBOOK_RELS = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
                 '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
                 '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/>'
                 '</Relationships>')
SMALL_PARTS = [("[Content_Types].xml", CONTENT_TYPES), ("_rels/.rels", ROOT_RELS), ("xl/workbook.xml", WORKBOOK),
               ("xl/_rels/workbook.xml.rels", WORKBOOK_RELS)]


def _col(n):
    s = ""
    while n:
        n, r = divmod(n - 1, 26)
        s = chr(65 + r) + s
    return s


def row_xml(number, values):
    cells = "".join(f'<c r="{_col(i)}{number}" t="inlineStr"><is><t>{v}</t></is></c>'
                    for i, v in enumerate(values, 1) if v != "")
    return f'<row r="{number}">{cells}</row>'


def sheet_xml(rows, dimension="A1:XFD1048576", extra="", doctype=""):
    body = "".join(row_xml(n, values) for n, values in rows)
    return (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>{doctype}<worksheet xmlns="{MAIN}" xmlns:r="{REL}">'
            f'<dimension ref="{dimension}"/><sheetData>{body}{extra}</sheetData></worksheet>')


def workbook(sheet):
    """A minimal valid .xlsx (openpyxl and Excel open it) whose first sheet is `sheet` (XML text)."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name, text in SMALL_PARTS:
            z.writestr(name, text)
        z.writestr("xl/worksheets/sheet1.xml", sheet)
    return buf.getvalue()


def declared_whole_sheet(rows, far_cell=False, far_blank=False):
    """~2 KB: the rows given, a dimension of A1:XFD1048576 and, if asked, one real value in the
    last cell of the sheet (XFD1048576), or only a formatted empty cell there (as a sheet where
    someone once selected everything and set a border)."""
    extra = ('<row r="1048576"><c r="XFD1048576" t="inlineStr"><is><t>x</t></is></c></row>' if far_cell
             else '<row r="1048576"><c r="XFD1048576" s="0"/></row>' if far_blank else "")
    return workbook(sheet_xml(rows, extra=extra))


def many_rows(n, values=("甲", "乙", "丙")):
    """A sheet with n real rows of a few short cells (compresses well, far past the row cap)."""
    parts = [sheet_xml([])[:-len("</sheetData></worksheet>")]]
    parts.extend(row_xml(i, values) for i in range(1, n + 1))
    parts.append("</sheetData></worksheet>")
    return workbook("".join(parts))


def many_shared_strings(n, width=1):
    """A workbook whose shared-strings part holds n distinct texts (none used by the sheet)."""
    sst = f'<?xml version="1.0" encoding="UTF-8"?><sst xmlns="{MAIN}">' + "".join(
        f"<si><t>{i}{'长' * width}</t></si>" for i in range(n)) + "</sst>"
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name, text in SMALL_PARTS:
            z.writestr(name, text)
        z.writestr("xl/sharedStrings.xml", sst)
        z.writestr("xl/worksheets/sheet1.xml", sheet_xml([]))
    return buf.getvalue()


def entity_bomb():
    """The 'billion laughs' in the sheet's XML: refused by the parser before any expansion."""
    lol = "".join(f'<!ENTITY l{i} "{"&l%d;" % (i - 1) * 10}">' for i in range(1, 10))
    doctype = f'<!DOCTYPE worksheet [<!ENTITY l0 "lol">{lol}]>'
    return workbook(sheet_xml([(1, ["&l9;", "b", "c"])], doctype=doctype))


# ---- a zip bomb written by hand: a 2 GB member from a few MB, made in about a second ----------


def _local_header(name, crc, csize, usize):
    n = name.encode()
    return struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, 0, 8, 0, 0x21, crc, csize, usize, len(n), 0) + n


def _central(name, crc, csize, usize, offset):
    n = name.encode()
    return struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 20, 20, 0, 8, 0, 0x21, crc, csize, usize, len(n), 0, 0, 0, 0, 0,
                       offset) + n


def _deflate(data):
    c = zlib.compressobj(9, zlib.DEFLATED, -15)
    return c.compress(data) + c.flush()


def _repeated_deflate(head, chunk, times, tail):
    """Raw deflate of head + chunk*times + tail without compressing the chunk `times` times: after
    a full flush the compressor forgets what came before, so the chunk's bytes repeat exactly."""
    c = zlib.compressobj(9, zlib.DEFLATED, -15)
    first = c.compress(head) + c.flush(zlib.Z_FULL_FLUSH)
    block = c.compress(chunk) + c.flush(zlib.Z_FULL_FLUSH)
    again = c.compress(chunk) + c.flush(zlib.Z_FULL_FLUSH)
    assert block == again
    last = c.compress(tail) + c.flush()
    return first + block * times + last


@lru_cache(maxsize=None)
def zip_bomb(gigabytes=2):
    """An .xlsx whose sheet XML is `gigabytes` GB of blanks inside <sheetData> (honest sizes and
    CRC: a reader that trusts the archive inflates all of it)."""
    head = sheet_xml([(1, ["单位名称", "统一社会信用代码", "单位类别", "所在地区"])])[:-len("</sheetData></worksheet>")].encode()
    tail = b"</sheetData></worksheet>"
    chunk = b" " * (1024 * 1024)
    times = gigabytes * 1024 - 1
    packed = _repeated_deflate(head, chunk, times, tail)
    crc = zlib.crc32(head)
    for _ in range(times):
        crc = zlib.crc32(chunk, crc)
    crc = zlib.crc32(tail, crc)
    usize = len(head) + len(chunk) * times + len(tail)
    assert usize < 2 ** 32  # no zip64 needed
    members = [(name, text.encode()) for name, text in SMALL_PARTS]
    out, central = io.BytesIO(), []
    for name, data in members:
        offset, comp = out.tell(), _deflate(data)
        out.write(_local_header(name, zlib.crc32(data), len(comp), len(data)) + comp)
        central.append(_central(name, zlib.crc32(data), len(comp), len(data), offset))
    offset = out.tell()
    out.write(_local_header("xl/worksheets/sheet1.xml", crc, len(packed), usize) + packed)
    central.append(_central("xl/worksheets/sheet1.xml", crc, len(packed), usize, offset))
    start = out.tell()
    for entry in central:
        out.write(entry)
    size = out.tell() - start
    out.write(struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, len(central), len(central), size, start, 0))
    return out.getvalue()


def huge_csv_line(megabytes=9):
    """A CSV file that is one line of commas: millions of columns on one row."""
    return "单位名称,统一社会信用代码,单位类别".encode("gbk") + b"," * (megabytes * 1024 * 1024)

"""Realistic upper-platform lists (built here with openpyxl / encode('gbk')) and the reader:
merged title rows above the header, full-width characters, notes and empty rows below."""
import io

import pytest
from openpyxl import Workbook
from werkzeug.datastructures import FileStorage

from webapp.tasklist import matching
from webapp.tasklist.reading import ReadError, read_table

HEADER = ["序号", "单位名称", "统一社会信用代码", "单位地址", "单位类别", "抽查层级", "执法人员", "完成时限"]
TITLE = "2024年度医疗卫生国家和市级双随机抽查任务清单"
SUBTITLE = "下发单位：测试市卫生监督所"


def xlsx_bytes(rows, title=TITLE, trailing_blank=5, note="注：请于规定时限内完成检查并上报结果。"):
    """A sheet as exported by a platform: a merged title, a subtitle, the header, rows, a note,
    then rows that only look empty (formatted but blank)."""
    wb = Workbook()
    ws = wb.active
    ws.title = "任务清单"
    ws.append([title])
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(HEADER))
    ws.append([SUBTITLE])
    ws.merge_cells(start_row=2, start_column=1, end_row=2, end_column=4)
    ws.append(HEADER)
    for r in rows:
        ws.append(list(r))
    if note:
        ws.append([note])
    for i in range(trailing_blank):
        ws.cell(row=ws.max_row + 1, column=2, value=None).number_format = "@"
        ws.append([None] * len(HEADER))
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def csv_bytes(rows, encoding="gbk", title=TITLE):
    lines = [title + "," * (len(HEADER) - 1), ",".join(HEADER)]
    lines += [",".join(str(c) for c in r) for r in rows]
    lines += ["," * (len(HEADER) - 1)] * 3  # trailing empty rows as Excel writes them
    return ("\r\n".join(lines) + "\r\n").encode(encoding)


def upload(data, name):
    return FileStorage(stream=io.BytesIO(data), filename=name)


ROWS = [
    [1, "甲区人民医院", "X", "甲区胜利路1号", "医院", "国家", "甲监督员一、甲监督员二", "2024-09-30"],
    [2, "Ｂ诊所", "Y", "", "诊所", "市级", "", "2024/10/15"],
]


@pytest.mark.parametrize("make,name", [
    (lambda: xlsx_bytes(ROWS), "清单.xlsx"),
    (lambda: csv_bytes(ROWS, "gbk"), "清单.csv"),
    (lambda: csv_bytes(ROWS, "utf-8-sig"), "清单.csv"),
    (lambda: csv_bytes(ROWS, "utf-8"), "清单.csv"),
    (lambda: csv_bytes(ROWS, "gb18030"), "清单.csv"),
])
def test_reader_finds_the_header_below_the_title_and_drops_blank_rows(make, name):
    table = read_table(make(), name)
    assert table.headers == HEADER
    assert table.header_row == (3 if name.endswith("xlsx") else 2)
    assert [cells[1] for _, cells in table.rows] == ["甲区人民医院", "B诊所"]  # full-width Ｂ → B
    assert TITLE in table.title


def test_reader_shows_the_note_under_the_table_instead_of_dropping_it_silently():
    table = read_table(xlsx_bytes(ROWS), "清单.xlsx")
    assert [t for _, t in table.skipped] == ["注:请于规定时限内完成检查并上报结果。"]


def test_reader_signature_is_the_header_layout():
    a = read_table(xlsx_bytes(ROWS), "a.xlsx")
    b = read_table(csv_bytes(ROWS[:1], "gbk", title="另一年度的清单"), "b.csv")
    assert a.signature == b.signature


@pytest.mark.parametrize("data,name,message", [
    (b"", "x.csv", "文件是空的"),
    (b"PK\x03\x04garbage", "x.xlsx", "无法读取该 Excel 文件"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1rest", "x.xls", "不支持旧版 .xls"),
    ("只有一列\n一\n二\n".encode("gbk"), "x.csv", "找不到表头行"),
])
def test_reader_refuses_with_a_chinese_reason(data, name, message):
    with pytest.raises(ReadError, match=message):
        read_table(data, name)


@pytest.mark.parametrize("a,b", [
    ("新疆康宁医疗科技有限责任公司（门诊部）", "新疆康宁医疗科技有限公司(门诊部)"),
    ("ＡＢＣ 诊所", "ABC诊所"),
    ("甲区 仁和 诊所", "甲区仁和诊所"),
    ("某某【分院】", "某某(分院)"),
])
def test_names_are_compared_normalised(a, b):
    assert matching.norm_name(a) == matching.norm_name(b)


@pytest.mark.parametrize("text,iso", [("2024-09-30", "2024-09-30"), ("2024/9/3", "2024-09-03"), ("2024年10月1日", "2024-10-01"),
                                      ("20241001", "2024-10-01"), ("2024.10.01", "2024-10-01"), ("２０２４－１０－０１", "2024-10-01"),
                                      ("十月底", None), ("2024-02-30", None)])
def test_deadlines_in_the_usual_spellings(text, iso):
    d = matching.parse_date(text)
    assert (d.isoformat() if d else None) == iso


def test_mapping_is_suggested_from_the_header_words():
    assert matching.suggest(HEADER) == {"name": "单位名称", "credit_code": "统一社会信用代码", "address": "单位地址",
                                        "category": "单位类别", "tier": "抽查层级", "inspectors": "执法人员", "deadline": "完成时限"}


def test_the_shipped_example_files_hold_the_same_list():
    import pathlib

    folder = pathlib.Path(__file__).parent / "data" / "tasklist"
    x = read_table((folder / "示例任务清单-新市区.xlsx").read_bytes(), "示例任务清单-新市区.xlsx")
    c = read_table((folder / "示例任务清单-新市区-GBK.csv").read_bytes(), "示例任务清单-新市区-GBK.csv")
    assert x.headers == c.headers and x.signature == c.signature
    assert [r[:7] for _, r in x.rows] == [r[:7] for _, r in c.rows] and len(x.rows) == 9
    assert x.header_row == 3 and "医疗机构国家随机监督抽查任务清单(新市区)" in x.title
    assert [t for _, t in x.skipped] == [t for _, t in c.skipped] == ["注:执法人员一栏为空的,由各区自行随机分配。"]

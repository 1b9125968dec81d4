"""The one PDF renderer and the one workbook builder, checked on real output."""
import io

import openpyxl

from webapp.printing import HeaderCell, Sheet, build_workbook, render_pdf

from .pdfcheck import pdf_text, render_first_page


def test_pdf_renders_chinese_text(app, tmp_path):
    with app.test_request_context():
        data = render_pdf("print/sample.html", title="卫生监督抽查汇总表", header=["单位类别", "检查单位数"], rows=[["妇幼保健机构", 3], ["堃犇诊所", 1]])
    assert data.startswith(b"%PDF")
    text = pdf_text(data, tmp_path)
    assert "卫生监督抽查汇总表" in text and "妇幼保健机构" in text and "堃犇诊所" in text
    assert render_first_page(data, tmp_path, "printing-sample") > 0.001


def test_pdf_never_fetches_outside(app, tmp_path):
    with app.test_request_context():
        data = render_pdf("print/sample.html", title='<img src="http://203.0.113.1/x.png">', header=[], rows=[])
    assert data.startswith(b"%PDF")  # the escaped text renders; nothing is fetched


def test_workbook_merged_header_numbers_and_formula_neutralised():
    data = build_workbook([Sheet(
        title="汇总表", headings=["标题", "填报单位："],
        header=[[HeaderCell("单位类别", rowspan=2), HeaderCell("不合格情况", colspan=2)],
                [HeaderCell("甲单位数", vertical=True), HeaderCell("乙单位数")]],
        rows=[["=HYPERLINK(\"x\")", 3, 4], ["+1", 0, 2], ["@SUM(A1)", 1, 1], ["-2", 5, 6]],
        footer=["填表人："], paper="A3")])
    ws = openpyxl.load_workbook(io.BytesIO(data))["汇总表"]
    assert ws["A3"].value == "单位类别" and ws["B3"].value == "不合格情况" and ws["B4"].value == "甲单位数"
    assert {str(r) for r in ws.merged_cells.ranges} >= {"A3:A4", "B3:C3", "A1:C1"}
    assert ws["B5"].value == 3 and isinstance(ws["B5"].value, int)
    for ref in ("A5", "A6", "A7", "A8"):
        assert ws[ref].data_type == "s"  # text, never a formula
    assert ws["A5"].value.startswith("=HYPERLINK")
    assert ws.page_setup.orientation == "landscape" and int(ws.page_setup.paperSize) == 8  # A3
    assert ws.print_title_rows == "$3:$4"

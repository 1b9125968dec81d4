"""The printed 卫生监督意见书: text content, two identical parts (联), marks, rare characters."""
import datetime

import pytest

from webapp.documents import printing, services

from . import factories
from .pdfcheck import pdf_pages, pdf_text, render_first_page


@pytest.fixture
def issued(app, org):
    with app.app_context():
        inst = factories.make_institution(org.d1, "甲区堃犇䶮诊所", legal_rep="王䶮", address="甲区胜利路1号", phone="0991-1234567")
        rec = factories.make_failed_record(org.d1, inst, [org.users.insp1, org.users.insp2],
                                           [("2.1", "查见医师张某未在本机构注册即开展诊疗活动")])
        op = services.create_draft(org.users.insp1, rec, services.draft_values(rec, org.units.d1))
        yield services.issue(org.users.insp1, op)


def _text(data, tmp_path):
    """Extracted text without spaces (letter-spaced headings come out as 卫 生 监 督…)."""
    return pdf_text(data, tmp_path).replace(" ", "")


def _pdf(app, op, copy_no=1):
    with app.test_request_context():
        return printing.pdf(op, "http://suijian.local/documents/verify/" + (op.code or ""), copy_no)


def test_cn_numeral_date():
    assert printing.cn_numeral_date(datetime.date(2025, 11, 22)) == "二〇二五年十一月二十二日"
    assert printing.cn_numeral_date(datetime.date(2026, 1, 10)) == "二〇二六年一月十日"
    assert printing.cn_numeral_date(datetime.date(2030, 10, 31)) == "二〇三〇年十月三十一日"


def test_pdf_official_form_two_parts(app, org, issued, tmp_path):
    data = _pdf(app, issued)
    assert pdf_pages(data, tmp_path) == 2
    text = _text(data, tmp_path)
    pages = text.split("\f")
    for marker in ("卫生行政执法文书", "卫生监督意见书", "编号：" + issued.number, "被监督人：", "甲区堃犇䶮诊所",
                   "法定代表人/负责人：", "王䶮", "地址：", "甲区胜利路1号", "联系电话：", "0991-1234567",
                   "监督意见：", "被监督人签收", "卫生行政机关：", "甲区卫生监督所", "执法证号",
                   "甲监督员一", "甲监督员二", "校验码：" + issued.code):
        assert marker in pages[0] and marker in pages[1], marker
    assert "第一联" in pages[0] and "留存执法案卷" in pages[0] and "第二联" not in pages[0]
    assert "第二联" in pages[1] and "交被监督人" in pages[1]
    assert printing.cn_numeral_date(issued.issued_at.date()) in pages[0]
    assert "补打" not in text and "作废" not in text
    assert "查见医师张某未在本机构注册即开展诊疗活动" in text.replace("\n", "")
    assert render_first_page(data, tmp_path, "documents-opinion") > 0.005


def test_rare_characters_print(app, org, issued, tmp_path):
    text = _text(_pdf(app, issued), tmp_path)
    for ch in "堃犇䶮":
        assert text.count(ch) >= 2, ch  # on both parts


def test_reprint_and_void_marks(app, org, issued, tmp_path):
    data = _pdf(app, issued, copy_no=3)
    assert pdf_pages(data, tmp_path) == 2  # the mark must not push the verification code over a page
    text = _text(data, tmp_path)
    assert "副本·补打（第3次打印）" in text and "编号：" + issued.number in text
    voided, _ = services.void(org.users.insp1, issued, "地址有误")
    data = _pdf(app, voided, copy_no=4)
    assert pdf_pages(data, tmp_path) == 2
    text = _text(data, tmp_path)
    assert "作废（地址有误）" in text and "编号：" + issued.number in text


def test_draft_preview_is_marked(app, org, tmp_path):
    with app.app_context():
        inst = factories.make_institution(org.d1, "草稿诊所")
        rec = factories.make_failed_record(org.d1, inst, [org.users.insp1], [("1.1", "无证")])
        op = services.create_draft(org.users.insp1, rec, services.draft_values(rec, org.units.d1))
    text = _text(_pdf(app, op), tmp_path)
    assert "草稿·未签发·无效" in text and "校验码：" not in text

"""卫生监督意见书 in Chromium: an inspector composes one from a failed record of the demo data,
issues it, downloads the two-part PDF, and finds the demo's overdue and voided documents."""
import pytest

from tests.pdfcheck import pdf_pages, pdf_text

from .conftest import sign_in

pytestmark = pytest.mark.e2e


def test_issue_from_failed_record_and_download_pdf(live_server, page, tmp_path):
    sign_in(page, live_server, "ts_jdy1")
    page.click("nav.mainnav >> text=监督意见书")
    page.click("#op-list >> text=制作意见书 >> nth=0")
    page.wait_for_selector("#op-form")
    body = page.input_value("#op-body")
    assert body.startswith("经查，你单位") and "的规定。" in body and "责令你单位于" in body
    page.fill("#op-body", body + "\n请于期限届满前将整改报告送达我所。")
    page.click("#op-form button[value=issue]")
    page.wait_for_selector("#op-print")
    title = page.locator("h1").inner_text()
    assert "已签发" in title and "天山卫监意〔" in title
    number = title.split("卫生监督意见书", 1)[1].split("已签发")[0].strip()
    assert "请于期限届满前将整改报告送达我所。" in page.locator("#op-issued").inner_text()
    with page.expect_download() as dl:
        page.click("#op-print")
    assert dl.value.suggested_filename == f"卫生监督意见书-{number}.pdf"  # the Chinese name, read from filename*
    with open(dl.value.path(), "rb") as fh:
        data = fh.read()
    assert data.startswith(b"%PDF") and pdf_pages(data, tmp_path) == 2
    text = pdf_text(data, tmp_path).replace(" ", "")
    assert f"编号：{number}" in text and "第一联" in text and "第二联" in text and "补打" not in text
    page.goto(page.url)
    assert "补打 PDF（第 2 次）" in page.locator("#op-print").inner_text()
    # the new number is in the issued list; the demo's overdue one in 逾期未复查
    page.click("nav.mainnav >> text=监督意见书")
    page.click(".op-tabs >> text=已签发")
    assert number in page.locator("#op-list").inner_text()
    page.click("nav.mainnav >> text=逾期未复查")
    assert "逾期" in page.locator("#op-list").inner_text()
    page.click(".op-tabs >> text=已作废")
    assert "已作废" in page.locator("#op-list").inner_text()

"""The one file-name rule, the one download helper, the one upload reader, and the downloads of
every feature that use them: Chinese names with an ASCII fallback, no doubled words."""
import io
import re
from urllib.parse import unquote

import pytest
from werkzeug.datastructures import FileStorage

from webapp import downloads, uploads
from webapp.errors import Invalid


@pytest.mark.parametrize("raw,clean", [
    ("现场照片.jpg", "现场照片.jpg"),
    ("现场\x00照片.jpg", "现场照片.jpg"),
    ("C:\\fakepath\\整改.pdf", "整改.pdf"),
    ("../../instance/secret_key", "secret_key"),
    ("a\r\nContent-Type: text/html.png", "html.png"),  # a newline cannot split a header; "/" is a path
    ("\u202egpj.exe", "gpj.exe"),
    ("  多  个   空格 .png ", "多 个 空格 .png"),
    ("..", "文件"),
    ("", "文件"),
    (None, "文件"),
    ("\ud800坏.png", "坏.png"),  # a lone surrogate cannot be stored or sent
    ("长" * 200 + ".jpeg", "长" * 115 + ".jpeg"),
    ("长" * 200, "长" * 120),
])
def test_one_file_name_rule(raw, clean):
    assert uploads.clean_name(raw) == clean
    assert len(uploads.clean_name(raw)) <= uploads.NAME_MAX


@pytest.mark.parametrize("parts,name", [
    (("卫生监督意见书", "草稿", "草稿"), "卫生监督意见书-草稿.pdf"),
    (("卫生监督意见书", "草稿", "-草稿"), "卫生监督意见书-草稿.pdf"),
    (("卫生监督意见书", "天卫监意〔2025〕3号", ""), "卫生监督意见书-天卫监意〔2025〕3号.pdf"),
    (("2025年母婴保健技术服务机构国家随机监督抽查汇总表", "天山区"), "2025年母婴保健技术服务机构国家随机监督抽查汇总表-天山区.pdf"),
])
def test_file_names_leave_out_empty_and_repeated_parts(parts, name):
    assert downloads.file_name(*parts, ext="pdf") == name


def test_content_disposition_has_the_chinese_name_and_an_ascii_fallback():
    name = "2025年母婴保健技术服务机构国家随机监督抽查汇总表-天山区.pdf"
    value = downloads.content_disposition(name, fallback="2025-xj-mybj-650102.pdf")
    assert value == ("attachment; filename=\"2025-xj-mybj-650102.pdf\"; filename*=UTF-8''"
                     "2025%E5%B9%B4%E6%AF%8D%E5%A9%B4%E4%BF%9D%E5%81%A5%E6%8A%80%E6%9C%AF%E6%9C%8D%E5%8A%A1%E6%9C%BA%E6%9E%84"
                     "%E5%9B%BD%E5%AE%B6%E9%9A%8F%E6%9C%BA%E7%9B%91%E7%9D%A3%E6%8A%BD%E6%9F%A5%E6%B1%87%E6%80%BB%E8%A1%A8"
                     "-%E5%A4%A9%E5%B1%B1%E5%8C%BA.pdf")
    value.encode("latin-1")  # a header value: nothing outside ISO-8859-1, no control character
    assert downloads.content_disposition(name, inline=True).startswith("inline; filename=\"download-2025.pdf\"")


@pytest.mark.parametrize("name,plain", [
    ("现场照片.jpg", "download.jpg"),
    ("Café 报告.pdf", "Cafe.pdf"),
    ('a"b;c\\d.xlsx', "a_b_c_d.xlsx"),
    ("检查任务清单-12.xlsx", "download-12.xlsx"),
])
def test_ascii_fallback(name, plain):
    assert downloads.ascii_fallback(name) == plain


def test_read_sniffs_the_bytes_not_the_name(app):
    def up(data, name):
        return FileStorage(stream=io.BytesIO(data), filename=name)

    with app.app_context():
        assert uploads.read(up(b"%PDF-1.7\n...", "照片.jpg"), "f").mime == uploads.PDF
        with pytest.raises(Invalid, match="不是允许的类型"):
            uploads.read(up(b"<svg onload=alert(1)>", "照片.jpg"), "f")
        assert uploads.read(up("单位名称,代码\n".encode("gbk"), "list.xlsx"), "f", uploads.SHEETS).mime == uploads.CSV
        with pytest.raises(Invalid, match="旧版 .xls"):
            uploads.read(up(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, "list.xlsx"), "f", uploads.SHEETS)
        with pytest.raises(Invalid, match="超过 0.5 MB"):
            uploads.read(up(b"%PDF-" + b"x" * 600_000, "大.pdf"), "f", limit=512 * 1024)
        f = uploads.read(up(b"%PDF-1.7", "坏\x00名.pdf"), "f")
        assert f.name == "坏名.pdf" and uploads.path(uploads.store(f.data)).startswith(app.instance_path)
        assert uploads.path("../../etc/passwd") is None


def _disposition(resp):
    value = resp.headers["Content-Disposition"]
    star = re.search(r"filename\*=UTF-8''(\S+)", value)
    plain = re.search(r'filename="([^"]*)"', value)
    return value.split(";")[0], unquote(star.group(1)), plain.group(1)


def test_every_register_download_is_named_in_chinese_with_a_fallback(browser, org):
    b = browser("admin")
    for url, name, plain in [("/registers/institutions/template.xlsx", "检查对象名录库导入模板.xlsx", "institutions-template.xlsx"),
                             ("/registers/institutions/export.xlsx", "检查对象名录库.xlsx", "institutions.xlsx"),
                             ("/registers/inspectors/export.xlsx", "执法检查人员名录库.xlsx", "inspectors.xlsx")]:
        resp = b.get(url)
        assert resp.status_code == 200, url
        assert _disposition(resp) == ("attachment", name, plain)


def test_report_downloads_are_named_by_summary_and_area(app, org, browser):
    b = browser("city_shr")
    resp = b.get(f"/reports/export.xlsx?plan=2025-xj-mybj&area={org.d1.code}")
    assert resp.status_code == 200
    assert _disposition(resp) == ("attachment", "2025年母婴保健技术服务机构国家随机监督抽查汇总表-甲区.xlsx",
                                  f"2025-xj-mybj-{org.d1.code}.xlsx")


def test_generated_files_are_not_sandboxed_but_uploads_are(app):
    with app.test_request_context():
        own = downloads.send(b"%PDF-1.7", "抽取记录-1.pdf", downloads.PDF, inline=True, fallback="draw-1.pdf")
        assert own.headers["X-Content-Type-Options"] == "nosniff" and "Content-Security-Policy" not in own.headers
        assert own.headers["Content-Disposition"].startswith('inline; filename="draw-1.pdf"')
        sha = uploads.store(b"%PDF-1.7 from outside")
        stored = downloads.send_stored(sha, "整改.pdf", uploads.PDF)
        try:
            assert "sandbox" in stored.headers["Content-Security-Policy"]
            assert stored.headers["Content-Disposition"].startswith("attachment;")
        finally:
            stored.close()

"""Workbooks and CSV files from outside: the one reader (webapp.sheets) refuses what is past its
limits quickly, in bounded memory, says why in Chinese, and the imports then write nothing.

The bomb files are built by tests/hostile_files.py. Each import runs in a child process with an
address-space cap (so a regression fails the test instead of exhausting the shared machine) that
reports its own peak resident memory and the seconds each import took."""
import io
import json
import os
import subprocess
import sys

import pytest

from webapp import sheets
from webapp.audit.models import AuditEntry
from webapp.registers.models import Institution
from webapp.tasklist.models import ImportBatch

from . import hostile_files as hostile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
HEADER = ["单位名称", "统一社会信用代码", "单位类别", "所在地区"]
ROW = ["甲区测试诊所", "12650102000000001T", "诊所", "不存在的地区"]
PEAK_MB = 300
SECONDS = 5

CHILD = r"""
import io, json, os, resource, sys, time
cap = int(sys.argv[4])
resource.setrlimit(resource.RLIMIT_AS, (cap, cap))
from webapp import create_app, migrate
from webapp.db import db
from webapp.registers import services as registers
from webapp.tasklist.reading import read_table

app = create_app({"DATABASE_URL": "sqlite:///" + os.path.join(sys.argv[2], "t.db")})
with open(sys.argv[1], "rb") as fh:
    data = fh.read()
out = {}
with app.app_context():
    db.connect()
    migrate.upgrade()
    for which in ("registers", "tasklist"):
        start = time.monotonic()
        try:
            if which == "registers":  # the whole register import: read, check every row, write or not
                out[which] = [e[2] for e in registers.import_institutions(io.BytesIO(data)).errors]
            else:  # the task-list import's reading of the upload (services.start calls it first)
                out[which] = ["rows:%d" % len(read_table(data, sys.argv[3]).rows)]
        except Exception as e:
            out[which] = [type(e).__name__ + ": " + str(e)]
        out[which + "_seconds"] = time.monotonic() - start
# VmHWM: the peak resident memory of this process image. (ru_maxrss would do, but Linux carries
# it over exec from the forking parent: the test process's own size would be counted.)
with open("/proc/self/status") as fh:
    out["peak_mb"] = next(int(l.split()[1]) for l in fh if l.startswith("VmHWM:")) / 1024
print(json.dumps(out, ensure_ascii=False))
"""


def run_imports(tmp_path, data, name):
    path = tmp_path / name
    path.write_bytes(data)
    env = dict(os.environ, PYTHONPATH=ROOT, SUIJIAN_INSTANCE=str(tmp_path))
    env.pop("DATABASE_URL", None)
    done = subprocess.run([sys.executable, "-c", CHILD, str(path), str(tmp_path), name, str(2 * 1024 ** 3)],
                          capture_output=True, text=True, timeout=90, cwd=ROOT, env=env)
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def assert_bounded(out):
    assert out["peak_mb"] < PEAK_MB, out
    assert out["registers_seconds"] < SECONDS and out["tasklist_seconds"] < SECONDS, out


CASES = {
    # 1.6 KB: a header and one row, and one real value in the sheet's last cell XFD1048576
    "far-cell": (lambda: hostile.declared_whole_sheet([(1, HEADER), (2, ROW)], far_cell=True), "清单.xlsx", "列的上限"),
    # 2 MB unpacking to 2 GB of XML
    "zip-bomb": (hostile.zip_bomb, "清单.xlsx", "解压后约 2047 MB"),
    # 9 MB of commas on one line: nine million columns
    "csv-line": (hostile.huge_csv_line, "清单.csv", "个字符"),
    # 120,000 real rows, far past the row cap
    "many-rows": (lambda: hostile.many_rows(120_000, HEADER), "清单.xlsx", "有数据的行超过 20000 行"),
    # 1,000,000 distinct texts: past the cap on the workbook's shared strings
    "shared-strings": (lambda: hostile.many_shared_strings(1_000_000), "清单.xlsx", "条不同的文字"),
    # the 'billion laughs' entity expansion in the sheet XML
    "entities": (hostile.entity_bomb, "清单.xlsx", "含有 DTD 或实体声明"),
}


@pytest.mark.parametrize("case", list(CASES))
def test_both_imports_refuse_a_hostile_file_quickly_in_bounded_memory(tmp_path, case):
    make, name, message = CASES[case]
    out = run_imports(tmp_path, make(), name)
    assert_bounded(out)
    assert len(out["registers"]) == 1 and message in out["registers"][0], out
    assert len(out["tasklist"]) == 1 and message in out["tasklist"][0] and out["tasklist"][0].startswith("SheetError"), out


def test_a_declared_dimension_is_not_read_as_data(tmp_path):
    """The 1.7 KB workbook that declares A1:XFD1048576 and has a formatted empty cell at its end
    (openpyxl read-only padded every row to 16,384 cells and the sheet to 1,048,576 rows) is read
    as the two rows it really holds."""
    data = hostile.declared_whole_sheet([(1, HEADER), (2, ROW)], far_blank=True)
    assert len(data) < 2048
    out = run_imports(tmp_path, data, "清单.xlsx")
    assert_bounded(out)
    assert out["tasklist"] == ["rows:1"]
    assert out["registers"] == ["找不到地区“不存在的地区”"]  # row 2 was read and checked, nothing else


# ---- the reader itself --------------------------------------------------------------------------


def test_reader_counts_real_cells_and_keeps_file_row_numbers():
    data = hostile.workbook(hostile.sheet_xml([(3, ["a", "", "c"]), (7, ["", "b"]), (9, ["", "", ""])]))
    assert list(sheets.read_rows(data)) == [(3, ["a", "", "c"]), (7, ["", "b"])]


def test_reader_refuses_before_reading_an_archive_too_large_or_too_packed():
    with pytest.raises(sheets.SheetError, match="个内部文件"):
        buf = io.BytesIO()
        import zipfile
        with zipfile.ZipFile(buf, "w") as z:
            for i in range(600):
                z.writestr(f"x/{i}.xml", "<a/>")
        list(sheets.read_rows(buf.getvalue()))
    packed = hostile.many_rows(60_000, ["甲" * 30])
    with pytest.raises(sheets.SheetError, match="压缩比异常"):
        list(sheets.read_rows(packed, sheets.LIMITS.with_(ratio=5, ratio_floor=1024)))


def test_a_damaged_workbook_is_refused_in_chinese():
    data = bytearray(hostile.workbook(hostile.sheet_xml([(1, ["a", "b", "c"])])))
    at = data.find(b"xl/worksheets/sheet1.xml") + len("xl/worksheets/sheet1.xml")
    for i in range(at + 5, at + 60):
        data[i] ^= 0x5A  # the sheet's compressed bytes
    with pytest.raises(sheets.SheetError, match="无法读取该 Excel 文件"):
        list(sheets.read_rows(bytes(data)))
    with pytest.raises(sheets.SheetError, match="无法读取该 Excel 文件"):
        list(sheets.read_rows(hostile.workbook("<worksheet><sheetData><row>")))  # cut short


def test_reader_stops_on_its_time_budget():
    data = hostile.many_rows(30_000)
    with pytest.raises(sheets.SheetError, match="秒仍未完成"):
        list(sheets.read_rows(data, sheets.LIMITS.with_(seconds=0.01, rows=10 ** 6)))


@pytest.mark.parametrize("data,message", [
    ("a,b\n" + "x" * 300_000 + "\n", "个字符"),
    ("a,b,c\n1,2\x00,3\n", "空字符"),
    ("a,b\n\"unclosed," + "x\n" * 200_000, "格式有误|个字符"),
    (",".join(["h"] * 201) + "\n", "列的上限"),
])
def test_csv_limits(data, message):
    with pytest.raises(sheets.SheetError, match=message):
        list(sheets.read_rows(data.encode("utf-8")))


def test_csv_in_gbk_utf8_and_utf16():
    text = "单位名称,统一社会信用代码\r\n甲诊所,X\r\n"
    for encoded in (text.encode("gbk"), text.encode("utf-8-sig"), text.encode("utf-16")):
        assert list(sheets.read_rows(encoded)) == [(1, ["单位名称", "统一社会信用代码"]), (2, ["甲诊所", "X"])]


# ---- through the pages: the refusal is beside the file field and nothing is written -------------


def post(b, url, data, name, **form):
    """A multipart upload encoded here: werkzeug's test client spools a large body to a temporary
    file that it never closes (a ResourceWarning, an error under filterwarnings = error)."""
    boundary = "----hostile-file-boundary"
    form["csrf_token"] = b.token
    parts = [f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode() for k, v in form.items()]
    parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{name}"\r\n'
                 f"Content-Type: application/octet-stream\r\n\r\n".encode() + data + b"\r\n")
    body = b"".join(parts) + f"--{boundary}--\r\n".encode()
    return b.client.post(url, data=body, content_type=f"multipart/form-data; boundary={boundary}")


@pytest.mark.parametrize("case", ["zip-bomb", "csv-line", "far-cell"])
def test_register_import_page_refuses_and_writes_nothing(app, org, browser, case):
    make, name, message = CASES[case]
    resp = post(browser("admin"), "/registers/institutions/import", make(), name)
    html = resp.get_data(as_text=True)
    assert resp.status_code == 422 and message in html and "未导入任何数据" in html
    assert Institution.select().count() == 0
    assert not AuditEntry.select().where(AuditEntry.action == "institution.import").exists()


@pytest.mark.parametrize("case", ["zip-bomb", "csv-line", "far-cell"])
def test_task_list_upload_refuses_and_writes_nothing(app, org, browser, case):
    make, name, message = CASES[case]
    resp = post(browser("admin"), "/tasklist/", make(), name, plan="2025-xj-yiliao", area=str(org.d1.id), source="测试平台")
    html = resp.get_data(as_text=True)
    assert resp.status_code == 422 and message in html
    assert ImportBatch.select().count() == 0
    assert not os.path.exists(os.path.join(app.instance_path, "uploads"))


def test_the_register_template_still_reads_the_same(app, org):
    """The register template and an export go through the new reader unchanged."""
    from webapp.registers import services

    with app.app_context():
        data = services.institution_template()
        assert services.import_institutions(data).errors == [(0, "", "文件中没有数据行")]


def test_cli_register_import_refuses_the_same_files(app, org, runner, tmp_path):
    bomb = tmp_path / "bomb.xlsx"
    bomb.write_bytes(hostile.zip_bomb())
    result = runner.invoke(args=["registry", "import", str(bomb)])
    assert result.exit_code == 1 and "解压后约 2047 MB" in result.output and "未导入任何数据" in result.output
    app.config["SHEET_MAX_BYTES"] = 1024 * 1024
    result = runner.invoke(args=["registry", "import", str(bomb)])
    assert result.exit_code == 1 and "文件超过 1 MB 的大小上限" in result.output
    assert Institution.select().count() == 0

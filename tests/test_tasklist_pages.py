"""The import pages: access, upload errors beside the fields, mapping with live preview,
resolving rows by htmx and by plain POST, confirmation, the result and re-import."""
import io
import re

import pytest

from webapp.draw.models import Draw, Task
from webapp.org.models import Role
from webapp.tasklist.models import ImportBatch

from . import factories
from .test_tasklist_files import csv_bytes, xlsx_bytes
from .test_tasklist_import import PLAN, world, wrong  # noqa: F401  (fixture)


def post_file(b, data, name, area, source="测试市执法平台", plan=PLAN):
    return b.post("/tasklist/", data={"plan": plan, "area": str(area.id), "source": source, "file": (io.BytesIO(data), name)},
                  content_type="multipart/form-data")


MAPPING = {"name": "单位名称", "credit_code": "统一社会信用代码", "address": "单位地址", "category": "单位类别",
           "tier": "抽查层级", "inspectors": "执法人员", "deadline": "完成时限"}


@pytest.mark.parametrize("user,status", [("jdy1", 403), ("shr1", 403), ("city_fzr", 403), ("admin", 200)])
def test_only_admins_import(browser, org, user, status):
    assert browser(user).get("/tasklist/").status_code == status


def test_nav_and_upload_page(browser, org):
    b = browser("admin")
    assert "导入上级任务清单" in b.get("/").get_data(as_text=True)
    html = b.get("/tasklist/").get_data(as_text=True)
    assert "示例文件" in html and 'enctype="multipart/form-data"' in html and "甲区" in html


def test_example_file_downloads_as_a_workbook_with_a_title_above_the_header(app, browser, world):
    from webapp.tasklist.reading import read_table

    b = browser("admin")
    resp = b.get(f"/tasklist/example.xlsx?area={world.org.d1.id}")
    assert resp.status_code == 200 and resp.data[:2] == b"PK"
    table = read_table(resp.data, "x.xlsx")
    assert table.header_row == 3 and "单位名称" in table.headers and table.rows


def test_upload_mistakes_are_shown_beside_the_fields_and_input_kept(browser, world):
    b = browser("admin")
    resp = b.post("/tasklist/", data={"plan": PLAN, "area": str(world.org.d1.id), "source": "我的来源",
                                      "file": (io.BytesIO("只有一列\n一\n".encode("gbk")), "坏文件.csv")}, content_type="multipart/form-data")
    html = resp.get_data(as_text=True)
    assert resp.status_code == 422
    assert 'id="file-err"' in html and "找不到表头行" in html
    assert 'value="我的来源"' in html and f'value="{PLAN}" selected' in html
    assert ImportBatch.select().count() == 0


def test_the_whole_flow_by_plain_posts(app, browser, world):
    w = world
    b = browser("admin")
    file_bytes = xlsx_bytes(w.rows)
    resp = post_file(b, file_bytes, "任务清单.xlsx", w.org.d1)
    assert resp.status_code == 303
    batch = ImportBatch.get()
    assert resp.headers["Location"].endswith(f"/tasklist/{batch.id}/mapping")
    page = b.get(f"/tasklist/{batch.id}/mapping").get_data(as_text=True)
    assert "表头在文件第 3 行" in page and "甲区人民医院" in page
    assert '<option value="单位名称" selected' in page  # suggested

    # a mistake in the mapping: no unit column at all, and one column used twice
    resp = b.post(f"/tasklist/{batch.id}/mapping", data={"address": "单位地址", "category": "单位地址"})
    html = resp.get_data(as_text=True)
    assert resp.status_code == 422 and "请至少指定" in html and "一列只能对应一个字段" in html
    assert '<option value="单位地址" selected' in html  # what was chosen is kept

    resp = b.post(f"/tasklist/{batch.id}/mapping", data=MAPPING)
    assert resp.status_code == 303 and resp.headers["Location"].endswith(f"/tasklist/{batch.id}")
    page = b.get(f"/tasklist/{batch.id}").get_data(as_text=True)
    assert "3</strong> 行待处理" in page
    for n in (7, 8, 9):
        assert f'id="row-{n}"' in page
    assert re.search(r'<button type="submit" class="primary" disabled>确认导入', page)
    assert "注:请于规定时限内完成检查并上报结果" in page  # the note line is shown, not silently dropped

    # confirming early: refused with the reason, nothing written
    resp = b.post(f"/tasklist/{batch.id}/confirm")
    assert resp.status_code == 422 and "还有 3 行未处理" in resp.get_data(as_text=True)
    assert Draw.select().count() == 0

    # a wrong resolution keeps the typed values beside the error
    resp = b.post(f"/tasklist/{batch.id}/rows/8", data={"action": "create", "name": "甲区天佑口腔诊所", "credit_code": "12345",
                                                         "area": w.org.d1.code, "kinds": "clinic"})
    html = resp.get_data(as_text=True)
    assert resp.status_code == 422 and "应为18位" in html and 'value="12345"' in html

    code = factories.credit_code()
    for n, data in [(7, {"action": "link", "institution": w.clinic_a.id}),
                    (8, {"action": "create", "name": "甲区天佑口腔诊所", "credit_code": code, "area": w.org.d1.code, "kinds": "clinic"}),
                    (9, {"action": "skip", "reason": "信用代码有误，与第4行重复"})]:
        resp = b.post(f"/tasklist/{batch.id}/rows/{n}", data=data)
        assert resp.status_code == 303, resp.get_data(as_text=True)
    page = b.get(f"/tasklist/{batch.id}").get_data(as_text=True)
    assert "0</strong> 行待处理" in page and "已排除：信用代码有误" in page and "新建：甲区天佑口腔诊所" in page

    resp = b.post(f"/tasklist/{batch.id}/confirm")
    assert resp.status_code == 303
    page = b.get(f"/tasklist/{batch.id}").get_data(as_text=True)
    assert "已导入：5 项任务" in page and "上级平台下发" in page and "甲区天佑口腔诊所" in page
    assert Task.select().count() == 5

    # the same file again: nothing changes, and the page says so
    resp = post_file(b, file_bytes, "任务清单（再次）.xlsx", w.org.d1)
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200 and "本次未做任何更改" in html
    assert Task.select().count() == 5 and ImportBatch.select().count() == 1

    # the list saved again (other bytes): every imported unit is flagged instead of tasked twice
    # (a different trailing note makes the bytes differ even when saved within the same second)
    resp = post_file(b, xlsx_bytes(w.rows, note="注：另存的副本。"), "任务清单（另存）.xlsx", w.org.d1)
    again = ImportBatch.select().order_by(ImportBatch.id.desc()).first()
    assert resp.headers["Location"].endswith(f"/tasklist/{again.id}")  # pre-mapped: same source, same headers
    html = b.get(f"/tasklist/{again.id}").get_data(as_text=True)
    assert html.count("该单位已有本计划的任务") >= 4
    assert b.post(f"/tasklist/{again.id}/confirm").status_code == 422 and Task.select().count() == 5

    # the inspector named in the list sees the task
    tasks = browser("jdy1").get("/inspection/tasks").get_data(as_text=True)
    assert "甲区人民医院" in tasks


def test_htmx_resolution_returns_the_matching_fragment(app, browser, world):
    w = world
    b = browser("admin")
    post_file(b, csv_bytes(w.rows, "gbk"), "任务清单.csv", w.org.d1)
    batch = ImportBatch.get()
    b.post(f"/tasklist/{batch.id}/mapping", data=MAPPING)
    resp = b.post(f"/tasklist/{batch.id}/mapping/preview", data=MAPPING, htmx=True)
    html = resp.get_data(as_text=True)
    assert 'id="mapping-preview"' in html and "<html" not in html and "甲区人民医院" in html

    frag = b.get(f"/tasklist/{batch.id}", htmx=True).get_data(as_text=True)
    assert frag.startswith('\n<div id="matching">') or '<div id="matching">' in frag[:200]
    assert "<html" not in frag

    resp = b.get(f"/tasklist/{batch.id}/rows/6/search?q=仁和", htmx=True)
    html = resp.get_data(as_text=True)
    assert "<html" not in html and html.count("关联") == 2

    resp = b.post(f"/tasklist/{batch.id}/rows/6", data={"action": "link", "institution": w.clinic_b.id}, htmx=True)
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200 and "<html" not in html and 'id="row-6"' not in html and "2</strong> 行待处理" in html

    resp = b.post(f"/tasklist/{batch.id}/rows/7", data={"action": "link", "institution": ""}, htmx=True)
    html = resp.get_data(as_text=True)
    assert resp.status_code == 422 and "请选择要关联的单位" in html  # the message beside the row, swapped in

    resp = b.post(f"/tasklist/{batch.id}/rows/6", data={"action": "undo"}, htmx=True)
    assert "3</strong> 行待处理" in resp.get_data(as_text=True)


def test_a_batch_of_another_area_is_not_found(app, browser, world):
    w = world
    with app.app_context():
        factories.make_user("adm1", w.org.units.d1, Role.ADMIN, name="甲区管理员")
    post_file(browser("admin"), xlsx_bytes(w.rows), "x.xlsx", w.org.d2)
    batch = ImportBatch.get()
    b = browser("adm1")
    assert b.get(f"/tasklist/{batch.id}").status_code == 404
    assert b.post(f"/tasklist/{batch.id}/confirm").status_code == 404


def test_discarding_a_pending_import(app, browser, world):
    b = browser("admin")
    post_file(b, xlsx_bytes(world.rows), "x.xlsx", world.org.d1)
    batch = ImportBatch.get()
    resp = b.post(f"/tasklist/{batch.id}/discard")
    assert resp.status_code == 303 and ImportBatch.select().count() == 0


def test_a_stored_file_gone_missing_is_explained_not_a_server_error(app, browser, world):
    import os

    b = browser("admin")
    post_file(b, xlsx_bytes(world.rows), "x.xlsx", world.org.d1)
    batch = ImportBatch.get()
    b.post(f"/tasklist/{batch.id}/mapping", data=MAPPING)
    with app.app_context():
        from webapp.tasklist import services

        os.remove(services.file_path(batch.file_hash))
    for resp in (b.get(f"/tasklist/{batch.id}"), b.get(f"/tasklist/{batch.id}/mapping"), b.post(f"/tasklist/{batch.id}/confirm"),
                 b.post(f"/tasklist/{batch.id}/rows/7", data={"action": "skip"})):
        assert resp.status_code == 303 and resp.headers["Location"].endswith("/tasklist/")
    assert "已不在服务器上" in b.get("/tasklist/").get_data(as_text=True)
    assert Draw.select().count() == 0


@pytest.mark.parametrize("reason,message", [("", "请填写不导入此行的原因"), ("   ", "请填写不导入此行的原因"),
                                            ("长" * 101, "原因不能超过100个字")])
def test_excluding_a_row_needs_a_reason_beside_that_row(browser, world, reason, message):
    b = browser("admin")
    post_file(b, xlsx_bytes(world.rows), "x.xlsx", world.org.d1)
    batch = ImportBatch.get()
    b.post(f"/tasklist/{batch.id}/mapping", data=MAPPING)
    for htmx in (False, True):
        headers = {"HX-Request": "true"} if htmx else {}
        resp = b.post(f"/tasklist/{batch.id}/rows/9", data={"action": "skip", "reason": reason}, headers=headers)
        html = resp.get_data(as_text=True)
        row = html[html.index('id="row-9"'):]
        row = row[:row.index("</section>")]
        assert message in row and 'id="why-err-9"' in row  # beside the reason field of row 9, not elsewhere
        assert message not in html.replace(row, "")
    assert ImportBatch.get_by_id(batch.id).resolution_dict == {}


def test_a_skip_stored_without_a_reason_does_not_let_the_import_through(browser, world):
    """Batches resolved before the reason was required: the row is open again, confirm refuses."""
    import json

    b = browser("admin")
    post_file(b, xlsx_bytes(world.rows), "x.xlsx", world.org.d1)
    batch = ImportBatch.get()
    b.post(f"/tasklist/{batch.id}/mapping", data=MAPPING)
    ImportBatch.update(resolutions=json.dumps({str(n): {"skip": True, "reason": ""} for n in (7, 8, 9)})).execute()
    page = b.get(f"/tasklist/{batch.id}").get_data(as_text=True)
    assert "3</strong> 行待处理" in page
    resp = b.post(f"/tasklist/{batch.id}/confirm")
    assert resp.status_code == 422 and "还有 3 行未处理" in resp.get_data(as_text=True)
    assert Draw.select().count() == 0

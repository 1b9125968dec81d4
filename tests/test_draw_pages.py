"""Draw pages: run, confirm, verify, the 抽取记录 PDF, the task workbook, swaps; access rules."""
import io

import pytest
from openpyxl import load_workbook

from webapp.draw.models import Draw, DrawSource, DrawStatus, InspectorSwap, Task
from webapp.registers.models import Inspector

from .factories import make_institution
from .pdfcheck import pdf_pages, pdf_text, render_first_page


@pytest.fixture
def register(app, org):
    with app.app_context():
        for i in range(25):
            make_institution(org.d1, f"甲区第{i:02d}医院")
        for i in range(4):
            Inspector.create(name=f"甲执法员{i}", cert_no=f"650102{i:04d}", unit=org.units.d1)
    return org


@pytest.mark.parametrize("username,status", [("admin", 200), ("shr1", 403), ("jdy1", 403), ("city_fzr", 403)])
def test_only_admins_draw(app, register, browser, username, status):
    assert browser(username).get("/draw/").status_code == status


def test_run_confirm_verify_print(app, register, browser, tmp_path):
    b = browser("admin")
    bad = b.post("/draw/run", {"plan": "", "area": "650102", "seed": "abc", "witnesses": ""})
    html = bad.get_data(as_text=True)
    assert bad.status_code == 422 and "请选择随机抽查计划" in html and "随机种子应为" in html and "请填写监督见证人" in html
    resp = b.post("/draw/run", {"plan": "2024-county-yiliao", "area": "650102", "seed": "2024", "witnesses": "纪检 王某"})
    assert resp.status_code == 303
    with app.app_context():
        draw = Draw.get()
        assert (draw.seed, draw.witnesses, draw.confirmed) == (2024, "纪检 王某", False)
        assert Task.select().where(Task.draw == draw).count() == 5  # 12% and 5% of 25 hospitals: 3 + 2
    page = b.get(f"/draw/{draw.id}").get_data(as_text=True)
    assert "待确认" in page and "2024" in page and draw.result_hash in page
    verify = b.post(f"/draw/{draw.id}/verify", {}, htmx=True).get_data(as_text=True)
    assert 'id="draw-verify"' in verify and "抽取结果一致" in verify and "<html" not in verify
    assert b.post(f"/draw/{draw.id}/confirm", {}).status_code == 303
    page = b.get(f"/draw/{draw.id}").get_data(as_text=True)
    assert "已确认" in page and "调换" in page
    pdf = b.get(f"/draw/{draw.id}/record.pdf")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    text = pdf_text(pdf.data, tmp_path)
    for needed in ("双随机抽取记录", "2024年医疗机构随机监督抽查工作计划表", "2024", "纪检 王某", "管理员", "甲区第"):
        assert needed in text, needed
    assert pdf_pages(pdf.data, tmp_path) == 1
    assert 0.01 < render_first_page(pdf.data, tmp_path, "draw-record") < 0.5  # ink on the page, not a black box
    xlsx = b.get(f"/draw/{draw.id}/tasks.xlsx")
    rows = list(load_workbook(io.BytesIO(xlsx.data)).active.iter_rows(values_only=True))
    assert rows[2][:3] == ("序号", "单位名称", "统一社会信用代码")
    assert len(rows) == 3 + 5 and all(r[7] and "、" in r[7] for r in rows[3:])


def test_discard_only_unconfirmed(app, register, browser):
    b = browser("admin")
    b.post("/draw/run", {"plan": "2024-county-yiliao", "area": "650102", "witnesses": "王某"})
    with app.app_context():
        draw = Draw.get()
    assert b.post(f"/draw/{draw.id}/discard", {}).status_code == 303
    with app.app_context():
        assert Draw.select().count() == 0 and Task.select().count() == 0


def test_swap_page(app, register, browser):
    b = browser("admin")
    b.post("/draw/run", {"plan": "2024-county-yiliao", "area": "650102", "witnesses": "王某", "seed": "9"})
    with app.app_context():
        draw = Draw.get()
        task = Task.select().where(Task.draw == draw).first()
        team = [r.inspector_id for r in task.inspector_rows]
        other = Inspector.select().where(Inspector.id.not_in(team)).first().id
    b.post(f"/draw/{draw.id}/confirm", {})
    form = b.get(f"/draw/tasks/{task.id}/swap").get_data(as_text=True)
    assert "调换原因" in form
    bad = b.post(f"/draw/tasks/{task.id}/swap", {"old": team[0], "new": other, "reason": ""})
    assert bad.status_code == 422 and "请填写调换原因" in bad.get_data(as_text=True)
    # 5 tasks × 2 = 10 drawn inspectors → 15% = 1 swap
    assert b.post(f"/draw/tasks/{task.id}/swap", {"old": team[0], "new": other, "reason": "病假"}).status_code == 303
    with app.app_context():
        assert InspectorSwap.select().count() == 1
    again = b.post(f"/draw/tasks/{task.id}/swap", {"old": team[1], "new": team[0], "reason": "出差"})
    assert again.status_code == 422 and "上限" in again.get_data(as_text=True)


def test_demo_draws_give_inspectors_tasks(app):
    from webapp import demo
    from webapp.draw import services
    from webapp.draw.models import TaskInspector
    from webapp.org.models import User

    with app.app_context():
        demo.load()
        draws = list(Draw.select().where(Draw.status == DrawStatus.CONFIRMED, Draw.source == DrawSource.SYSTEM))
        assert {d.area.code for d in draws} >= {"650102", "650100"}
        for username in ("ts_jdy1", "ts_jdy2"):
            insp = Inspector.get(Inspector.user == User.get(User.username == username))
            assert TaskInspector.select().join(Task).where(TaskInspector.inspector == insp, Task.draw.in_(draws)).count() > 0
        assert all(services.verify(d)[0] for d in draws)

"""卫生监督意见书 pages: compose → issue → print/reprint → void → verify; follow-up; overdue list;
numbering settings; CLI. Through the real app with CSRF."""
import datetime

import pytest

from webapp.documents import services
from webapp.documents.models import Opinion, OpinionStatus

from . import factories
from .pdfcheck import pdf_pages, pdf_text


@pytest.fixture
def rec(app, org):
    with app.app_context():
        inst = factories.make_institution(org.d1, "甲区犇犇口腔诊所", legal_rep="李堃", address="甲区和平路8号", phone="0991-7654321")
        return factories.make_failed_record(org.d1, inst, [org.users.insp1, org.users.insp2],
                                            [("2.1", "查见医师未注册执业")])


def _form(body=None, deadline=None, **over):
    d = {"subject": "甲区犇犇口腔诊所", "legal_rep": "李堃", "address": "甲区和平路8号", "phone": "0991-7654321",
         "deadline": (deadline or datetime.date.today() + datetime.timedelta(days=15)).isoformat(),
         "body": body or "经查，你单位查见医师未注册执业。上述行为违反了《中华人民共和国医师法》第十三条的规定。"}
    d.update(over)
    return d


def _issue(browser, rec, user="jdy1"):
    b = browser(user)
    resp = b.post(f"/documents/compose/{rec.id}", _form(action="issue"))
    assert resp.status_code == 303, resp.get_data(as_text=True)
    return b, Opinion.get(Opinion.record == rec.id, Opinion.status == OpinionStatus.ISSUED)


def test_compose_page_shows_failures_and_draft(browser, rec):
    page = browser("jdy1").get(f"/documents/compose/{rec.id}").get_data(as_text=True)
    assert "查见医师未注册执业" in page and "《中华人民共和国医师法》第十三条、第十四条" in page
    assert "经查，你单位查见医师未注册执业。" in page and 'name="deadline"' in page and "签发" in page


@pytest.mark.parametrize("user,status", [("jdy3", 404), ("shr2", 404), ("fzr1", 403), ("shr1", 200), ("jdy2", 200)])
def test_compose_access(browser, rec, user, status):
    assert browser(user).get(f"/documents/compose/{rec.id}").status_code == status


def test_compose_keeps_input_on_error(browser, rec):
    resp = browser("jdy1").post(f"/documents/compose/{rec.id}", _form(subject="", body="我写的意见", action="save"))
    assert resp.status_code == 422
    page = resp.get_data(as_text=True)
    assert "请填写被监督人。" in page and "我写的意见" in page
    assert Opinion.select().count() == 0


def test_save_draft_then_issue_then_immutable(browser, rec):
    b = browser("jdy1")
    resp = b.post(f"/documents/compose/{rec.id}", _form(action="save"))
    assert resp.status_code == 303
    op = Opinion.get(Opinion.record == rec.id)
    assert op.status == OpinionStatus.DRAFT and op.number is None
    # GET compose again goes to the existing draft
    assert b.get(f"/documents/compose/{rec.id}").headers["Location"].endswith(f"/documents/{op.id}")
    resp = b.post(f"/documents/{op.id}", _form(body="改过的意见。", action="issue", version=op.version))
    assert resp.status_code == 303
    op = Opinion.get_by_id(op.id)
    assert op.status == OpinionStatus.ISSUED and op.body == "改过的意见。" and op.number.endswith("1号")
    # no write path changes an issued document
    resp = b.post(f"/documents/{op.id}", _form(body="再改", action="save", version=op.version))
    assert resp.status_code == 409 and "已签发" in resp.get_data(as_text=True)
    assert b.post(f"/documents/{op.id}/issue").status_code == 409
    assert Opinion.get_by_id(op.id).content == op.content
    page = b.get(f"/documents/{op.id}").get_data(as_text=True)
    assert "改过的意见。" in page and op.number in page and 'name="body"' not in page


def test_print_then_reprint_marked(browser, rec, tmp_path):
    b, op = _issue(browser, rec)
    first = b.post(f"/documents/{op.id}/print")
    assert first.status_code == 200 and first.mimetype == "application/pdf"
    assert pdf_pages(first.data, tmp_path) == 2
    text = pdf_text(first.data, tmp_path).replace(" ", "")
    assert op.number in text and "补打" not in text and "第一联" in text and "第二联" in text
    second = b.post(f"/documents/{op.id}/print")
    text = pdf_text(second.data, tmp_path).replace(" ", "")
    assert "副本·补打（第2次打印）" in text and op.number in text
    assert Opinion.get_by_id(op.id).print_count == 2
    assert "补打 PDF（第 3 次）" in b.get(f"/documents/{op.id}").get_data(as_text=True)


def test_print_requires_post_and_scope(browser, rec):
    b, op = _issue(browser, rec)
    assert b.get(f"/documents/{op.id}/print").status_code == 405
    assert browser("jdy3").post(f"/documents/{op.id}/print").status_code == 404


def test_void_with_redo(browser, rec):
    b, op = _issue(browser, rec)
    resp = b.post(f"/documents/{op.id}/void", {"reason": ""})
    assert resp.status_code == 422 and "作废时必须填写原因。" in resp.get_data(as_text=True)
    resp = b.post(f"/documents/{op.id}/void", {"reason": "法定代表人姓名有误", "redo": "1"})
    assert resp.status_code == 303
    old = Opinion.get_by_id(op.id)
    new = Opinion.get(Opinion.replaces == op.id)
    assert old.status == OpinionStatus.VOIDED and old.number == op.number
    assert resp.headers["Location"].endswith(f"/documents/{new.id}")
    page = b.get(f"/documents/{op.id}").get_data(as_text=True)
    assert "已作废" in page and "法定代表人姓名有误" in page
    assert b.post(f"/documents/{op.id}/void", {"reason": "x"}).status_code == 409


def test_verify_page(browser, rec):
    b, op = _issue(browser, rec)
    page = b.get(f"/documents/verify/{op.code}").get_data(as_text=True)
    assert "校验通过" in page and op.number in page and "甲区犇犇口腔诊所" in page
    # another district's user learns validity but not the text
    other = browser("jdy3").get(f"/documents/verify/{op.code}").get_data(as_text=True)
    assert "校验通过" in other and "查见医师未注册执业" not in other
    assert "未找到该校验码对应的文书" in b.get("/documents/verify?code=0000-0000-0000").get_data(as_text=True)
    b.post(f"/documents/{op.id}/void", {"reason": "重复签发"})
    page = b.get(f"/documents/verify/{op.code.replace('-', '').lower()}").get_data(as_text=True)
    assert "该文书已作废" in page and "重复签发" in page
    Opinion.update(content=op.content.replace("犇", "奔")).where(Opinion.id == op.id).execute()
    assert "存档内容校验失败" in b.get(f"/documents/verify/{op.code}").get_data(as_text=True)


def test_follow_up_and_overdue_list(browser, rec):
    b, op = _issue(browser, rec)
    Opinion.update(deadline=datetime.date.today() - datetime.timedelta(days=2)).where(Opinion.id == op.id).execute()
    for user in ("shr1", "jdy2", "city_shr"):
        page = browser(user).get("/documents/overdue").get_data(as_text=True)
        assert op.number in page and "逾期 2 天" in page, user
    assert op.number not in browser("shr2").get("/documents/overdue").get_data(as_text=True)
    frag = b.get("/documents/?tab=overdue", htmx=True).get_data(as_text=True)
    assert "<html" not in frag and 'id="op-list"' in frag and op.number in frag
    from webapp.registers.models import Inspector

    me = Inspector.get(Inspector.user == rec.created_by_id)
    bad = b.post(f"/documents/{op.id}/followup", {"result": "partial", "date": datetime.date.today().isoformat(),
                                                  "inspector1": str(me.id), "note": ""}, htmx=True)
    assert bad.status_code == 422 and "部分整改或未整改时请说明情况。" in bad.get_data(as_text=True)
    ok = b.post(f"/documents/{op.id}/followup", {"result": "done", "date": datetime.date.today().isoformat(),
                                                 "inspector1": str(me.id), "note": "已补办注册"}, htmx=True)
    assert ok.status_code == 200 and "<html" not in ok.get_data(as_text=True) and "已整改" in ok.get_data(as_text=True)
    assert op.number not in b.get("/documents/overdue", htmx=True).get_data(as_text=True)


def test_pending_tab_lists_records_needing_opinion(browser, rec):
    b = browser("jdy1")
    page = b.get("/documents/").get_data(as_text=True)
    assert f"/documents/compose/{rec.id}" in page
    _issue(browser, rec)
    assert f"/documents/compose/{rec.id}" not in b.get("/documents/?tab=pending").get_data(as_text=True)


def test_nav_entries(browser, rec):
    page = browser("jdy1").get("/").get_data(as_text=True)
    assert "监督意见书" in page and "逾期未复查" in page
    assert "逾期未复查" not in browser("admin").get("/").get_data(as_text=True)


def test_series_settings(browser, org, rec):
    b = browser("fzr1")
    page = b.get("/documents/series").get_data(as_text=True)
    assert "甲区卫生监督所" in page and "{简称}卫监意〔{年}〕{序号}号" in page
    resp = b.post("/documents/series", {"unit": str(org.units.d1.id), "pattern": "{年}-{号}"})
    assert resp.status_code == 422 and "未知字段" in resp.get_data(as_text=True) and "{年}-{号}" in resp.get_data(as_text=True)
    assert b.post("/documents/series", {"unit": str(org.units.d1.id), "pattern": "编号：{年}—{序号:03}"}).status_code == 303
    assert browser("jdy1").get("/documents/series").status_code == 403
    _, op = _issue(browser, rec)
    assert op.number == f"编号：{datetime.date.today().year}—001"


def test_cli_pdf(app, org, rec, runner, tmp_path):
    with app.app_context():
        op = services.issue(org.users.insp1, services.create_draft(org.users.insp1, rec, services.draft_values(rec, org.units.d1)))
    out = tmp_path / "op.pdf"
    result = runner.invoke(args=["opinion", "pdf", str(op.id), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert pdf_pages(out.read_bytes(), tmp_path) == 2 and op.number in pdf_text(out.read_bytes(), tmp_path).replace(" ", "")
    bad = runner.invoke(args=["opinion", "pdf", "9999", "--out", str(out)])
    assert bad.exit_code != 0 and "找不到" in bad.output


def test_demo_has_voided_reprinted_overdue(app):
    from webapp import demo

    with app.app_context():
        summary = demo.load()
    assert summary["卫生监督意见书"] >= 5
    assert Opinion.select().where(Opinion.status == OpinionStatus.VOIDED).count() == 1
    assert Opinion.select().where(Opinion.print_count > 1).exists()
    from webapp.org.models import User
    from webapp.scope import visible

    reviewer = User.get(User.username == "ts_shr")
    assert services.overdue(visible(Opinion.select(), Opinion.area, reviewer)).count() >= 1
    assert Opinion.get(Opinion.replaces.is_null(False)).status == OpinionStatus.ISSUED


def test_follow_up_evidence_follows_the_evidence_rules(browser, rec, app):
    """A 复查 attachment is checked like a check item's evidence (type by its bytes) and stored once."""
    import io
    import os

    from webapp import uploads
    from webapp.documents.models import FollowUp
    from webapp.registers.models import Inspector

    b, op = _issue(browser, rec)
    me = Inspector.get(Inspector.user == rec.created_by_id)
    form = {"result": "done", "date": datetime.date.today().isoformat(), "inspector1": str(me.id), "note": ""}
    bad = b.post(f"/documents/{op.id}/followup", dict(form, evidence=(io.BytesIO(b"MZ not a photo"), "整改.exe")), htmx=True,
                 content_type="multipart/form-data")
    assert bad.status_code == 422 and "不是允许的类型" in bad.get_data(as_text=True)
    assert not FollowUp.select().exists()
    jpeg = b"\xff\xd8\xff\xe0" + b"0" * 64
    ok = b.post(f"/documents/{op.id}/followup", dict(form, evidence=(io.BytesIO(jpeg), "整改照片.jpg")), htmx=True,
                content_type="multipart/form-data")
    assert ok.status_code == 200
    fu = FollowUp.get()
    assert fu.evidence_mime == "image/jpeg" and fu.evidence_name == "整改照片.jpg"
    with app.app_context():
        assert os.path.exists(uploads.path(fu.evidence_sha256))
    got = b.get(f"/documents/followup/{fu.id}/evidence")
    try:
        assert got.status_code == 200 and got.data == jpeg
    finally:
        got.close()  # send_file streams the stored file


def test_draft_and_issued_pdf_names_say_each_word_once(browser, rec):
    import re
    from urllib.parse import unquote

    b = browser("jdy1")
    assert b.post(f"/documents/compose/{rec.id}", _form(action="save")).status_code == 303
    op = Opinion.get(Opinion.record == rec.id)
    resp = b.get(f"/documents/{op.id}/preview.pdf")
    value = resp.headers["Content-Disposition"]
    assert unquote(re.search(r"filename\*=UTF-8''(\S+)", value).group(1)) == "卫生监督意见书-草稿.pdf"  # was 草稿-草稿
    assert f'filename="opinion-{op.id}-draft.pdf"' in value
    b, issued = _issue(browser, rec)
    for n, suffix in ((1, ""), (2, "-补打2")):
        resp = b.post(f"/documents/{issued.id}/print")
        value = resp.headers["Content-Disposition"]
        assert unquote(re.search(r"filename\*=UTF-8''(\S+)", value).group(1)) == f"卫生监督意见书-{issued.number}{suffix}.pdf"


@pytest.mark.parametrize("phone", ["😀", "请联系王科长", "0991-1234567😀", "12"])
def test_opinion_phone_must_be_a_phone_number(browser, rec, phone):
    resp = browser("jdy1").post(f"/documents/compose/{rec.id}", _form(phone=phone, action="save"))
    page = resp.get_data(as_text=True)
    assert resp.status_code == 422 and "联系电话只能是电话号码" in page
    assert Opinion.select().count() == 0


def test_follow_up_evidence_name_with_a_nul_byte_is_cleaned_and_downloads(browser, rec):
    import io

    from webapp.documents.models import FollowUp
    from webapp.registers.models import Inspector

    b, op = _issue(browser, rec)
    me = Inspector.get(Inspector.user == rec.created_by_id)
    form = {"result": "done", "date": datetime.date.today().isoformat(), "inspector1": str(me.id), "note": "",
            "evidence": (io.BytesIO(b"%PDF-1.7\n" + b"x" * 64), "整改\x00报告.pdf")}
    assert b.post(f"/documents/{op.id}/followup", form, htmx=True, content_type="multipart/form-data").status_code == 200
    fu = FollowUp.get()
    assert fu.evidence_name == "整改报告.pdf"
    got = b.get(f"/documents/followup/{fu.id}/evidence")
    try:
        assert got.status_code == 200 and got.headers["Content-Disposition"].startswith("attachment;")
        assert "%E6%95%B4%E6%94%B9%E6%8A%A5%E5%91%8A.pdf" in got.headers["Content-Disposition"]
    finally:
        got.close()

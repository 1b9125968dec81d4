"""卫生监督意见书: composition from failures, numbering (also under concurrency), immutability,
void, reprint, follow-up queries. Real databases (SQLite and PostgreSQL), no mocks."""
import datetime
import json
import threading

import pytest

from webapp.audit.models import AuditEntry
from webapp.db import db
from webapp.documents import numbering, services
from webapp.documents.models import DocumentSeries, FollowUp, Opinion, OpinionStatus
from webapp.documents.services import DocumentError
from webapp.uploads import Upload

from . import factories


@pytest.fixture
def ctx(app, org):
    with app.app_context():
        inst = factories.make_institution(org.d1, "甲区堃犇䶮诊所", legal_rep="王䶮", address="甲区胜利路1号", phone="0991-1234567")
        rec = factories.make_failed_record(org.d1, inst, [org.users.insp1, org.users.insp2], [
            ("2.1", "查见医师张某未在本机构注册即开展诊疗活动。"),
            ("1.2", "超出登记的诊疗科目开展医疗美容项目"),
        ], passes=["1.1"])
        yield org, inst, rec


def draft(org, rec, user=None, **over):
    user = user or org.users.insp1
    values = services.draft_values(rec, user.unit)
    values.update(over)
    return services.create_draft(user, rec, values)


def test_composition_from_failures(ctx):
    org, inst, rec = ctx
    items = services.failed_items(rec)
    assert [i["key"] for i in items] == ["1.2", "2.1"]  # plan order, passes left out
    values = services.draft_values(rec, org.units.d1, today=datetime.date(2025, 11, 22))
    assert values["subject"] == "甲区堃犇䶮诊所" and values["legal_rep"] == "王䶮" and values["phone"] == "0991-1234567"
    assert values["deadline"] == datetime.date(2025, 12, 7)  # OPINION_DEADLINE_DAYS default 15
    body = values["body"]
    assert body.startswith("经查，你单位存在以下问题：1.超出登记的诊疗科目开展医疗美容项目；2.查见医师张某未在本机构注册即开展诊疗活动。")
    # legal basis from the plan item, each citation once
    assert "上述行为违反了《医疗机构管理条例》、《中华人民共和国医师法》第十三条、第十四条的规定。" in body
    assert "责令你单位于2025年12月7日前改正" in body and "甲区卫生监督所" in body


def test_composition_without_finding_uses_item_text(app, org):
    with app.app_context():
        inst = factories.make_institution(org.d1, "某诊所")
        rec = factories.make_failed_record(org.d1, inst, [org.users.insp1], [("1.1", "")])
        body = services.draft_values(rec, org.units.d1)["body"]
        assert body.startswith("经查，你单位不符合“取得《医疗机构执业许可证》")


def test_deadline_days_configurable(app, org):
    app.config["OPINION_DEADLINE_DAYS"] = 30
    with app.app_context():
        inst = factories.make_institution(org.d1, "某诊所")
        rec = factories.make_failed_record(org.d1, inst, [org.users.insp1], [("1.1", "无证")])
        v = services.draft_values(rec, org.units.d1, today=datetime.date(2025, 1, 1))
        assert v["deadline"] == datetime.date(2025, 1, 31)


def test_draft_edit_moves_deadline_in_text_and_validates(ctx):
    org, inst, rec = ctx
    op = draft(org, rec)
    new_deadline = op.deadline + datetime.timedelta(days=10)
    op2 = services.update_draft(org.users.insp1, op, {"subject": op.subject, "body": op.body, "deadline": new_deadline.isoformat()})
    assert services.cn_date(new_deadline) in op2.body and services.cn_date(op.deadline) not in op2.body
    with pytest.raises(DocumentError) as e:
        services.update_draft(org.users.insp1, op2, {"subject": "", "body": "x", "deadline": new_deadline.isoformat()})
    assert e.value.field == "subject" and e.value.code == 422
    with pytest.raises(DocumentError) as e:
        services.update_draft(org.users.insp1, op2, {"subject": "x", "body": "x", "deadline": "2000-01-01"})
    assert e.value.field == "deadline"


def test_issue_numbers_freezes_and_audits(ctx):
    org, inst, rec = ctx
    op = services.issue(org.users.insp1, draft(org, rec), today=datetime.date.today())
    year = datetime.date.today().year
    assert op.status == OpinionStatus.ISSUED and op.seq == 1 and op.number == f"甲卫监意〔{year}〕1号"
    content = json.loads(op.content)
    assert content["number"] == op.number and content["subject"] == "甲区堃犇䶮诊所"
    assert [i["name"] for i in content["inspectors"]] == ["甲监督员一", "甲监督员二"]
    assert all(i["cert_no"] for i in content["inspectors"])
    assert services.digest(op.content) == op.sha256 and op.code == services.code_of(op.sha256)
    assert AuditEntry.select().where((AuditEntry.action == "opinion.issue") & (AuditEntry.entity_id == str(op.id))).exists()
    second = services.issue(org.users.insp1, draft(org, rec))
    assert second.seq == 2


def test_pattern_per_authority_with_width(ctx):
    org, inst, rec = ctx
    year = datetime.date.today().year
    numbering.set_pattern(org.units.d1, year, "编号：{年}—{序号:03}")
    op = services.issue(org.users.insp1, draft(org, rec))
    assert op.number == f"编号：{year}—001"
    # another authority has its own series
    inst2 = factories.make_institution(org.d2, "乙区诊所")
    rec2 = factories.make_failed_record(org.d2, inst2, [org.users.insp3], [("1.1", "无证")])
    op2 = services.issue(org.users.insp3, draft(org, rec2, user=org.users.insp3))
    assert op2.number == f"乙卫监意〔{year}〕1号"


@pytest.mark.parametrize("pattern,ok", [
    ("{简称}卫监意〔{年}〕{序号}号", True), ("编号：{年}—{序号:03}", True), ("{年}-{号}", False),
    ("{简称}卫监意〔{年}〕号", False), ("{序号", False), ("{序号:q}", False), ("", False)])
def test_check_pattern(app, pattern, ok):
    with app.app_context():
        assert (numbering.check_pattern(pattern) is None) is ok


def test_numbering_under_concurrency_no_duplicate_no_gap(app, org):
    """Parallel issues (each thread its own connection) take distinct, gap-free numbers."""
    threads_n, per_thread = 6, 4
    with app.app_context():
        inst = factories.make_institution(org.d1, "并发诊所")
        rec = factories.make_failed_record(org.d1, inst, [org.users.insp1], [("1.1", "无证")])
        ids = [draft(org, rec).id for _ in range(threads_n * per_thread)]
    db.close()
    errors = []
    barrier = threading.Barrier(threads_n)

    def work(chunk):
        try:
            with app.app_context():
                db.connect(reuse_if_open=True)
                try:
                    from webapp.org.models import User

                    user = User.get(User.username == "jdy1")
                    barrier.wait(10)
                    for oid in chunk:
                        services.issue(user, Opinion.get_by_id(oid))
                finally:
                    db.close()
        except Exception as exc:  # reported below: a thread's failure must fail the test
            errors.append(repr(exc))

    threads = [threading.Thread(target=work, args=(ids[i::threads_n],)) for i in range(threads_n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    db.connect(reuse_if_open=True)
    assert errors == []
    seqs = sorted(o.seq for o in Opinion.select().where(Opinion.id.in_(ids)))
    assert seqs == list(range(1, threads_n * per_thread + 1))
    numbers = [o.number for o in Opinion.select().where(Opinion.id.in_(ids))]
    assert len(set(numbers)) == len(numbers)
    series = DocumentSeries.get(DocumentSeries.unit == org.units.d1)
    assert series.next_no == threads_n * per_thread + 1


def test_issued_is_immutable(ctx):
    org, inst, rec = ctx
    op = services.issue(org.users.insp1, draft(org, rec))
    with pytest.raises(DocumentError) as e:
        services.update_draft(org.users.insp1, op, {"subject": "改", "body": "改", "deadline": op.deadline.isoformat()})
    assert e.value.code == 409 and "已签发" in e.value.message
    with pytest.raises(DocumentError) as e:
        services.issue(org.users.insp1, op)
    assert e.value.code == 409
    # a stale draft object (issued meanwhile elsewhere) is refused too and takes no number
    stale = draft(org, rec)
    services.issue(org.users.insp1, Opinion.get_by_id(stale.id))
    before = DocumentSeries.get(DocumentSeries.unit == org.units.d1).next_no
    with pytest.raises(DocumentError):
        services.issue(org.users.insp1, stale)
    assert DocumentSeries.get(DocumentSeries.unit == org.units.d1).next_no == before
    again = Opinion.get_by_id(op.id)
    assert again.content == op.content and again.sha256 == op.sha256 and again.number == op.number


def test_reprint_counts_and_audits(ctx):
    org, inst, rec = ctx
    op = services.issue(org.users.insp1, draft(org, rec))
    assert services.record_print(org.users.insp1, op) == 1
    assert services.record_print(org.users.insp2, op) == 2
    assert Opinion.get_by_id(op.id).print_count == 2
    actions = [e.action for e in AuditEntry.select().where(AuditEntry.entity_id == str(op.id)).order_by(AuditEntry.id)]
    assert actions[-2:] == ["opinion.print", "opinion.reprint"]
    with pytest.raises(DocumentError):
        services.record_print(org.users.insp1, draft(org, rec))


def test_void_keeps_number_and_redo_makes_new_document(ctx):
    org, inst, rec = ctx
    op = services.issue(org.users.insp1, draft(org, rec))
    with pytest.raises(DocumentError) as e:
        services.void(org.users.insp1, op, "  ")
    assert e.value.field == "reason"
    voided, new = services.void(org.users.insp1, op, "被监督人名称有误", redo=True)
    assert voided.status == OpinionStatus.VOIDED and voided.number == op.number and voided.void_reason == "被监督人名称有误"
    assert voided.content == op.content  # the issued text stays as it was
    assert new.status == OpinionStatus.DRAFT and new.replaces_id == op.id and new.body == op.body
    new = services.issue(org.users.insp1, new)
    assert new.seq == op.seq + 1 and new.number != op.number  # never reused
    assert json.loads(new.content)["replaces"] == op.number
    with pytest.raises(DocumentError):
        services.void(org.users.insp1, voided, "again")
    assert AuditEntry.select().where((AuditEntry.action == "opinion.void") & (AuditEntry.entity_id == str(op.id))).exists()


def test_verify(ctx):
    org, inst, rec = ctx
    op = services.issue(org.users.insp1, draft(org, rec))
    found, intact = services.verify(op.code.lower().replace("-", ""))
    assert found.id == op.id and intact
    assert services.verify("0000-0000-0000") == (None, False)
    # tampering with the stored content is detected
    Opinion.update(content=op.content.replace("堃", "坤")).where(Opinion.id == op.id).execute()
    assert services.verify(op.code) == (Opinion.get_by_id(op.id), False)


def test_follow_up_overdue_and_unrectified(ctx):
    org, inst, rec = ctx
    today = datetime.date.today()
    a = services.issue(org.users.insp1, draft(org, rec))
    b = services.issue(org.users.insp1, draft(org, rec))
    c = services.issue(org.users.insp1, draft(org, rec))
    past = today - datetime.timedelta(days=3)
    Opinion.update(deadline=past).where(Opinion.id.in_([a.id, b.id, c.id])).execute()
    services.void(org.users.insp1, c, "重复")
    from webapp.scope import visible

    q = visible(Opinion.select(), Opinion.area, org.users.reviewer1)
    assert [o.id for o in services.overdue(q)] == [a.id, b.id]
    assert [o.id for o in services.overdue(visible(Opinion.select(), Opinion.area, org.users.insp3))] == []
    insp = factories.inspector_for(org.users.insp1)
    with pytest.raises(DocumentError) as e:
        services.add_follow_up(org.users.insp1, a, {"result": "partial", "date": today.isoformat(), "inspector1": str(insp.id)})
    assert e.value.field == "note"
    services.add_follow_up(org.users.insp1, a, {"result": "done", "date": today.isoformat(), "inspector1": str(insp.id)},
                           evidence=Upload(b"photo", "整改照片.jpg", "image/jpeg"))
    assert [o.id for o in services.overdue(q)] == [b.id]
    fu = FollowUp.get(FollowUp.opinion == a.id)
    assert fu.result_label == "已整改" and fu.evidence_name == "整改照片.jpg"
    year = today.year
    assert [i.id for i in services.unrectified_institutions(year)] == [inst.id]  # b has no 复查
    services.add_follow_up(org.users.insp1, b, {"result": "not_done", "date": today.isoformat(), "inspector1": str(insp.id),
                                                "note": "仍未整改"})
    assert [i.id for i in services.unrectified_institutions(year, area=org.d1)] == [inst.id]
    assert list(services.unrectified_institutions(year, area=org.d2)) == []
    services.add_follow_up(org.users.insp1, b, {"result": "done", "date": today.isoformat(), "inspector1": str(insp.id)})
    assert list(services.unrectified_institutions(year)) == []
    with pytest.raises(DocumentError):
        services.add_follow_up(org.users.insp1, Opinion.get_by_id(c.id), {"result": "done", "date": today.isoformat(), "inspector1": str(insp.id)})

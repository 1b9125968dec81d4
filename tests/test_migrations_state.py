"""Migrations 0090/0091: Draw.confirmed and ImportBatch's Chinese status text become integer
states, and the rows already there keep what they meant."""
from webapp import migrate
from webapp.db import db



def _before_state_migrations():
    """The last migration before 0090 (other branches may add some below it)."""
    return [m.name for m in migrate.runner().migrations() if m.idx < 90][-1]


def test_existing_draws_and_imports_keep_their_state(empty_app):  # noqa: F811
    migrate.upgrade(target=_before_state_migrations())
    p = db.param
    db.execute_sql("INSERT INTO area (code, name, level, path) VALUES ('650102', '天山区', 3, '/650102/')")
    db.execute_sql("INSERT INTO unit (name, short_name, kind, area_id) VALUES ('天山区卫生监督所', '天', '卫生监督所', 1)")
    db.execute_sql(f'INSERT INTO "user" (username, name, unit_id, phone, password_hash, active, created_at) '
                   f"VALUES ('admin', '管理员', 1, '', 'x', {p}, '2024-01-01 00:00:00')", (True,))
    for confirmed in (True, False):
        db.execute_sql(
            "INSERT INTO draw (plan_id, plan_version, area_id, source, register_hash, file_hash, result_hash, witnesses, "
            f"drawn_by_id, drawn_at, confirmed, note, snapshot) VALUES ('p', 'v', 1, '系统抽取', '', '', '', '', 1, "
            f"'2024-05-01 10:00:00', {p}, '', '')", (confirmed,))
    for status in ("已导入", "待确认"):
        db.execute_sql(
            "INSERT INTO import_batch (plan_id, area_id, source, file_name, file_hash, signature, status, mapping, "
            f"resolutions, created_by_id, created_at) VALUES ('p', 1, '平台', 'a.xlsx', 'h', '', {p}, '', '{{}}', 1, "
            "'2024-05-01 10:00:00')", (status,))

    assert "0090_draw_status" in migrate.upgrade()

    from webapp.draw.models import Draw, DrawStatus
    from webapp.tasklist.models import BatchStatus, ImportBatch

    assert [d.state for d in Draw.select().order_by(Draw.id)] == [DrawStatus.CONFIRMED, DrawStatus.PENDING]
    assert [b.state for b in ImportBatch.select().order_by(ImportBatch.id)] == [BatchStatus.DONE, BatchStatus.PENDING]
    assert "confirmed" not in {c.name for c in db.get_columns("draw")}
    assert "status_text" not in {c.name for c in db.get_columns("import_batch")}
    # the models and the migrated tables agree (what db-diff would otherwise propose)
    from playhouse.schema_diff import diff_models

    assert not diff_models(db.obj, [Draw, ImportBatch])


def test_state_migrations_go_back_down(empty_app):  # noqa: F811
    migrate.upgrade("0091_import_batch_status")  # the state migrations as the last applied ones
    p = db.param
    db.execute_sql("INSERT INTO area (code, name, level, path) VALUES ('650102', '天山区', 3, '/650102/')")
    db.execute_sql("INSERT INTO unit (name, short_name, kind, area_id) VALUES ('天山区卫生监督所', '天', '卫生监督所', 1)")
    db.execute_sql(f'INSERT INTO "user" (username, name, unit_id, phone, password_hash, active, created_at) '
                   f"VALUES ('admin', '管理员', 1, '', 'x', {p}, '2024-01-01 00:00:00')", (True,))
    db.execute_sql("INSERT INTO import_batch (plan_id, area_id, source, file_name, file_hash, signature, status, mapping, "
                   "resolutions, created_by_id, created_at) VALUES ('p', 1, '平台', 'a.xlsx', 'h', '', 1, '', '{}', 1, "
                   "'2024-05-01 10:00:00')")
    runner = migrate.runner()
    while [m for m in runner.status() if m.applied and m.idx >= 90]:
        runner.down()
    assert db.execute_sql("SELECT status FROM import_batch").fetchone()[0] == "已导入"
    assert "confirmed" in {c.name for c in db.get_columns("draw")}

"""Migration 0150 (issue 14): SummaryReport.period_kind for summaries submitted before it."""
from webapp import migrate
from webapp.db import db



def test_0150_records_the_period_kind_of_old_summaries(empty_app):
    """Old summaries keep their dates; one with dates was a range chosen by hand ("custom"), one
    without counted every date and says so (不限检查日期)."""
    migrate.upgrade(target="0001_organisation")
    db.execute_sql("INSERT INTO area (code, name, level, path) VALUES ('110000', '北京市', 1, '/110000/')")
    db.execute_sql("INSERT INTO unit (name, short_name, kind, area_id) VALUES ('北京市卫生监督所', '京', '卫生监督所', 1)")
    p = db.param
    db.execute_sql(f'INSERT INTO "user" (username, name, unit_id, phone, password_hash, active, created_at) '
                   f"VALUES ('old', '老用户', 1, '', 'x', {p}, '2024-01-01 00:00:00')", (True,))
    migrate.upgrade(target="0131_user_demo")
    for n, (start, end) in enumerate([("2025-01-01", "2025-06-30"), (None, None)], 1):
        db.execute_sql("INSERT INTO summary_report (plan_id, plan_version, area_id, number, period_start, period_end, status, "
                       "figures, unit_name, prepared_by_id, prepared_at, phone, return_reason) "
                       f"VALUES ('2025-xj-yiliao', 'v1', 1, {p}, {p}, {p}, 3, '[]', '北京市卫生监督所', 1, "
                       "'2025-07-01 10:00:00', '', '')", (n, start, end))
    assert "0150_summary_period_kind" in migrate.pending()
    migrate.upgrade()
    from webapp.reports import periods, workflow
    from webapp.reports.models import SummaryReport

    ranged, unbounded = SummaryReport.select().order_by(SummaryReport.number)
    assert (ranged.period_kind, unbounded.period_kind) == ("custom", "")
    assert periods.describe(workflow.period_of(ranged)) == "自定义期间（2025-01-01 至 2025-06-30）"
    assert periods.describe(workflow.period_of(unbounded)) == "不限检查日期"

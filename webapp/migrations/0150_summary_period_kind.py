"""SummaryReport.period_kind: which period a submitted 汇总表 counted (issue 14 "Periods") —
"year" (the plan's period), "stage" (to the stage-summary date) or "custom" — beside the dates
it already keeps, so the printed form says 计划年度（2025-01-01 至 2025-12-31）.

Old rows: one with dates was a range chosen by hand ("custom"); one without dates counted every
inspection date (before 0150 there was no default period) and keeps "" : it prints 不限检查日期."""
from peewee import *


def up(migrator, db):
    migrator.migrate(migrator.add_column('summary_report', 'period_kind', CharField(max_length=16, default='')))
    db.execute_sql("UPDATE summary_report SET period_kind = 'custom' "
                   "WHERE period_start IS NOT NULL OR period_end IS NOT NULL")


def down(migrator, db):
    migrator.migrate(migrator.drop_column('summary_report', 'period_kind'))

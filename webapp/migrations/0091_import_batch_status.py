"""ImportBatch.status: an integer state (0 待确认, 1 已导入) instead of the Chinese text it
stored; the label now lives once, on the enum (webapp/tasklist/models.py). Existing rows are
converted: '已导入' becomes 1, anything else (待确认) 0."""
from peewee import *


def up(migrator, db):
    migrator.migrate(migrator.rename_column('import_batch', 'status', 'status_text'))
    migrator.migrate(migrator.add_column('import_batch', 'status', IntegerField(default=0)))
    db.execute_sql("UPDATE import_batch SET status = 1 WHERE status_text = '已导入'")
    migrator.migrate(migrator.drop_column('import_batch', 'status_text'))


def down(migrator, db):
    migrator.migrate(migrator.rename_column('import_batch', 'status', 'status_int'))
    migrator.migrate(migrator.add_column('import_batch', 'status', CharField(max_length=8, default='待确认')))
    db.execute_sql("UPDATE import_batch SET status = '已导入' WHERE status_int = 1")
    migrator.migrate(migrator.drop_column('import_batch', 'status_int'))

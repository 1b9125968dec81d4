"""Draw.status (0 待确认, 1 已确认) replaces the boolean Draw.confirmed: the draw has a state
like every other object that moves through states (webapp/workflow.py). Existing rows keep
what they were: a confirmed draw becomes 已确认, any other 待确认."""
from peewee import *


def up(migrator, db):
    migrator.migrate(migrator.add_column('draw', 'status', IntegerField(default=0)))
    db.execute_sql('UPDATE draw SET status = 1 WHERE confirmed')
    migrator.migrate(
        migrator.drop_column('draw', 'confirmed'),
        migrator.add_index('draw', ('status',), False))


def down(migrator, db):
    migrator.migrate(migrator.add_column('draw', 'confirmed', BooleanField(default=False)))
    db.execute_sql('UPDATE draw SET confirmed = (status = 1)')
    migrator.migrate(
        migrator.drop_index('draw', 'draw_status'),
        migrator.drop_column('draw', 'status'))

"""AuditEntry.area_id: the area an entry belongs to, so that an admin sees the entries of their
own area and below (a district admin no longer reads every district's trail).

Old rows are filled from what they already name, most specific first: the record, the
institution, the draw / task / task import / summary report / opinion the entry is about, the
inspector's unit, and last the area of the actor's unit. A row none of these reaches stays NULL
and is shown only to an admin at the top of the area tree.

The column is not part of an entry's hash: it is derived from fields the hash covers (the record,
institution and entity ids), so filling it here leaves the chain intact."""
from peewee import *


# (entity, the statement that finds the area of the entry's object from its entity_id)
_BY_ENTITY = [
    ("draw", 'SELECT area_id FROM "draw" WHERE CAST("draw".id AS VARCHAR(64)) = audit_entry.entity_id'),
    ("task", 'SELECT area_id FROM "task" WHERE CAST("task".id AS VARCHAR(64)) = audit_entry.entity_id'),
    ("task_import", 'SELECT area_id FROM "import_batch" WHERE CAST("import_batch".id AS VARCHAR(64)) = audit_entry.entity_id'),
    ("summary_report", 'SELECT area_id FROM "summary_report" WHERE CAST("summary_report".id AS VARCHAR(64)) = audit_entry.entity_id'),
    ("opinion", 'SELECT area_id FROM "opinion" WHERE CAST("opinion".id AS VARCHAR(64)) = audit_entry.entity_id'),
    ("inspector", 'SELECT u.area_id FROM "inspector" i JOIN "unit" u ON u.id = i.unit_id '
                  'WHERE CAST(i.id AS VARCHAR(64)) = audit_entry.entity_id'),
]


def up(migrator, db):
    migrator.migrate(migrator.add_column('audit_entry', 'area_id', IntegerField(index=True, null=True)))
    fill_areas(db)


def fill_areas(db):
    """Give every entry without an area the one its record, institution, object or actor names."""
    fill = 'UPDATE audit_entry SET area_id = ({}) WHERE area_id IS NULL AND {}'
    db.execute_sql(fill.format('SELECT area_id FROM "record" WHERE "record".id = audit_entry.record_id',
                               'record_id IS NOT NULL'))
    db.execute_sql(fill.format('SELECT area_id FROM "institution" WHERE "institution".id = audit_entry.institution_id',
                               'institution_id IS NOT NULL'))
    for entity, query in _BY_ENTITY:
        db.execute_sql(fill.format(query, "entity = %s" % db.param), (entity,))
    db.execute_sql(fill.format('SELECT u.area_id FROM "user" a JOIN "unit" u ON u.id = a.unit_id WHERE a.id = audit_entry.actor_id',
                               'actor_id IS NOT NULL'))


def down(migrator, db):
    migrator.migrate(migrator.drop_index('audit_entry', 'audit_entry_area_id'))
    migrator.migrate(migrator.drop_column('audit_entry', 'area_id'))

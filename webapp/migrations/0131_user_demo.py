"""User.is_demo: accounts made by `flask --app webapp demo`. While any such account is active,
every page carries a 演示数据 banner, so nobody mistakes the demo for a real install.

An existing database is marked when it holds the demo's administrator in the demo's city unit:
then the demo's accounts (names frozen here, as webapp/demo.py made them) are marked."""
from peewee import *

DEMO_USERNAMES = ("admin", "city_shr", "city_fzr", "ts_jdy1", "ts_jdy2", "ts_jdy3", "ts_shr", "ts_fzr", "sy_jdy1",
                  "sy_jdy2", "sy_shr", "sy_fzr", "xs_jdy1", "xs_jdy2", "xs_shr", "xs_fzr")


def up(migrator, db):
    migrator.migrate(migrator.add_column('user', 'is_demo', BooleanField(default=False)))
    p = db.param
    demo = db.execute_sql(f'SELECT COUNT(*) FROM "user" a JOIN "unit" u ON u.id = a.unit_id WHERE a.username = {p} AND u.name = {p}',
                          ("admin", "乌鲁木齐市卫生监督所")).fetchone()[0]
    if demo:
        marks = ", ".join([p] * len(DEMO_USERNAMES))
        db.execute_sql(f'UPDATE "user" SET is_demo = {p} WHERE username IN ({marks})', (True, *DEMO_USERNAMES))


def down(migrator, db):
    migrator.migrate(migrator.drop_column('user', 'is_demo'))

"""Database-level guard: audit events can be inserted, never updated or deleted.

SQLite: BEFORE UPDATE/DELETE triggers that abort, unless the test-suite flush marker table
`audit_flush_permit` holds a row (only tests that must empty the database insert one).
PostgreSQL: a trigger function that raises on UPDATE or DELETE. (TRUNCATE, which needs the
table owner's rights, is how a test database is emptied.)
"""

from django.db import migrations

SQLITE_FORWARD = [
    "CREATE TABLE IF NOT EXISTS audit_flush_permit (id integer PRIMARY KEY)",
    """CREATE TRIGGER audit_accessevent_no_update BEFORE UPDATE ON audit_accessevent
       BEGIN SELECT RAISE(ABORT, 'audit events are append-only'); END""",
    """CREATE TRIGGER audit_accessevent_no_delete BEFORE DELETE ON audit_accessevent
       WHEN (SELECT COUNT(*) FROM audit_flush_permit) = 0
       BEGIN SELECT RAISE(ABORT, 'audit events are append-only'); END""",
]
SQLITE_BACKWARD = [
    "DROP TRIGGER IF EXISTS audit_accessevent_no_update",
    "DROP TRIGGER IF EXISTS audit_accessevent_no_delete",
    "DROP TABLE IF EXISTS audit_flush_permit",
]
POSTGRES_FORWARD = [
    """CREATE OR REPLACE FUNCTION audit_accessevent_append_only() RETURNS trigger AS $$
       BEGIN RAISE EXCEPTION 'audit events are append-only'; END; $$ LANGUAGE plpgsql""",
    """CREATE TRIGGER audit_accessevent_append_only BEFORE UPDATE OR DELETE ON audit_accessevent
       FOR EACH ROW EXECUTE FUNCTION audit_accessevent_append_only()""",
]
POSTGRES_BACKWARD = [
    "DROP TRIGGER IF EXISTS audit_accessevent_append_only ON audit_accessevent",
    "DROP FUNCTION IF EXISTS audit_accessevent_append_only()",
]


def forward(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    statements = {"sqlite": SQLITE_FORWARD, "postgresql": POSTGRES_FORWARD}.get(vendor, [])
    for sql in statements:
        schema_editor.execute(sql)


def backward(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    statements = {"sqlite": SQLITE_BACKWARD, "postgresql": POSTGRES_BACKWARD}.get(vendor, [])
    for sql in statements:
        schema_editor.execute(sql)


class Migration(migrations.Migration):
    dependencies = [("audit", "0001_initial")]
    operations = [migrations.RunPython(forward, backward)]

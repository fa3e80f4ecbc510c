"""The ledger is append-only in the database too: PostgreSQL refuses UPDATE and DELETE
of a ledger row (TRUNCATE, used only by test teardown, is not a row change); SQLite
refuses UPDATE (a DELETE trigger would break Django's test flush there)."""

from django.db import migrations

PG_UP = """
CREATE OR REPLACE FUNCTION dues_ledger_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'dues_ledgerentry is append-only: % refused', TG_OP
        USING ERRCODE = 'integrity_constraint_violation';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER dues_ledger_append_only
    BEFORE UPDATE OR DELETE ON dues_ledgerentry
    FOR EACH ROW EXECUTE FUNCTION dues_ledger_append_only();
"""
PG_DOWN = """
DROP TRIGGER IF EXISTS dues_ledger_append_only ON dues_ledgerentry;
DROP FUNCTION IF EXISTS dues_ledger_append_only();
"""
SQLITE_UP = """
CREATE TRIGGER dues_ledger_no_update BEFORE UPDATE ON dues_ledgerentry
BEGIN SELECT RAISE(ABORT, 'dues_ledgerentry is append-only: UPDATE refused'); END;
"""
SQLITE_DOWN = "DROP TRIGGER IF EXISTS dues_ledger_no_update;"


def _run(schema_editor, pg: str, sqlite: str) -> None:
    vendor = schema_editor.connection.vendor
    sql = pg if vendor == "postgresql" else sqlite if vendor == "sqlite" else ""
    if sql:
        with schema_editor.connection.cursor() as cur:
            cur.execute(sql)  # no parameters: '%' in PL/pgSQL is not a placeholder


def up(apps, schema_editor):
    _run(schema_editor, PG_UP, SQLITE_UP)


def down(apps, schema_editor):
    _run(schema_editor, PG_DOWN, SQLITE_DOWN)


class Migration(migrations.Migration):
    dependencies = [("dues", "0002_default_rates")]
    operations = [migrations.RunPython(up, down)]

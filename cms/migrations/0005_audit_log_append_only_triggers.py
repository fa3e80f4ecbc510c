"""The audit log is append-only in the database too: UPDATE and DELETE of its rows are
refused by a trigger, whatever client writes (the application refuses them first, see
cms.models.audit). PostgreSQL: a row trigger on UPDATE and DELETE (TRUNCATE, an
administrator's operation, is not a row event). SQLite (the embedded profile): UPDATE
only — Django's test-database flush empties tables with DELETE."""

from django.db import migrations

TABLES = ("cms_auditentry", "cms_auditentryoutlet")

PG_FUNCTION = """
CREATE OR REPLACE FUNCTION cms_audit_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION '审核发布记录只能追加，不能修改或删除（表 %）', TG_TABLE_NAME
        USING ERRCODE = 'integrity_constraint_violation';
END;
$$ LANGUAGE plpgsql;
"""


def forwards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(PG_FUNCTION, params=None)  # the body holds a literal %
        for table in TABLES:
            schema_editor.execute(
                f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
                "FOR EACH ROW EXECUTE FUNCTION cms_audit_append_only()"
            )
    elif vendor == "sqlite":
        for table in TABLES:
            schema_editor.execute(
                f"CREATE TRIGGER {table}_no_update BEFORE UPDATE ON {table} "
                "BEGIN SELECT RAISE(ABORT, '审核发布记录只能追加，不能修改'); END"
            )


def backwards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    for table in TABLES:
        if vendor == "postgresql":
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}")
        elif vendor == "sqlite":
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_no_update")
    if vendor == "postgresql":
        schema_editor.execute("DROP FUNCTION IF EXISTS cms_audit_append_only()")


class Migration(migrations.Migration):
    dependencies = [("cms", "0004_outlet_registry_and_audit_log")]

    operations = [migrations.RunPython(forwards, backwards)]

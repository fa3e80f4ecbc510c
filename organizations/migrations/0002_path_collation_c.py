"""On PostgreSQL the tree path uses collation "C" so `path LIKE 'prefix%'` (a subtree)
is answered from the btree index. SQLite compares bytes already."""

from django.db import migrations


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(
        'ALTER TABLE organizations_orgunit ALTER COLUMN path TYPE varchar(255) COLLATE "C"'
    )


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(
        'ALTER TABLE organizations_orgunit ALTER COLUMN path TYPE varchar(255) COLLATE "default"'
    )


class Migration(migrations.Migration):
    dependencies = [("organizations", "0001_initial")]
    operations = [migrations.RunPython(forwards, backwards)]

"""The full-text index for the vendor in use (see search/models.py)."""

from django.db import migrations

PG_FORWARD = [
    """
    ALTER TABLE search_searchdocument ADD COLUMN search_vector tsvector
    GENERATED ALWAYS AS (
        setweight(to_tsvector('simple'::regconfig, coalesce(title_norm, '')), 'A')
        || setweight(to_tsvector('simple'::regconfig, coalesce(body_norm, '')), 'B')
    ) STORED
    """,
    "CREATE INDEX search_doc_vector_gin ON search_searchdocument USING gin (search_vector)",
    # audience filters are `IN (ancestor paths)` or a prefix for managers
    "CREATE INDEX search_doc_audience_pattern ON search_searchdocument "
    "(audience_path varchar_pattern_ops)",
]
PG_BACKWARD = [
    "DROP INDEX IF EXISTS search_doc_audience_pattern",
    "DROP INDEX IF EXISTS search_doc_vector_gin",
    "ALTER TABLE search_searchdocument DROP COLUMN IF EXISTS search_vector",
]

SQLITE_FORWARD = [
    """
    CREATE VIRTUAL TABLE search_fts USING fts5(
        title_norm, body_norm,
        content='search_searchdocument', content_rowid='id',
        tokenize='unicode61 remove_diacritics 2'
    )
    """,
    """
    CREATE TRIGGER search_fts_ai AFTER INSERT ON search_searchdocument BEGIN
        INSERT INTO search_fts(rowid, title_norm, body_norm)
        VALUES (new.id, new.title_norm, new.body_norm);
    END
    """,
    """
    CREATE TRIGGER search_fts_ad AFTER DELETE ON search_searchdocument BEGIN
        INSERT INTO search_fts(search_fts, rowid, title_norm, body_norm)
        VALUES ('delete', old.id, old.title_norm, old.body_norm);
    END
    """,
    """
    CREATE TRIGGER search_fts_au AFTER UPDATE OF title_norm, body_norm ON search_searchdocument
    BEGIN
        INSERT INTO search_fts(search_fts, rowid, title_norm, body_norm)
        VALUES ('delete', old.id, old.title_norm, old.body_norm);
        INSERT INTO search_fts(rowid, title_norm, body_norm)
        VALUES (new.id, new.title_norm, new.body_norm);
    END
    """,
]
SQLITE_BACKWARD = [
    "DROP TRIGGER IF EXISTS search_fts_au",
    "DROP TRIGGER IF EXISTS search_fts_ad",
    "DROP TRIGGER IF EXISTS search_fts_ai",
    "DROP TABLE IF EXISTS search_fts",
]


def _run(statements):
    def run(apps, schema_editor):
        vendor = schema_editor.connection.vendor
        todo = statements.get(vendor, [])
        for sql in todo:
            schema_editor.execute(sql)

    return run


class Migration(migrations.Migration):
    dependencies = [("search", "0001_initial")]

    operations = [
        migrations.RunPython(
            _run({"postgresql": PG_FORWARD, "sqlite": SQLITE_FORWARD}),
            _run({"postgresql": PG_BACKWARD, "sqlite": SQLITE_BACKWARD}),
        )
    ]

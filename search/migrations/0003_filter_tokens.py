"""Filter words inside the full-text index (scope, published, type, year).

Adds `SearchDocument.filter_tokens`, fills it for existing rows, and puts it into the
full-text index of the vendor in use:
- SQLite: `search_fts` is re-created with a third column `filter_tokens` (triggers too)
  and rebuilt from the table;
- PostgreSQL: generated `filter_vector` and `title_vector` columns and one multi-column
  GIN index over (search_vector, filter_vector, title_vector) replacing the single-column
  one.
The token format is search.backends.database.filter_tokens() (copied here so the
migration does not change if that code does).
"""

import datetime as dt
import re

from django.db import migrations, models

_PATH_RE = re.compile(r"[0-9A-Z]*\Z")


def _tokens(doc_type, path, is_published, date):
    path = path or ""
    code = path.lower() if _PATH_RE.match(path) else None
    tokens = ["t" + doc_type.encode().hex(), "a" + code if code is not None else "n" + path.encode().hex()]
    if code:
        tokens += ["p" + code[:i] for i in range(4, len(code) + 1, 4)]
    if not is_published:
        tokens.append("unpub")
    if date is None:
        tokens.append("ynone")
    else:
        if date.tzinfo is not None:
            date = date.astimezone(dt.UTC)
        tokens.append(f"y{date.year:04d}")
    tokens += ["f0"] * (12 - len(tokens))
    return " ".join(tokens)


def fill(apps, schema_editor):
    Doc = apps.get_model("search", "SearchDocument")
    db = schema_editor.connection.alias
    batch = []
    qs = Doc.objects.using(db).only("id", "doc_type", "audience_path", "is_published", "date")
    for doc in qs.iterator(chunk_size=2000):
        doc.filter_tokens = _tokens(doc.doc_type, doc.audience_path, doc.is_published, doc.date)
        batch.append(doc)
        if len(batch) >= 2000:
            Doc.objects.using(db).bulk_update(batch, ["filter_tokens"])
            batch = []
    if batch:
        Doc.objects.using(db).bulk_update(batch, ["filter_tokens"])


PG_FORWARD = [
    """
    ALTER TABLE search_searchdocument ADD COLUMN filter_vector tsvector
    GENERATED ALWAYS AS (to_tsvector('simple'::regconfig, coalesce(filter_tokens, ''))) STORED
    """,
    # title words alone (no weight labels), so "in the title" needs no recheck of the
    # full vector: used to pick ranking candidates and for suggestions
    """
    ALTER TABLE search_searchdocument ADD COLUMN title_vector tsvector
    GENERATED ALWAYS AS (to_tsvector('simple'::regconfig, coalesce(title_norm, ''))) STORED
    """,
    "DROP INDEX IF EXISTS search_doc_vector_gin",
    "CREATE INDEX search_doc_vectors_gin ON search_searchdocument "
    "USING gin (search_vector, filter_vector, title_vector)",
]
PG_BACKWARD = [
    "DROP INDEX IF EXISTS search_doc_vectors_gin",
    "ALTER TABLE search_searchdocument DROP COLUMN IF EXISTS title_vector",
    "ALTER TABLE search_searchdocument DROP COLUMN IF EXISTS filter_vector",
    "CREATE INDEX search_doc_vector_gin ON search_searchdocument USING gin (search_vector)",
]

_SQLITE_DROP = [
    "DROP TRIGGER IF EXISTS search_fts_au",
    "DROP TRIGGER IF EXISTS search_fts_ad",
    "DROP TRIGGER IF EXISTS search_fts_ai",
    "DROP TABLE IF EXISTS search_fts",
]


def _sqlite_create(cols: list[str]) -> list[str]:
    names = ", ".join(cols)
    new = ", ".join("new." + c for c in cols)
    old = ", ".join("old." + c for c in cols)
    return [
        f"""
        CREATE VIRTUAL TABLE search_fts USING fts5(
            {names},
            content='search_searchdocument', content_rowid='id',
            tokenize='unicode61 remove_diacritics 2'
        )
        """,
        f"""
        CREATE TRIGGER search_fts_ai AFTER INSERT ON search_searchdocument BEGIN
            INSERT INTO search_fts(rowid, {names}) VALUES (new.id, {new});
        END
        """,
        f"""
        CREATE TRIGGER search_fts_ad AFTER DELETE ON search_searchdocument BEGIN
            INSERT INTO search_fts(search_fts, rowid, {names}) VALUES ('delete', old.id, {old});
        END
        """,
        f"""
        CREATE TRIGGER search_fts_au AFTER UPDATE OF {names} ON search_searchdocument
        BEGIN
            INSERT INTO search_fts(search_fts, rowid, {names}) VALUES ('delete', old.id, {old});
            INSERT INTO search_fts(rowid, {names}) VALUES (new.id, {new});
        END
        """,
        "INSERT INTO search_fts(search_fts) VALUES ('rebuild')",
    ]


SQLITE_FORWARD = _SQLITE_DROP + _sqlite_create(["title_norm", "body_norm", "filter_tokens"])
SQLITE_BACKWARD = _SQLITE_DROP + _sqlite_create(["title_norm", "body_norm"])


def _run(statements):
    def run(apps, schema_editor):
        for sql in statements.get(schema_editor.connection.vendor, []):
            schema_editor.execute(sql)

    return run


class Migration(migrations.Migration):
    dependencies = [("search", "0002_fulltext")]

    operations = [
        migrations.AddField(
            model_name="searchdocument",
            name="filter_tokens",
            field=models.TextField(
                blank=True,
                default="",
                help_text="类型、可见范围路径及其上级前缀、年份、未发布标记（全文索引内过滤用）",
                verbose_name="过滤词",
            ),
        ),
        migrations.RunPython(fill, migrations.RunPython.noop),
        migrations.RunPython(
            _run({"postgresql": PG_FORWARD, "sqlite": SQLITE_FORWARD}),
            _run({"postgresql": PG_BACKWARD, "sqlite": SQLITE_BACKWARD}),
        ),
    ]

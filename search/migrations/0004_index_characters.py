"""Every Chinese character of the indexed words, once per text, after the words
(search.normalize.index_tokens), so a one-character query finds the words that contain it.

Rows written before this change get their characters from their own segmented text; the
full-text indexes follow (SQLite: the update trigger; PostgreSQL: the generated vectors).
The rule is copied here so the migration does not change if that code does.
"""

from django.db import migrations


def _is_cjk(char: str) -> bool:
    return "\u3400" <= char <= "\u9fff" or "\uf900" <= char <= "\ufaff"


def with_characters(text: str) -> str:
    words = text.split()
    single = {w for w in words if len(w) == 1}
    chars = dict.fromkeys(c for w in words if len(w) > 1 for c in w if _is_cjk(c))
    return " ".join(words + [c for c in chars if c not in single])


def fill(apps, schema_editor):
    Doc = apps.get_model("search", "SearchDocument")
    db = schema_editor.connection.alias
    batch = []
    for doc in Doc.objects.using(db).only("id", "title_norm", "body_norm").iterator(2000):
        doc.title_norm = with_characters(doc.title_norm)
        doc.body_norm = with_characters(doc.body_norm)
        batch.append(doc)
        if len(batch) >= 2000:
            Doc.objects.using(db).bulk_update(batch, ["title_norm", "body_norm"])
            batch = []
    if batch:
        Doc.objects.using(db).bulk_update(batch, ["title_norm", "body_norm"])


class Migration(migrations.Migration):
    dependencies = [("search", "0003_filter_tokens")]

    operations = [migrations.RunPython(fill, migrations.RunPython.noop)]

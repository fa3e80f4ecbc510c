"""The current regulation's rates as data (dues/amounts.py explains the rule)."""

from django.db import migrations

DEFAULTS = [
    # category, lower (exclusive), upper (inclusive, None = no limit), basis points, fixed fen
    ("employed", -1, 300000, 50, 0),
    ("employed", 300000, 500000, 100, 0),
    ("employed", 500000, 1000000, 150, 0),
    ("employed", 1000000, None, 200, 0),
    ("retired", -1, 500000, 50, 0),
    ("retired", 500000, None, 100, 0),
    ("student", -1, None, 0, 20),
    ("unemployed", -1, None, 0, 20),
    ("subsistence", -1, None, 0, 20),
]


def seed(apps, schema_editor):
    DuesRate = apps.get_model("dues", "DuesRate")
    if DuesRate.objects.exists():
        return
    DuesRate.objects.bulk_create(
        DuesRate(category=c, lower_fen=lo, upper_fen=up, rate_bp=bp, fixed_fen=fx)
        for c, lo, up, bp, fx in DEFAULTS
    )


class Migration(migrations.Migration):
    dependencies = [("dues", "0001_ledger_orders_rules")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]

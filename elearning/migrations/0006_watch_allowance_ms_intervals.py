"""Progress: one watch-time allowance per member (across lessons) instead of one per
lesson, and watched intervals in milliseconds (a 0.2 s interval counts 0.2 s).

Existing per-lesson budgets become the member's allowance (the largest of them, last
refilled at the member's latest report); stored second ranges are scaled to ms."""

import json

import django.db.models.deletion
from django.db import migrations, models
from django.db.models import Max
from django.db.models.functions import Coalesce
from django.utils import timezone


def allowances_from_lesson_budgets(apps, schema_editor):
    LessonProgress = apps.get_model("elearning", "LessonProgress")
    WatchAllowance = apps.get_model("elearning", "WatchAllowance")
    rows = (
        LessonProgress.objects.values("member_id")
        .annotate(
            budget=Max("budget"), at=Max(Coalesce("last_report_at", "opened_at"))
        )
        .order_by()
    )
    batch = []
    for row in rows.iterator():
        batch.append(
            WatchAllowance(
                member_id=row["member_id"],
                budget=row["budget"] or 0.0,
                refilled_at=row["at"] or timezone.now(),
            )
        )
        if len(batch) >= 2000:
            WatchAllowance.objects.bulk_create(batch)
            batch = []
    WatchAllowance.objects.bulk_create(batch)


def intervals_to_ms(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            "UPDATE elearning_lessonprogress SET intervals = (SELECT COALESCE("
            "range_agg(int4range(lower(r) * 1000, upper(r) * 1000)), '{}'::int4multirange)"
            " FROM unnest(intervals) AS r) WHERE NOT isempty(intervals)"
        )
        return
    with schema_editor.connection.cursor() as cur:
        cur.execute("SELECT id, intervals FROM elearning_lessonprogress WHERE intervals != '[]'")
        rows = cur.fetchall()
        for pk, text in rows:
            ms = [[lo * 1000, hi * 1000] for lo, hi in json.loads(text or "[]")]
            cur.execute(
                "UPDATE elearning_lessonprogress SET intervals = %s WHERE id = %s",
                [json.dumps(ms), pk],
            )


class Migration(migrations.Migration):

    dependencies = [
        ("elearning", "0005_exam_review_after_last"),
        ("organizations", "0002_path_collation_c"),
    ]

    operations = [
        migrations.CreateModel(
            name="WatchAllowance",
            fields=[
                (
                    "member",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        primary_key=True,
                        related_name="+",
                        serialize=False,
                        to="organizations.member",
                    ),
                ),
                ("budget", models.FloatField(default=0)),
                ("refilled_at", models.DateTimeField()),
            ],
            options={"verbose_name": "视听额度", "verbose_name_plural": "视听额度"},
        ),
        migrations.RunPython(allowances_from_lesson_budgets, migrations.RunPython.noop),
        migrations.RunPython(intervals_to_ms, migrations.RunPython.noop),
        migrations.RemoveField(model_name="lessonprogress", name="budget"),
    ]

"""One open attempt per member and exam (a partial unique constraint).

Before the constraint, concurrent starts could leave several attempts in progress; all
but the newest are closed as expired (ungraded, like an attempt nobody submitted whose
answers were never autosaved) so that the constraint can be created."""

from django.db import migrations, models
from django.utils import timezone


def close_duplicate_open_attempts(apps, schema_editor):
    Attempt = apps.get_model("elearning", "Attempt")
    open_ = Attempt.objects.filter(status="in_progress").order_by("exam_id", "member_id", "-id")
    seen, stale = set(), []
    for pk, exam_id, member_id in open_.values_list("pk", "exam_id", "member_id").iterator():
        if (exam_id, member_id) in seen:
            stale.append(pk)
        seen.add((exam_id, member_id))
    if stale:
        Attempt.objects.filter(pk__in=stale).update(status="expired", submitted_at=timezone.now())


class Migration(migrations.Migration):

    dependencies = [
        ("elearning", "0003_courseprogress_report_index"),
    ]

    operations = [
        migrations.RunPython(close_duplicate_open_attempts, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name="attempt",
            constraint=models.UniqueConstraint(
                condition=models.Q(("status", "in_progress")),
                fields=("exam", "member"),
                name="uniq_open_attempt",
            ),
        ),
    ]

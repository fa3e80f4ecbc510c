"""Exam review: the "after_last" mode (score at once, correctness and answers once the
member's attempts are used up or the exam closed) becomes the default, and exams that
showed correctness or answers right after submit while allowing another attempt switch
to it (that combination let a member submit blank, read the answers and copy them)."""

from django.db import migrations, models


def protect_multi_attempt_exams(apps, schema_editor):
    Exam = apps.get_model("elearning", "Exam")
    Exam.objects.filter(
        review_when="after_submit", review_show__in=["correctness", "answers"]
    ).exclude(attempts_allowed=1).update(review_when="after_last")


class Migration(migrations.Migration):

    dependencies = [
        ("elearning", "0004_one_open_attempt"),
    ]

    operations = [
        migrations.AlterField(
            model_name="exam",
            name="review_when",
            field=models.CharField(
                choices=[
                    ("after_last", "交卷后看分数；作答次数用完或考试结束后看对错和答案"),
                    ("after_close", "考试结束后"),
                    ("after_submit", "交卷后立即（仅适合只能作答一次的考试）"),
                    ("never", "从不"),
                ],
                default="after_last",
                help_text="允许多次作答时，对错和正确答案须等党员用完作答次数或考试结束后才显示，否则可以先交白卷看答案、再次作答时照抄（后一次作答会尽量抽取未做过的题目）",
                max_length=12,
                verbose_name="何时可见",
            ),
        ),
        migrations.RunPython(protect_multi_attempt_exams, migrations.RunPython.noop),
    ]

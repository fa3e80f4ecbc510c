"""`manage.py import_questions FILE --unit CODE [--dry-run]`: import a question bank file
(GIFT .gift/.txt or the Excel template .xlsx) for a party unit, as the admin's
“导入/导出试题” does: the whole file is checked first, every problem is listed with its
line and question, and a file with any problem imports nothing."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from elearning.exams.question_io import (
    ImportErrors,
    drafts_summary,
    parse_question_file,
    questions_import,
)
from organizations.models import OrgUnit


class Command(BaseCommand):
    help = (
        "从 GIFT（.gift/.txt，UTF-8）或 Excel 导入模板（.xlsx）导入试题到指定党组织的题库："
        "先整体校验，列出所有错误（行号和题目名称），任一处有错则不写入。"
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="GIFT (.gift/.txt) 或 Excel (.xlsx) 文件")
        parser.add_argument("--unit", required=True, help="题目所属党组织的代码")
        parser.add_argument("--dry-run", action="store_true", help="只校验，不写入")

    def handle(self, *args, file, unit, dry_run, **options):
        path = Path(file)
        if not path.is_file():
            raise CommandError(f"找不到文件：{file}")
        owner = OrgUnit.objects.filter(code=unit).first()
        if owner is None:
            raise CommandError(f"党组织代码“{unit}”不存在")
        try:
            drafts = parse_question_file(name=path.name, data=path.read_bytes())
        except ImportErrors as exc:
            for issue in exc.errors:
                self.stderr.write(f"  {issue}")
            raise CommandError(f"校验未通过：{len(exc.errors)} 处错误，未导入任何试题")
        summary = drafts_summary(drafts)
        if dry_run:
            self.stdout.write(self.style.SUCCESS(f"校验通过（--dry-run：未写入）。{summary}"))
            return
        created = questions_import(drafts=drafts, owner_unit=owner)
        self.stdout.write(
            self.style.SUCCESS(f"导入完成：{len(created)} 道试题导入“{owner.name}”。{summary}")
        )

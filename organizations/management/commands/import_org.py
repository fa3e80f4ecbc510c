"""`manage.py import_org FILE [--dry-run]`: import units and members from CSV or Excel."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from organizations.importing import ImportRefused, check_size, org_import_file


class Command(BaseCommand):
    help = (
        "从 CSV 或 Excel 导入党组织和党员（先整体校验，任一行有错则不写入；重复导入同一文件只更新）。"
        "列说明见 docs/operations.md。"
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="CSV (.csv) 或 Excel (.xlsx) 文件")
        parser.add_argument("--dry-run", action="store_true", help="只校验，不写入")

    def handle(self, *args, file, dry_run, **options):
        path = Path(file)
        if not path.is_file():
            raise CommandError(f"找不到文件：{file}")
        try:
            check_size(path.name, path.stat().st_size)
        except ImportRefused as exc:
            raise CommandError(str(exc))
        data = path.read_bytes()

        def progress(iterable, total=None, desc="", unit="it"):
            return tqdm(iterable, total=total, desc=desc, unit=unit, file=self.stderr._out)

        report = org_import_file(name=path.name, data=data, dry_run=dry_run, progress=progress)
        for note in report.notes:
            self.stdout.write(f"注意：{note}")
        if not report.ok:
            for issue in report.errors:
                self.stderr.write(f"  {issue}")
            raise CommandError(f"校验未通过：{len(report.errors)} 处错误，未导入任何数据")
        if dry_run:
            self.stdout.write(self.style.SUCCESS("校验通过（--dry-run：未写入）"))
            return
        self.stdout.write(self.style.SUCCESS(f"导入完成。{report.summary()}"))

"""`manage.py import_books FILE.csv|xlsx [--covers DIR] [--audience CODE]`"""

from __future__ import annotations

import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from cms.importing import BookImportError, books_import
from organizations.models import OrgUnit


class Command(BaseCommand):
    help = "从 CSV（UTF-8 或 GBK）或 Excel 导入图书目录：逐行校验，全部正确才导入，按 ISBN 更新已有图书"

    def add_arguments(self, parser):
        parser.add_argument(
            "file", help="CSV 或 XLSX 文件；file 列里的电子书路径相对于此文件所在目录"
        )
        parser.add_argument("--covers", help="封面图片目录：<ISBN>.jpg/png，或 cover 列写明文件名")
        parser.add_argument(
            "--audience", help="未填可见范围的行使用的党组织代码（默认：根组织，即全体党员）"
        )
        parser.add_argument("--batch-size", type=int, default=2000)
        parser.add_argument("--no-progress", action="store_true", help="不显示进度条")

    def handle(self, *args, file, covers, audience, batch_size, no_progress, **options):
        path = Path(file)
        if not path.is_file():
            raise CommandError(f"找不到文件：{path}")
        if covers and not Path(covers).is_dir():
            raise CommandError(f"封面目录不存在：{covers}")
        if audience:
            default_audience = OrgUnit.objects.filter(code=audience).first()
            if default_audience is None:
                raise CommandError(f"党组织代码“{audience}”不存在")
        else:
            default_audience = OrgUnit.get_first_root_node()

        def progress(it, **kw):
            if no_progress:
                return it
            return tqdm(it, file=self.stderr._out, leave=False, **kw)

        started = time.monotonic()
        try:
            result = books_import(
                path=path,
                covers_dir=Path(covers) if covers else None,
                default_audience=default_audience,
                batch_size=batch_size,
                progress=progress,
            )
        except BookImportError as exc:
            for e in exc.errors[:200]:
                self.stderr.write(str(e))
            if len(exc.errors) > 200:
                self.stderr.write(f"……另有 {len(exc.errors) - 200} 处错误未列出")
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            self.style.SUCCESS(
                f"导入完成：新建 {result.created} 本，更新 {result.updated} 本，"
                f"文件 {result.files} 个，封面 {result.covers} 张，用时 {time.monotonic() - started:.1f} 秒"
            )
        )

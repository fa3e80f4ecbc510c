"""`manage.py generate_org --units 8000 --members 140000`: the production-sized tree."""

from __future__ import annotations

import time

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from organizations.generating import GenerateError, org_generate


class Command(BaseCommand):
    help = "批量生成规模测试用的组织树和党员（批量插入，带进度条）"

    def add_arguments(self, parser):
        parser.add_argument("--units", type=int, default=8000, help="党组织数量（默认 8000）")
        parser.add_argument("--members", type=int, default=140000, help="党员数量（默认 140000）")
        parser.add_argument("--prefix", default="S", help="组织代码和党员编号的前缀（默认 S）")
        parser.add_argument("--batch", type=int, default=5000, help="每批插入的行数")
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument("--no-progress", action="store_true")

    def handle(self, *args, units, members, prefix, batch, seed, no_progress, **options):
        def progress(iterable, **kw):
            return tqdm(iterable, disable=no_progress, file=self.stderr._out, **kw)

        start = time.perf_counter()
        try:
            result = org_generate(
                units=units,
                members=members,
                prefix=prefix,
                batch=batch,
                seed=seed,
                progress=progress,
            )
        except GenerateError as exc:
            raise CommandError(str(exc))
        took = time.perf_counter() - start
        self.stdout.write(
            self.style.SUCCESS(
                f"已生成 {result['units']} 个党组织、{result['members']} 名党员"
                f"（根组织代码 {result['root']}），用时 {took:.1f} 秒"
            )
        )

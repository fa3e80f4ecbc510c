"""`manage.py rotate_field_keys`: re-encrypt every encrypted member-record field under the
first key of EHOME_FIELD_ENCRYPTION_KEYS, in batches; resumable after an interruption
(docs/operations.md "Member record keys")."""

from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import BaseCommand, CommandError

from organizations.records.rotation import (
    RotationError,
    encrypted_tables,
    rotate_table,
    unrotated_count,
)


class Command(BaseCommand):
    help = "用 EHOME_FIELD_ENCRYPTION_KEYS 的第一个密钥重新加密全部加密字段（分批，可中断后重跑）"

    def add_arguments(self, parser):
        parser.add_argument("--batch-size", type=int, default=1000, help="每批行数（默认 1000）")
        parser.add_argument(
            "--pause", type=float, default=0.0, help="每批之间暂停的秒数（降低负载）"
        )
        parser.add_argument("--verify", action="store_true", help="只检查还有多少值未使用新密钥")

    def handle(self, *args, batch_size, pause, verify, **options):
        if batch_size < 1:
            raise CommandError("--batch-size 至少为 1")
        try:
            tables = encrypted_tables()
            if verify:
                left = {t.label: unrotated_count(t) for t in tables}
                for label, n in left.items():
                    self.stdout.write(f"{label}：{n} 个值未使用第一个密钥")
                if any(left.values()):
                    raise CommandError("仍有值未轮换：请运行 rotate_field_keys")
                self.stdout.write(self.style.SUCCESS("全部值已使用第一个密钥加密，可以移除旧密钥"))
                return
            total = 0
            for t in tables:
                total += rotate_table(t, batch=batch_size, pause=pause, progress=self.stdout.write)
        except (RotationError, ImproperlyConfigured) as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(
            self.style.SUCCESS(f"轮换完成：本次重新加密 {total} 行；确认后可从配置中移除旧密钥")
        )

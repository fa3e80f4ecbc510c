"""Load the demo organisation, content and courses. Safe to run again (idempotent)."""

from django.conf import settings
from django.core.management.base import BaseCommand
from django.utils.module_loading import import_string


class Command(BaseCommand):
    help = "载入演示数据（可重复执行）：组织、党员、内容、课程。"

    def add_arguments(self, parser):
        parser.add_argument(
            "--skip", action="append", default=[], help="skip a step (e.g. media_pipeline)"
        )

    def handle(self, *args, skip, **options):
        for dotted in settings.EHOME_SEED_DEMO_STEPS:
            app = dotted.split(".", 1)[0]
            if app in skip:
                self.stdout.write(f"- {dotted}: skipped")
                continue
            result = import_string(dotted)(stdout=self.stdout) or {}
            summary = ", ".join(f"{k}={v}" for k, v in result.items() if k != "logins")
            self.stdout.write(self.style.SUCCESS(f"✓ {dotted} {summary}"))
            if "logins" in result:
                self.stdout.write("演示账号 (demo logins):")
                for username, name, unit, roles in result["logins"]:
                    self.stdout.write(f"  {username:<15} {name:<6} {roles:<12} {unit}")

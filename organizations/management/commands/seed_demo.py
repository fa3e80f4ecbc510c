"""Load the demo organisation, content and courses. Safe to run again (idempotent).
Runs `ehome_setup` first, so roles the demo grants map onto existing groups."""

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.utils.module_loading import import_string

from organizations.services import role_holders_resync


class Command(BaseCommand):
    help = "载入演示数据（可重复执行）：组织、党员、内容、课程。"

    def add_arguments(self, parser):
        parser.add_argument(
            "--skip", action="append", default=[], help="skip a step (e.g. media_pipeline)"
        )

    def handle(self, *args, skip, **options):
        # The same set-up a production install runs: groups, sections, review workflow.
        call_command("ehome_setup", stdout=self.stdout)
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
        # Roles granted above re-sync on commit; once more here so the demo logins hold
        # their groups whatever the transaction context (e.g. inside a test).
        synced = role_holders_resync()
        self.stdout.write(self.style.SUCCESS(f"✓ 已按单位角色同步 {synced} 个用户的权限组"))

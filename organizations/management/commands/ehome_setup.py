"""`manage.py ehome_setup`: the installation's set-up, idempotent — run it after every
`migrate`. Creates the admin groups and their permissions, the site root and its
sections, the review workflow and its assignment (settings.EHOME_SETUP_STEPS), then
re-derives the groups of every role holder, so running it again repairs a broken
install (roles granted before set-up, groups edited by hand)."""

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils.module_loading import import_string

from organizations.services import role_holders_resync


class Command(BaseCommand):
    help = "安装设置（可重复执行）：后台用户组及权限、站点栏目、审核流程；并按单位角色重新同步所有用户的权限组。"

    def handle(self, *args, **options):
        with transaction.atomic():
            for dotted in settings.EHOME_SETUP_STEPS:
                result = import_string(dotted)(stdout=self.stdout) or {}
                summary = ", ".join(f"{k}={v}" for k, v in result.items())
                self.stdout.write(self.style.SUCCESS(f"✓ {dotted} {summary}"))
            synced = role_holders_resync()
        self.stdout.write(self.style.SUCCESS(f"✓ 已按单位角色同步 {synced} 个用户的权限组"))

"""`manage.py grant_role USERNAME UNIT_CODE ROLE [--revoke] [--by GRANTER]`: give (or take
away) a unit role; the admin rights the role implies follow
(organizations.services.unit_role_grant). Without `--by` the operator at the command line
grants it; with `--by`, on behalf of a 组织管理员, whose scope is checked and who is
recorded as the granter."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db.models import Q

from organizations.models import OrgUnit, UnitRole
from organizations.services import OrganizationError, unit_role_grant, unit_role_revoke


class Command(BaseCommand):
    help = (
        "授予或撤销单位角色（角色覆盖该单位及其下级）：unit_admin 组织管理员、editor 编辑、"
        "reviewer 审核员、secretary 书记、instructor 教员。用户名也可以是党员编号。"
    )

    def add_arguments(self, parser):
        parser.add_argument("username", help="登录名或党员编号")
        parser.add_argument("unit_code", help="组织代码")
        parser.add_argument("role", help="角色：" + " / ".join(UnitRole.Role.values))
        parser.add_argument("--revoke", action="store_true", help="撤销该角色")
        parser.add_argument(
            "--by",
            dest="granter",
            help="代为办理的组织管理员（登录名或党员编号）：只能在其管理的单位及下级单位授予，"
            "且不能授予其本人；会记录为授予人",
        )

    def handle(self, *args, username, unit_code, role, revoke, granter=None, **options):
        user = _user(username)
        if user is None:
            raise CommandError(f"找不到用户：{username}")
        by = None
        if granter:
            by = _user(granter)
            if by is None:
                raise CommandError(f"找不到授予人：{granter}")
        unit = OrgUnit.objects.filter(code=unit_code).first()
        if unit is None:
            raise CommandError(f"找不到组织代码：{unit_code}")
        if role not in UnitRole.Role.values:
            raise CommandError(f"未知角色：{role}（可用：{', '.join(UnitRole.Role.values)}）")
        try:
            if revoke:
                n = unit_role_revoke(user=user, unit=unit, role=role, revoked_by=by)
                self.stdout.write(f"已撤销 {n} 个角色：{user.username} @ {unit.name} ({role})")
                return
            unit_role_grant(user=user, unit=unit, role=role, granted_by=by)
        except OrganizationError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(self.style.SUCCESS(f"已授予：{user.username} @ {unit.name} ({role})"))


def _user(name: str):
    return get_user_model().objects.filter(Q(username=name) | Q(member__member_no=name)).first()

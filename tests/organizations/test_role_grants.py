"""Who may grant a role: a 组织管理员 only in the subtree they administer and never to
themselves (a reviewer role one could give oneself would be a way round review); the
operator's command line grants anywhere. Each refusal says what is wrong and changes
nothing; a grant records who made it."""

from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command

from organizations.models import UnitRole
from organizations.services import OrganizationError, unit_role_grant, unit_role_revoke
from tests.factories import member_in, user_with_role

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_a(org):
    return user_with_role(org.a, "unit_admin", "unitadmin_a")


def test_a_unit_admin_grants_roles_in_their_subtree_and_is_recorded(org, admin_a):
    member = member_in(org.a1, "m_a1").user
    role = unit_role_grant(user=member, unit=org.a1, role="reviewer", granted_by=admin_a)
    assert role.granted_by == admin_a
    assert UnitRole.objects.filter(user=member, unit=org.a1, role="reviewer").exists()


def test_a_grant_outside_the_granters_subtree_is_refused(org, admin_a):
    member = member_in(org.b1, "m_b1").user
    with pytest.raises(OrganizationError, match="你不能在“海外事业部党委”授予角色"):
        unit_role_grant(user=member, unit=org.b, role="reviewer", granted_by=admin_a)
    with pytest.raises(OrganizationError, match="集团党委"):  # above their own unit
        unit_role_grant(user=member, unit=org.root, role="editor", granted_by=admin_a)
    assert not UnitRole.objects.filter(user=member).exists()


def test_nobody_grants_themselves_a_role(org, admin_a):
    with pytest.raises(OrganizationError, match="不能给自己授予角色"):
        unit_role_grant(user=admin_a, unit=org.a1, role="reviewer", granted_by=admin_a)
    assert list(UnitRole.objects.filter(user=admin_a).values_list("role", flat=True)) == [
        "unit_admin"
    ]


def test_other_roles_do_not_grant_roles(org):
    editor = user_with_role(org.a, "editor", "editor_a")
    reviewer = user_with_role(org.root, "reviewer", "reviewer_root")
    member = member_in(org.a1, "m_a1").user
    for granter in (editor, reviewer):
        with pytest.raises(OrganizationError, match="只能在你担任组织管理员的单位"):
            unit_role_grant(user=member, unit=org.a1, role="reviewer", granted_by=granter)
    assert not UnitRole.objects.filter(user=member).exists()


def test_revoking_follows_the_same_rule(org, admin_a):
    holder = user_with_role(org.b, "reviewer", "reviewer_b")
    with pytest.raises(OrganizationError, match="你不能在“海外事业部党委”撤销角色"):
        unit_role_revoke(user=holder, unit=org.b, role="reviewer", revoked_by=admin_a)
    assert UnitRole.objects.filter(user=holder, unit=org.b, role="reviewer").exists()


def test_the_command_grants_on_behalf_of_a_unit_admin_with_the_same_checks(org, admin_a):
    member = member_in(org.b1, "m_b1")
    with pytest.raises(CommandError, match="你不能在“海外事业部党委”授予角色"):
        call_command(
            "grant_role", member.member_no, "B", "reviewer", "--by", "unitadmin_a",
            stdout=io.StringIO(),
        )  # fmt: skip
    with pytest.raises(CommandError, match="不能给自己授予角色"):
        call_command(
            "grant_role", "unitadmin_a", "A1", "reviewer", "--by", "unitadmin_a",
            stdout=io.StringIO(),
        )  # fmt: skip
    with pytest.raises(CommandError, match="找不到授予人"):
        call_command(
            "grant_role", member.member_no, "A1", "reviewer", "--by", "nobody",
            stdout=io.StringIO(),
        )  # fmt: skip
    assert not UnitRole.objects.filter(user=member.user).exists()
    assert not UnitRole.objects.filter(user=admin_a, role="reviewer").exists()
    local = member_in(org.a1, "m_a1")
    call_command(
        "grant_role", local.member_no, "A1", "reviewer", "--by", "unitadmin_a",
        stdout=io.StringIO(),
    )  # fmt: skip
    assert UnitRole.objects.get(user=local.user, role="reviewer").granted_by == admin_a

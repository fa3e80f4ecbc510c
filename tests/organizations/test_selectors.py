import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from organizations.models import Member, OrgUnit
from organizations.selectors import (
    audience_paths_for_member,
    audience_q,
    members_in_scope,
    subtree_member_counts,
    subtree_member_total,
    unit_in_scope,
    units_in_scope,
)
from tests.factories import UserFactory, member_in, user_with_role

pytestmark = pytest.mark.django_db


def test_role_on_unit_covers_its_subtree_only(org):
    secretary = user_with_role(org.a, "secretary")
    codes = set(units_in_scope(secretary).values_list("code", flat=True))
    assert codes == {"A", "A1"}
    assert unit_in_scope(secretary, org.a1)
    assert not unit_in_scope(secretary, org.b1)
    assert not unit_in_scope(secretary, org.root)


def test_user_without_roles_sees_no_units(org):
    plain = member_in(org.a1).user
    assert units_in_scope(plain).count() == 0
    assert members_in_scope(plain).count() == 0


def test_members_in_scope_exclude_other_subtrees(org):
    inside = member_in(org.a1)
    outside = member_in(org.b1)
    secretary = user_with_role(org.a, "secretary")
    ids = set(members_in_scope(secretary).values_list("id", flat=True))
    assert inside.id in ids
    assert outside.id not in ids


def test_role_filter_limits_scope_to_those_roles(org):
    user = user_with_role(org.a, "editor")
    assert units_in_scope(user, roles=["secretary"]).count() == 0
    assert units_in_scope(user, roles=["editor"]).count() == 2


def test_audience_paths_are_the_member_units_ancestors(org):
    m = member_in(org.b1)
    assert audience_paths_for_member(m) == [org.root.path, org.b.path, org.b1.path]


def test_audience_q_matches_ancestor_audiences_not_siblings(org):
    m = member_in(org.b1)
    visible = set(
        OrgUnit.objects.filter(audience_q(m.user, field="path")).values_list("code", flat=True)
    )
    # content addressed to G, B or B1 reaches a member of B1; content for A or A1 does not
    assert visible == {"G", "B", "B1"}


def test_subtree_counts_are_one_query_grouped_by_child(org):
    for _ in range(3):
        member_in(org.a1)
    member_in(org.a)
    for _ in range(2):
        member_in(org.b1)
    gone = member_in(org.b1)
    gone.status = Member.Status.TRANSFERRED_OUT
    gone.save()
    org.refresh()
    with CaptureQueriesContext(connection) as ctx:
        rows = subtree_member_counts(org.root)
    assert len(ctx.captured_queries) == 1
    assert {r.code: r.members for r in rows} == {"A": 4, "B": 2}
    rows_a = {r.code: r.members for r in subtree_member_counts(org.a)}
    assert rows_a == {"A": 1, "A1": 3}  # the unit's own direct members, then each child
    assert subtree_member_total(org.root) == 6


def test_superuser_has_global_scope(org):
    admin = UserFactory(is_superuser=True)
    assert units_in_scope(admin).count() == 5

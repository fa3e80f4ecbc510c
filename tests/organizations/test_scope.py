"""The one scope decision (organizations.scope): what a role covers, what a reader sees,
memoised per user, and one not-found answer for missing and out-of-scope ids."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from core.errors import ObjectNotFound
from organizations.models import OrgUnit
from organizations.selectors import access_member_by_id, access_unit_by_id, scope_for
from organizations.services import unit_role_grant
from tests.factories import UserFactory, member_in, user_with_role

pytestmark = pytest.mark.django_db


def test_a_role_covers_its_units_subtree_and_nothing_else(org):
    scope = scope_for(user_with_role(org.a, "secretary"), roles=["secretary"])
    assert scope.covers(org.a.path) and scope.covers(org.a1.path)
    assert not scope.covers(org.b1.path) and not scope.covers(org.root.path)
    assert scope.covers(org.a1.path, strictly=True) and not scope.covers(org.a.path, strictly=True)
    assert scope.overlaps(org.root.path) and not scope.overlaps(org.b.path)
    codes = set(OrgUnit.objects.filter(scope.units_q("path")).values_list("code", flat=True))
    assert codes == {"A", "A1"}


def test_other_roles_do_not_count(org):
    editor = user_with_role(org.a, "editor")
    assert not scope_for(editor, roles=["secretary"]).has_role
    assert not scope_for(editor, roles=["secretary"]).covers(org.a1.path)
    assert scope_for(editor, roles=["editor"]).covers(org.a1.path)


def test_superusers_cover_everything_and_anonymous_users_nothing(org):
    boss = UserFactory(is_superuser=True)
    assert scope_for(boss).covers(org.b1.path) and scope_for(boss).sees_audience(org.b1.path)
    assert OrgUnit.objects.filter(scope_for(boss).units_q("path")).count() == 5
    assert OrgUnit.objects.filter(scope_for(None).units_q("path")).count() == 0
    assert OrgUnit.objects.filter(scope_for(None).audience_q("path")).count() == 0


def test_a_member_reads_what_is_addressed_to_their_unit_or_above(org):
    reader = scope_for(member_in(org.b1).user)
    seen = set(OrgUnit.objects.filter(reader.audience_q("path")).values_list("code", flat=True))
    assert seen == {"G", "B", "B1"}
    assert reader.sees_audience(org.b.path) and not reader.sees_audience(org.a.path)


def test_scope_is_read_once_per_user_and_follows_a_new_role(org):
    user = user_with_role(org.a, "secretary")
    scope_for(user, roles=["secretary"]).units_q("path")
    with CaptureQueriesContext(connection) as ctx:
        for _ in range(5):
            scope_for(user, roles=["secretary"]).covers(org.a1.path)
    assert len(ctx.captured_queries) == 0
    unit_role_grant(user=user, unit=org.b, role="secretary")
    assert scope_for(user, roles=["secretary"]).covers(org.b1.path)


def test_missing_and_out_of_scope_ids_get_the_same_answer(org):
    secretary = user_with_role(org.a, "secretary")
    outsider = member_in(org.b1)
    assert access_unit_by_id(secretary, org.a1.pk, roles=["secretary"]) == org.a1
    errors = []
    for call in (
        lambda: access_unit_by_id(secretary, org.b1.pk, roles=["secretary"]),
        lambda: access_unit_by_id(secretary, 999_999, roles=["secretary"]),
        lambda: access_unit_by_id(secretary, "not-a-number", roles=["secretary"]),
        lambda: access_member_by_id(secretary, outsider.pk, roles=["secretary"]),
    ):
        with pytest.raises(ObjectNotFound) as exc:
            call()
        errors.append((type(exc.value), exc.value.code, exc.value.status, exc.value.message))
    assert len(set(errors)) == 1

import pytest

from organizations.services import unit_role_grant
from tests.factories import member_in


@pytest.fixture
def grant():
    """grant(unit, role, username=None) → a member of `unit` holding `role` there, given
    admin access the way production does it (organizations.services.unit_role_grant)."""

    def make(unit, role, username=None):
        user = member_in(unit, username=username).user
        unit_role_grant(user=user, unit=unit, role=role)
        return user

    return make

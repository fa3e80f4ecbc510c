import pytest

from organizations.models import Transfer
from organizations.services import OrganizationError, member_transfer
from tests.factories import UserFactory, member_in

pytestmark = pytest.mark.django_db


def test_transfer_moves_member_and_keeps_history(org):
    m = member_in(org.a1)
    approver = UserFactory()
    t = member_transfer(member=m, to_unit=org.b1, approved_by=approver, reason="调往海外项目")
    m.refresh_from_db()
    assert m.unit == org.b1
    assert m.is_overseas is True  # B1 is in Tanzania
    assert (t.from_unit, t.to_unit, t.approved_by) == (org.a1, org.b1, approver)
    assert Transfer.objects.filter(member=m).count() == 1


def test_transfer_to_same_unit_is_refused_and_changes_nothing(org):
    m = member_in(org.a1)
    with pytest.raises(OrganizationError):
        member_transfer(member=m, to_unit=org.a1)
    assert Transfer.objects.count() == 0


def test_transfer_to_inactive_unit_is_refused(org):
    m = member_in(org.a1)
    org.b1.is_active = False
    org.b1.save()
    with pytest.raises(OrganizationError):
        member_transfer(member=m, to_unit=org.b1)
    m.refresh_from_db()
    assert m.unit == org.a1

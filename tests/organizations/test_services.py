import pytest

from organizations.models import Transfer
from organizations.services import OrganizationError, member_update
from organizations.transfers import TransferError, transfer_start
from tests.factories import member_in

pytestmark = pytest.mark.django_db


def test_editing_a_member_cannot_move_them_a_move_is_a_transfer(org):
    m = member_in(org.a1)
    with pytest.raises(OrganizationError, match="组织关系转接"):
        member_update(member=m, unit=org.b1, phone="13800000000")
    m.refresh_from_db()
    assert (m.unit, m.phone) == (org.a1, "")
    assert Transfer.objects.count() == 0


def test_transfer_to_inactive_unit_is_refused(org):
    m = member_in(org.a1)
    org.b1.is_active = False
    org.b1.save()
    with pytest.raises(TransferError):
        transfer_start(member=m, started_by=None, to_unit=org.b1)
    m.refresh_from_db()
    assert m.unit == org.a1
    assert Transfer.objects.count() == 0

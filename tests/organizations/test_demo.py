import pytest
from django.contrib.auth import authenticate

from organizations import demo
from organizations.models import Member, OrgUnit, UnitRole
from organizations.services import ADMIN_GROUP_NAME

pytestmark = pytest.mark.django_db


def test_seed_is_idempotent_and_logins_work():
    first = demo.seed()
    counts = (OrgUnit.objects.count(), Member.objects.count(), UnitRole.objects.count())
    second = demo.seed()
    assert (OrgUnit.objects.count(), Member.objects.count(), UnitRole.objects.count()) == counts
    assert first["members"] == second["members"] >= 200
    tz = OrgUnit.objects.get(code="G02-01")
    assert (tz.timezone, tz.get_parent().code) == ("Africa/Dar_es_Salaam", "G02")
    assert authenticate(username="member", password=demo.demo_password()) is not None
    secretary = authenticate(username="secretary_g02", password=demo.demo_password())
    assert secretary.groups.filter(name=ADMIN_GROUP_NAME).exists()
    assert secretary.has_perm("wagtailadmin.access_admin")
    assert authenticate(username="member_bj", password="wrong") is None
